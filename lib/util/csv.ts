/**
 * CSV text from rows of objects, by `@std/csv`'s `stringify` (RFC 4180 quoting: a field holding a
 * comma, a quote or a line break is quoted, its quotes doubled). Rows end with `\n`, not RFC 4180's
 * `\r\n`, as every CSV this project has written and committed does.
 *
 * @module
 */

import { stringify } from "@std/csv";

/**
 * The CSV text of `rows`: a header of `columns`, then one line per row with each column's value
 * (`null` and `undefined` as empty fields, numbers as `String(n)`), every line ending in `\n`.
 *
 * @example
 * ```ts
 * import { csvText } from "./csv.ts";
 * const text = csvText([{ name: 'a "b", c', auc: 0.5, gap: null }], ["name", "auc", "gap"]);
 * if (text !== 'name,auc,gap\n"a ""b"", c",0.5,\n') throw new Error(text);
 * ```
 */
export function csvText<Row extends object>(
  rows: readonly Row[],
  columns: readonly (keyof Row & string)[],
): string {
  const cols = [...columns];
  // stringify ends each record with RFC 4180's \r\n: one record per call, that ending cut off.
  const record = (text: string) => text.slice(0, -"\r\n".length) + "\n";
  const header = record(stringify([], { columns: cols }));
  return header + rows.map((row) => record(stringify([row], { columns: cols, headers: false })))
    .join("");
}
