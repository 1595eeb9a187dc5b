/**
 * The scores CSV of a run (`scores.csv`, and what `deno task score` writes): one row per item with
 * `item,score,class,label,decision` (label 1 = anomalous; decision at the calibrated threshold).
 *
 * @module
 */

import type { Calibration } from "./calibrate.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import { decide } from "./calibrate.ts";
import { parseAnomalyLabel } from "../data/folder.ts";

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

/**
 * Writes scores as CSV atomically: item, score, class, label (1 anomalous), decision.
 *
 * @example
 * ```ts
 * import { readScoresCsv, writeScoresCsv } from "./csv.ts";
 * const path = `${await Deno.makeTempDir()}/scores.csv`;
 * await writeScoresCsv(path, [0.1, 0.9], [0, 1], [3, 5], undefined);
 * const rows = await readScoresCsv(path);
 * if (rows.labels.join() !== "0,1") throw new Error();
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
  const lines = ["item,score,class,label,decision"];
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i])) {
      throw new Error(
        `${path}: not written, the score of ${names?.[i] ?? `item ${i}`} is ${scores[i]}`,
      );
    }
    const decision = calibration ? decide(scores[i], calibration) : "";
    lines.push(
      `${names?.[i] ?? i},${scores[i]},${classes?.[i] ?? ""},${isAnomaly?.[i] ?? ""},${decision}`,
    );
  }
  await writeFileAtomic(path, lines.join("\n") + "\n");
}

/**
 * Reads a scores CSV as written by {@link writeScoresCsv}; columns are found by the header. Labels
 * may be `0`/`1` or `normal`/`anomalous` (any case), as in a folder dataset's `labels.csv`.
 * Errors name the file and line: a score that is not a finite number, a label that is none of
 * those.
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
  // A byte-order mark (spreadsheets write one) is not part of the first column's name.
  const text = (await Deno.readTextFile(path)).replace(/^\uFEFF/, "");
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  const header = lines[0]?.split(",").map((h) => h.trim().toLowerCase()) ?? [];
  const col = (name: string) => header.indexOf(name);
  const [iItem, iScore, iClass, iLabel, iDecision] = [
    col("item"),
    col("score"),
    col("class"),
    col("label"),
    col("decision"),
  ];
  if (iScore < 0) throw new Error(`${path}: no 'score' column in header '${lines[0] ?? ""}'`);
  const rows: ScoreRows = { items: [], scores: [], classes: [], labels: [], decisions: [] };
  let labelled = iLabel >= 0;
  for (let n = 1; n < lines.length; n++) {
    // Item names (file names) may contain commas; the four numeric columns are the last four.
    const cells = lines[n].split(",");
    const tail = cells.length - header.length;
    const at = (i: number) => (i < 0 ? "" : cells[i === iItem ? i : i + tail] ?? "");
    const score = Number(at(iScore));
    if (at(iScore).trim() === "" || !Number.isFinite(score)) {
      throw new Error(`${path}:${n + 1}: score '${at(iScore)}', expected a finite number`);
    }
    rows.items.push(iItem >= 0 ? cells.slice(0, tail + 1).join(",") : String(n - 1));
    rows.scores.push(score);
    rows.classes.push(at(iClass) === "" ? NaN : Number(at(iClass)));
    const label = at(iLabel).trim();
    if (label === "") labelled = false;
    else {
      const value = parseAnomalyLabel(label);
      if (value === undefined) {
        throw new Error(
          `${path}:${n + 1}: label '${label}', expected 0, 1, normal or anomalous`,
        );
      }
      rows.labels.push(value);
    }
    rows.decisions.push(at(iDecision) === "" ? NaN : Number(at(iDecision)));
  }
  if (!labelled) rows.labels = [];
  return rows;
}
