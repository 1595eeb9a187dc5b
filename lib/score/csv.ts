/**
 * The scores CSV of a run (`scores.csv`, and what `deno task score` writes): one row per item with
 * `item,score,class,label,decision` (label 1 = anomalous; decision at the calibrated threshold).
 *
 * @module
 */

import type { Calibration } from "./calibrate.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import { decide } from "./calibrate.ts";
import { parseAnomalyLabel } from "../data/labels.ts";
import { csvText, readCsvRecords } from "../util/csv.ts";

/** One row of `scores.csv`. */
export interface ScoreRows {
  items: string[];
  scores: number[];
  /** Class index per item (NaN where the file has none). */
  classes: number[];
  /** 1 anomalous, 0 normal; empty when the file has no labels. */
  labels: number[];
  decisions: number[];
}

/** The columns of a scores CSV, in order. */
export const SCORE_COLUMNS = ["item", "score", "class", "label", "decision"] as const;

/**
 * Writes scores as CSV atomically: item, score, class, label (1 anomalous), decision. Item names
 * are quoted where they need it (RFC 4180, through `@std/csv`), so that a file named `a,b.png`
 * stays one field for every CSV reader.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readScoresCsv, writeScoresCsv } from "./csv.ts";
 * const path = `${await Deno.makeTempDir()}/scores.csv`;
 * await writeScoresCsv(path, [0.1, 0.9], [0, 1], [3, 5], undefined, ["a,b.png", "c.png"]);
 * assertEquals(await Deno.readTextFile(path),
 *   'item,score,class,label,decision\n"a,b.png",0.1,3,0,\nc.png,0.9,5,1,\n');
 * assertEquals((await readScoresCsv(path)).items, ["a,b.png", "c.png"]);
 * ```
 */
export async function writeScoresCsv(
  path: string,
  scores: ArrayLike<number>,
  isAnomaly: ArrayLike<number> | undefined,
  classes: ArrayLike<number> | undefined,
  calibration: Calibration | undefined,
  names?: string[],
): Promise<void> {
  const rows = [];
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i])) {
      throw new Error(
        `${path}: not written, the score of ${names?.[i] ?? `item ${i}`} is ${scores[i]}`,
      );
    }
    rows.push({
      item: names?.[i] ?? i,
      score: scores[i],
      class: classes?.[i],
      label: isAnomaly?.[i],
      decision: calibration ? decide(scores[i], calibration) : undefined,
    });
  }
  await writeFileAtomic(path, csvText(rows, [...SCORE_COLUMNS]));
}

/**
 * Reads a scores CSV as written by {@link writeScoresCsv} (or by any CSV writer: quoted fields,
 * a byte-order mark, `\r\n`); columns are found by the header. Labels may be `0`/`1` or
 * `normal`/`anomalous` (any case), as in a folder dataset's `labels.csv`. Errors name the file and
 * line: a score that is not a finite number, a label that is none of those, a row with a field
 * count other than the header's. A row with more fields, written before items were quoted, is
 * read as an item name holding commas when `item` is the first column.
 *
 * @example
 * ```ts
 * import { readScoresCsv } from "./csv.ts";
 * const path = `${await Deno.makeTempDir()}/s.csv`;
 * await Deno.writeTextFile(path, "item,score,label\na.png,0.1,normal\nb.png,0.9,Anomalous\n");
 * if ((await readScoresCsv(path)).labels.join() !== "0,1") throw new Error();
 * ```
 */
export async function readScoresCsv(path: string): Promise<ScoreRows> {
  const records = readCsvRecords(await Deno.readTextFile(path), path);
  const header = records[0]?.fields.map((h) => h.trim().toLowerCase()) ?? [];
  const col = (name: string) => header.indexOf(name);
  const [iItem, iScore, iClass, iLabel, iDecision] = SCORE_COLUMNS.map(col);
  if (iScore < 0) {
    throw new Error(`${path}: no 'score' column in header '${records[0]?.fields.join(",") ?? ""}'`);
  }
  const rows: ScoreRows = { items: [], scores: [], classes: [], labels: [], decisions: [] };
  let labelled = iLabel >= 0;
  for (const { fields: raw, line } of records.slice(1)) {
    let cells = raw;
    // Files written before items were quoted: the extra commas belong to the first column's item.
    if (cells.length > header.length && iItem === 0) {
      const tail = cells.length - header.length;
      cells = [cells.slice(0, tail + 1).join(","), ...cells.slice(tail + 1)];
    }
    if (cells.length !== header.length) {
      throw new Error(
        `${path}:${line}: ${cells.length} field(s), expected ${header.length} like the header`,
      );
    }
    const at = (i: number) => (i < 0 ? "" : cells[i]);
    const score = Number(at(iScore));
    if (at(iScore).trim() === "" || !Number.isFinite(score)) {
      throw new Error(`${path}:${line}: score '${at(iScore)}', expected a finite number`);
    }
    rows.items.push(iItem >= 0 ? cells[iItem] : String(rows.items.length));
    rows.scores.push(score);
    rows.classes.push(at(iClass).trim() === "" ? NaN : Number(at(iClass)));
    const label = at(iLabel).trim();
    if (label === "") labelled = false;
    else {
      const value = parseAnomalyLabel(label);
      if (value === undefined) {
        throw new Error(`${path}:${line}: label '${label}', expected 0, 1, normal or anomalous`);
      }
      rows.labels.push(value);
    }
    rows.decisions.push(at(iDecision).trim() === "" ? NaN : Number(at(iDecision)));
  }
  if (!labelled) rows.labels = [];
  return rows;
}
