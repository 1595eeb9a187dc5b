/**
 * Reading `.ipynb` files: the shapes of nbformat 4 that the checks need, and what a notebook's
 * outputs say (errors, plotly bundles, the final table of AUCs).
 *
 * @module
 */

/** One output of a code cell (nbformat 4). */
export interface NotebookOutput {
  output_type: "stream" | "display_data" | "execute_result" | "error" | "update_display_data";
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
  execution_count?: number | null;
}

/** One cell (nbformat 4). */
export interface NotebookCell {
  cell_type: "code" | "markdown" | "raw";
  source: string | string[];
  outputs?: NotebookOutput[];
  execution_count?: number | null;
  metadata?: Record<string, unknown>;
}

/** A notebook (nbformat 4). */
export interface Notebook {
  cells: NotebookCell[];
  metadata: { kernelspec?: { name?: string }; [key: string]: unknown };
  nbformat: number;
  nbformat_minor: number;
}

/** The MIME type of a plotly figure in a bundle. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/**
 * Reads a notebook file.
 *
 * @example
 * ```ts
 * import { readNotebook } from "./notebook.ts";
 * const path = await Deno.makeTempFile({ suffix: ".ipynb" });
 * const cell = { cell_type: "markdown", metadata: {}, source: ["# Title"] };
 * await Deno.writeTextFile(path, JSON.stringify({ cells: [cell], metadata: {}, nbformat: 4 }));
 * const nb = await readNotebook(path);
 * if (nb.cells.length !== 1) throw new Error(`${nb.cells.length} cells`);
 * await Deno.remove(path);
 * ```
 */
export async function readNotebook(path: string): Promise<Notebook> {
  const nb = JSON.parse(await Deno.readTextFile(path)) as Notebook;
  if (!Array.isArray(nb.cells) || nb.nbformat !== 4) {
    throw new Error(`${path}: not an nbformat 4 notebook`);
  }
  return nb;
}

/**
 * A multi-line field of nbformat (a string or a list of lines) as one string.
 *
 * @example
 * ```ts
 * import { joinLines } from "./notebook.ts";
 * if (joinLines(["a\n", "b"]) !== "a\nb") throw new Error();
 * ```
 */
export function joinLines(value: unknown): string {
  return Array.isArray(value) ? value.join("") : typeof value === "string" ? value : "";
}

/**
 * Text without ANSI colour codes (Deno's kernel colours `text/plain` of values).
 *
 * @example
 * ```ts
 * import { stripAnsi } from "./notebook.ts";
 * if (stripAnsi("\x1b[33m0.5\x1b[39m") !== "0.5") throw new Error();
 * ```
 */
export function stripAnsi(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
}

/**
 * Why a notebook is not fit to commit: every code cell that holds outputs or an execution count.
 * An empty list means clean.
 *
 * @example
 * ```ts
 * import { savedOutputProblems } from "./notebook.ts";
 * const nb = { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [
 *   { cell_type: "code" as const, source: "1", outputs: [], execution_count: 3 },
 * ] };
 * if (savedOutputProblems(nb).length !== 1) throw new Error();
 * ```
 */
export function savedOutputProblems(nb: Notebook): string[] {
  const problems: string[] = [];
  nb.cells.forEach((cell, index) => {
    if (cell.cell_type !== "code") return;
    if ((cell.outputs ?? []).length > 0) {
      problems.push(`cell ${index}: ${cell.outputs!.length} output(s)`);
    }
    if (cell.execution_count !== null && cell.execution_count !== undefined) {
      problems.push(`cell ${index}: execution count ${cell.execution_count}`);
    }
  });
  return problems;
}

/** An error output, located. */
export interface CellError {
  /** Index of the cell in the notebook (0-based, markdown cells counted). */
  cell: number | null;
  ename: string;
  evalue: string;
}

/**
 * Every `error` output of a notebook, with its cell.
 *
 * @example
 * ```ts
 * import { errorOutputs } from "./notebook.ts";
 * const nb = { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [
 *   { cell_type: "code" as const, source: "x", outputs: [
 *     { output_type: "error" as const, ename: "ReferenceError", evalue: "x is not defined" },
 *   ] },
 * ] };
 * if (errorOutputs(nb)[0].cell !== 0) throw new Error();
 * ```
 */
export function errorOutputs(nb: Notebook): CellError[] {
  return nb.cells.flatMap((cell, index) =>
    (cell.outputs ?? []).filter((o) => o.output_type === "error").map((o) => ({
      cell: index,
      ename: o.ename ?? "",
      evalue: stripAnsi(o.evalue ?? ""),
    }))
  );
}

/** A displayed output's data (display_data or execute_result) with its cell. */
export interface DisplayedData {
  cell: number;
  data: Record<string, unknown>;
}

/**
 * The data of every display_data and execute_result output, in order.
 *
 * @example
 * ```ts
 * import { displayedData } from "./notebook.ts";
 * const nb = { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [
 *   { cell_type: "code" as const, source: "1", outputs: [
 *     { output_type: "execute_result" as const, data: { "text/plain": "1" } },
 *   ] },
 * ] };
 * if (displayedData(nb).length !== 1) throw new Error();
 * ```
 */
export function displayedData(nb: Notebook): DisplayedData[] {
  return nb.cells.flatMap((cell, index) =>
    (cell.outputs ?? [])
      .filter((o) => o.output_type === "display_data" || o.output_type === "execute_result")
      .map((o) => ({ cell: index, data: o.data ?? {} }))
  );
}

/**
 * The plotly figures a notebook displayed: bundles holding `application/vnd.plotly.v1+json`,
 * each with whether its `text/html` fallback draws it (a `Plotly.newPlot` call).
 *
 * @example
 * ```ts
 * import { plotlyOutputs } from "./notebook.ts";
 * const nb = { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [
 *   { cell_type: "code" as const, source: "", outputs: [{ output_type: "display_data" as const,
 *     data: { "application/vnd.plotly.v1+json": { data: [] }, "text/html": "Plotly.newPlot(" } }] },
 * ] };
 * if (!plotlyOutputs(nb)[0].htmlFallback) throw new Error();
 * ```
 */
export function plotlyOutputs(nb: Notebook): { cell: number; htmlFallback: boolean }[] {
  return displayedData(nb)
    .filter((d) => PLOTLY_MIME in d.data)
    .map((d) => ({
      cell: d.cell,
      htmlFallback: joinLines(d.data["text/html"]).includes("Plotly.newPlot("),
    }));
}

/** A table read back from text. */
export interface ParsedTable {
  columns: string[];
  rows: string[][];
}

/**
 * Parses a markdown table (`| a | b |` lines, a `| --- |` rule after the header) out of text;
 * `null` when there is none. ANSI codes are removed first.
 *
 * @example
 * ```ts
 * import { parseMarkdownTable } from "./notebook.ts";
 * const t = parseMarkdownTable("| m | auc |\n| --- | --- |\n| a | 0.9 |");
 * if (t?.rows[0][1] !== "0.9") throw new Error();
 * ```
 */
export function parseMarkdownTable(text: string): ParsedTable | null {
  const lines = stripAnsi(text).split("\n").map((l) => l.trim()).filter((l) => l.startsWith("|"));
  const cells = (line: string) => line.replace(/^\||\|$/g, "").split("|").map((c) => c.trim());
  const rule = lines.findIndex((l) => /^\|(\s*:?-{3,}:?\s*\|)+$/.test(l));
  if (rule < 1) return null;
  return { columns: cells(lines[rule - 1]), rows: lines.slice(rule + 1).map(cells) };
}

/**
 * The final table of a notebook: the markdown table in the `text/plain` of the last displayed
 * output of its last code cell that has outputs, with every number of each column whose name
 * contains "auc" (cells that are not numbers, e.g. `-`, are skipped).
 *
 * @example
 * ```ts
 * import { finalTableAucs } from "./notebook.ts";
 * const nb = { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [
 *   { cell_type: "code" as const, source: "", outputs: [{ output_type: "display_data" as const,
 *     data: { "text/plain": "| model | auc |\n| --- | --- |\n| a | 0.9 |\n| b | - |" } }] },
 * ] };
 * const t = finalTableAucs(nb);
 * if (t?.aucs.length !== 1 || t.aucs[0] !== 0.9) throw new Error();
 * ```
 */
export function finalTableAucs(
  nb: Notebook,
): { cell: number; table: ParsedTable; aucs: number[] } | null {
  const last = nb.cells.findLastIndex((c) => c.cell_type === "code" && (c.outputs ?? []).length);
  if (last < 0) return null;
  const shown = displayedData({ ...nb, cells: [nb.cells[last]] });
  if (shown.length === 0) return null;
  const table = parseMarkdownTable(joinLines(shown.at(-1)!.data["text/plain"]));
  if (!table) return null;
  const aucColumns = table.columns.flatMap((c, i) => (/auc/i.test(c) ? [i] : []));
  const aucs = table.rows.flatMap((row) =>
    aucColumns.map((i) => row[i]).filter((v) => v !== undefined && /^-?[\d.]+(e-?\d+)?$/i.test(v))
      .map(Number)
  );
  return { cell: last, table, aucs };
}
