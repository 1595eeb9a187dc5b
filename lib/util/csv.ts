/**
 * CSV in and out, by `@std/csv` (RFC 4180 quoting: a field holding a comma, a quote or a line
 * break is quoted, its quotes doubled), so that any CSV reader (Python's `csv`, pandas, a
 * spreadsheet) reads what this project writes, and this project reads what they write. Rows end
 * with `\n`, not RFC 4180's `\r\n`, as every CSV this project has written and committed does.
 *
 * @module
 */

import { parse, stringify } from "@std/csv";

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

/** One record of a CSV file and the line it starts on (1-based). */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/**
 * The records of CSV `text` (RFC 4180 quoting; a byte-order mark dropped; blank lines, and with
 * `comment` lines starting with it, skipped), each with the line it starts on. Records may have
 * different numbers of fields. Text that is not CSV (a quote left open) is an error naming `name`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readCsvRecords } from "./csv.ts";
 * const records = readCsvRecords('\uFEFFfile,label\n# note\n"a,b.png",1\n', "labels.csv", "#");
 * assertEquals(records, [
 *   { fields: ["file", "label"], line: 1 },
 *   { fields: ["a,b.png", "1"], line: 3 },
 * ]);
 * ```
 */
export function readCsvRecords(text: string, name: string, comment?: string): CsvRecord[] {
  text = text.replace(/^\uFEFF/, "");
  let rows: string[][];
  try {
    rows = parse(text, { fieldsPerRecord: -1, ...(comment ? { comment } : {}) });
  } catch (error) {
    throw new Error(
      `${name}: not readable as CSV (${(error as Error).message}); expected comma-separated ` +
        `fields, a field holding a comma, quote or line break "quoted" with its quotes doubled`,
    );
  }
  // The line of each record: the n-th line that is neither blank nor a comment, unless a quoted
  // field spans lines (then the count is the record's number, which is close enough to find it).
  const content = text.split(/\r?\n/).flatMap((line, i) =>
    line.trim() === "" || (comment && line.startsWith(comment)) ? [] : [i + 1]
  );
  rows = rows.filter((fields) => !(fields.length === 1 && fields[0].trim() === ""));
  const exact = content.length === rows.length;
  return rows.map((fields, i) => ({ fields, line: exact ? content[i] : i + 1 }));
}
