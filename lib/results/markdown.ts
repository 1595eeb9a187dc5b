/**
 * The Markdown of the results files: tables through npm `markdown-table` (the one table library of
 * the toolkit), the README's generated blocks between `<!-- NAME:start` and `<!-- NAME:end -->`
 * markers, and `deno fmt` of a whole file (the committed files are kept formatted, so a rebuild
 * compares like with like).
 *
 * @module
 */

import { markdownTable } from "markdown-table";

/**
 * A Markdown table of string cells, aligned (npm `markdown-table`); `align` gives each column's
 * alignment (`l` left, `r` right; default left).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { table } from "./markdown.ts";
 * assertEquals(table(["class", "AUC"], [["2", "97.25"]]).split("\n"), [
 *   "| class | AUC   |",
 *   "| ----- | ----- |",
 *   "| 2     | 97.25 |",
 * ]);
 * ```
 */
export function table(header: string[], rows: string[][], align?: ("l" | "r")[]): string {
  return markdownTable([header, ...rows], align ? { align } : undefined);
}

/**
 * `text` with the block between `<!-- NAME:start` and `<!-- NAME:end -->` (markers included)
 * replaced by `block`.
 *
 * @throws {Error} naming `file` and the markers when either is missing or they are out of order.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { replaceBlock } from "./markdown.ts";
 * const text = "a\n<!-- x:start -->\nold\n<!-- x:end -->\nb\n";
 * assertEquals(replaceBlock(text, "x", "<!-- x:start -->\nnew\n<!-- x:end -->", "R.md"),
 *   "a\n<!-- x:start -->\nnew\n<!-- x:end -->\nb\n");
 * ```
 */
export function replaceBlock(text: string, name: string, block: string, file: string): string {
  const start = text.indexOf(`<!-- ${name}:start`);
  const endMarker = `<!-- ${name}:end -->`;
  const end = text.indexOf(endMarker);
  if (start < 0 || end < start) {
    throw new Error(`${file}: expected the markers <!-- ${name}:start ... --> and ${endMarker}`);
  }
  return text.slice(0, start) + block + text.slice(end + endMarker.length);
}

/**
 * `deno fmt` of a Markdown text at the project's line width (100): tables aligned, prose wrapped,
 * as the committed results files are kept.
 *
 * @throws {Error} when `deno fmt` fails on the text.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { formatMarkdown } from "./markdown.ts";
 * assertEquals(await formatMarkdown("| class | AUC |\n|---|---|\n| 2 | 97.25 |\n"),
 *   "| class | AUC   |\n| ----- | ----- |\n| 2     | 97.25 |\n");
 * ```
 */
export async function formatMarkdown(markdown: string): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext", "md", "--line-width", "100", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(markdown));
  await writer.close();
  const { success, stdout, stderr } = await child.output();
  if (!success) {
    throw new Error(`deno fmt failed on generated Markdown: ${new TextDecoder().decode(stderr)}`);
  }
  return new TextDecoder().decode(stdout);
}
