/**
 * The scores CSV of a run (`scores.csv`, and what `deno task score` writes): one row per item with
 * `item,score,class,label,decision` (label 1 = anomalous; decision at the calibrated threshold).
 *
 * @module
 */

import type { Calibration } from "../train/checkpoint.ts";
import { writeFileAtomic } from "../util/atomic.ts";

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
    const decision = calibration ? (scores[i] >= calibration.threshold ? 1 : 0) : "";
    lines.push(
      `${names?.[i] ?? i},${scores[i]},${classes?.[i] ?? ""},${isAnomaly?.[i] ?? ""},${decision}`,
    );
  }
  await writeFileAtomic(path, lines.join("\n") + "\n");
}

/**
 * Reads a scores CSV as written by {@link writeScoresCsv}; columns are found by the header. Errors
 * name the file and line.
 */
export async function readScoresCsv(path: string): Promise<ScoreRows> {
  const lines = (await Deno.readTextFile(path)).split(/\r?\n/).filter((l) => l.trim() !== "");
  const header = lines[0]?.split(",") ?? [];
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
    if (!Number.isFinite(score)) throw new Error(`${path}:${n + 1}: score '${at(iScore)}'`);
    rows.items.push(iItem >= 0 ? cells.slice(0, tail + 1).join(",") : String(n - 1));
    rows.scores.push(score);
    rows.classes.push(at(iClass) === "" ? NaN : Number(at(iClass)));
    const label = at(iLabel);
    if (label === "") labelled = false;
    rows.labels.push(Number(label));
    rows.decisions.push(at(iDecision) === "" ? NaN : Number(at(iDecision)));
  }
  if (!labelled) rows.labels = [];
  return rows;
}
