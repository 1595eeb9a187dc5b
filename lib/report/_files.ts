/**
 * Reading what a run directory holds: its manifest, JSON files and `scores.csv`. Errors name the
 * file and what was wrong with it.
 *
 * @module
 */

import { join } from "@std/path";
import { exists } from "../util/atomic.ts";

/** The manifest `run.json` of a train or distill run, as far as the report reads it. */
export interface RunManifest {
  kind: "train" | "distill";
  status?: string;
  [field: string]: unknown;
}

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

/** Reads `run.json` of `runDir`; a folder that is not a run gives an error naming it. */
export async function readRunManifest(runDir: string): Promise<RunManifest> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(runDir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new Error(`${runDir}: no such directory`);
    throw error;
  }
  if (!info.isDirectory) throw new Error(`${runDir}: not a directory`);
  const path = join(runDir, "run.json");
  if (!(await exists(path))) {
    throw new Error(
      `${runDir} is not a run directory: it holds no run.json ` +
        `(expected the --out folder of deno task train or deno task distill)`,
    );
  }
  const manifest = await readJson(path);
  if (typeof manifest !== "object" || manifest === null || Array.isArray(manifest)) {
    throw new Error(`${path}: expected a JSON object`);
  }
  const kind = (manifest as Record<string, unknown>).kind;
  if (kind !== "train" && kind !== "distill") {
    throw new Error(`${path}: kind is ${JSON.stringify(kind)}, expected "train" or "distill"`);
  }
  return manifest as RunManifest;
}

/** Parses a JSON file; an error names the file. */
export async function readJson(path: string): Promise<unknown> {
  const text = await Deno.readTextFile(path);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: not valid JSON (${(error as Error).message})`);
  }
}

/** Parses a JSON file when it exists; `undefined` when it does not. */
export async function readJsonIfExists(path: string): Promise<unknown | undefined> {
  return await exists(path) ? await readJson(path) : undefined;
}

/** Reads `scores.csv` as written by `writeScoresCsv` (item,score,class,label,decision). */
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
