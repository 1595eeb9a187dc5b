/**
 * Anomaly labels as people write them in CSV files: `0`/`normal` and `1`/`anomalous`, in a
 * folder dataset's `labels.csv` and in a scores CSV that `deno task eval` reads.
 *
 * @module
 */

import { readCsvRecords } from "../util/csv.ts";

/**
 * An anomaly label as written in a labels or scores CSV: `0`/`normal` -> 0, `1`/`anomalous` -> 1
 * (any case, surrounding spaces and quotes ignored); anything else -> `undefined`.
 *
 * @example
 * ```ts
 * import { parseAnomalyLabel } from "./labels.ts";
 * if (parseAnomalyLabel(" Anomalous") !== 1 || parseAnomalyLabel("0") !== 0) throw new Error();
 * if (parseAnomalyLabel("2") !== undefined) throw new Error();
 * ```
 */
export function parseAnomalyLabel(text: string): 0 | 1 | undefined {
  const raw = text.trim().replace(/^"(.*)"$/, "$1").trim().toLowerCase();
  return raw === "0" || raw === "normal" ? 0 : raw === "1" || raw === "anomalous" ? 1 : undefined;
}

/**
 * Parses a labels CSV into (file, 0|1) pairs, through `@std/csv` (quoted fields: a file named
 * `a,b.png` is written `"a,b.png"`). Without a header each line is `file,label`; a header naming
 * `file` and `label` may list other columns too (`file,label,defect_type`), which are not read.
 * Lines starting with `#` are comments. Errors name the CSV line and what was expected.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseLabelsCsv } from "./labels.ts";
 * assertEquals(parseLabelsCsv("file,label\na.png,0\nb.png,anomalous\n", "labels.csv"),
 *   [["a.png", 0], ["b.png", 1]]);
 * assertEquals(parseLabelsCsv('defect,file,label\nscratch,"x,1.png",1\n', "labels.csv"),
 *   [["x,1.png", 1]]);
 * ```
 */
export function parseLabelsCsv(text: string, name: string): Array<[string, number]> {
  const records = readCsvRecords(text, name, "#");
  const first = records[0]?.fields.map((f) => f.trim().toLowerCase()) ?? [];
  const hasHeader = first.includes("file") && first.includes("label");
  if (!hasHeader && first.includes("label")) {
    throw new Error(
      `${name}:${records[0].line}: the header "${first.join(",")}" names a "label" column but no ` +
        `"file" column, expected "file,label" (other columns are not read)`,
    );
  }
  if (!hasHeader && first.length > 2) {
    throw new Error(
      `${name}:${records[0].line}: ${first.length} columns without a header, expected ` +
        `"file,label", or a first line naming the columns "file" and "label" (others are not read)`,
    );
  }
  const [iFile, iLabel] = hasHeader ? [first.indexOf("file"), first.indexOf("label")] : [0, 1];
  const out: Array<[string, number]> = [];
  for (const { fields, line } of records.slice(hasHeader ? 1 : 0)) {
    if (fields.length <= Math.max(iFile, iLabel)) {
      throw new Error(
        `${name}:${line}: "${fields.join(",")}" has ${fields.length} field(s), expected ` +
          (hasHeader ? `the header's columns "${first.join(",")}"` : `"file,label"`),
      );
    }
    const file = fields[iFile].trim();
    const raw = fields[iLabel].trim().toLowerCase();
    const label = parseAnomalyLabel(raw);
    if (label === undefined) {
      throw new Error(
        `${name}:${line}: label "${raw}" of ${file}, expected 0, 1, normal or anomalous`,
      );
    }
    out.push([file, label]);
  }
  return out;
}

/**
 * Whether a CSV is meant as a labels file (see {@linkcode parseLabelsCsv}): its first line names
 * a `label` column, or, without such a header, reads as `file,label` (two fields, the second a
 * label). A file of another kind that happens to be named `labels.csv` (`id,species`) is not; one
 * that is meant as labels but has a bad line further down (or a header without `file`, or a quote
 * the CSV reader rejects) is, so that its error is reported rather than the labels silently
 * dropped. The first line is read as CSV, or split at commas where the whole text is not CSV.
 *
 * @example
 * ```ts
 * import { isLabelsCsv } from "./labels.ts";
 * if (!isLabelsCsv("file,label\na.png,0\nb.png,2\n", "labels.csv")) throw new Error("header");
 * if (!isLabelsCsv("a.png,normal\nb.png,oops\n", "labels.csv")) throw new Error("no header");
 * if (isLabelsCsv("id,species\n1,cat\n", "labels.csv")) throw new Error("another kind");
 * if (!isLabelsCsv("filename,label\na.png,1\n", "labels.csv")) throw new Error("no file column");
 * if (!isLabelsCsv('file,label\na"b.png,1\n', "labels.csv")) throw new Error("a bad quote");
 * if (isLabelsCsv("", "labels.csv")) throw new Error("empty");
 * ```
 */
export function isLabelsCsv(text: string, name: string): boolean {
  let fields: string[] | undefined;
  try {
    fields = readCsvRecords(text, name, "#")[0]?.fields;
  } catch {
    fields = text.replace(/^\uFEFF/, "").split(/\r?\n/)
      .find((line) => line.trim() !== "" && !line.startsWith("#"))?.split(",");
  }
  const first = fields?.map((f) => f.trim().replace(/^"(.*)"$/, "$1").trim().toLowerCase());
  if (first === undefined) return false;
  if (first.includes("label")) return true;
  return first.length === 2 && parseAnomalyLabel(first[1]) !== undefined;
}
