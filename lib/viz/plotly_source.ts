/**
 * The plotly.js bundle as text, read once from the installed npm package, so that pages and
 * notebook outputs can inline it and draw offline.
 *
 * @module
 */

let cached: string | undefined;

/**
 * The source of `plotly.js-dist-min` (plotly.min.js), read on first use and cached; pages and
 * executed notebooks (lib/notebook) inline it.
 *
 * @throws {Error} when the package does not resolve to a local file (no `deno install`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { plotlySource } from "./plotly_source.ts";
 * assertEquals(plotlySource().includes("plotly"), true);
 * ```
 */
export function plotlySource(): string {
  if (cached !== undefined) return cached;
  const url = new URL(import.meta.resolve("plotly.js-dist-min"));
  if (url.protocol !== "file:") {
    throw new Error(
      `plotly.js-dist-min resolves to ${url.href}, not a local file; set "nodeModulesDir": ` +
        `"auto" in deno.json and run \`deno install\` so that it can be inlined`,
    );
  }
  const source = Deno.readTextFileSync(url);
  // Inlined inside <script>; a literal "</script" would end the element early.
  if (/<\/script/i.test(source)) throw new Error(`${url.pathname} contains "</script"`);
  cached = source;
  return source;
}

/**
 * JSON for embedding in an inline <script>: typed arrays become arrays, and "<", U+2028 and
 * U+2029 are escaped so that no string in the data can close the script or break the parse.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { scriptJson } from "./plotly_source.ts";
 * assertEquals(scriptJson({ x: Float32Array.of(1), s: "</script>" }), '{"x":[1],"s":"\\u003c/script>"}');
 * ```
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v) => ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v,
  )
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}
