/**
 * Where `deno task score` writes its scores CSV and JSON, checked before any model is loaded: a
 * folder given as `--out` gets the default file name inside it, and a file already there is
 * replaced only when it is an earlier scores file of `deno task score`.
 *
 * @module
 */

import { basename, dirname, join } from "@std/path";
import { exists } from "../util/atomic.ts";
import { prepareOutFile } from "../util/out_dir.ts";
import { SCORE_COLUMNS } from "./csv.ts";

/** The files `deno task score` writes. */
export interface ScoresOutput {
  /** The scores CSV. */
  csv: string;
  /** The scores JSON (`--json`, else the CSV's path with `.json` for `.csv`). */
  json: string;
}

/** The first line of every scores CSV edegan writes. */
const HEADER = SCORE_COLUMNS.join(",");

/**
 * The CSV and JSON paths of `deno task score`, checked: `out` may be a file path or a folder (one
 * that exists, or any path ending in `/`: the CSV is then `out/fileName`); each folder must be writable; a file already at either path must
 * be an earlier scores file of `deno task score` (a CSV whose first line is
 * `item,score,class,label,decision`, a JSON with its `rows`), and a run's own `scores.csv` (with
 * a `run.json` beside it) is never replaced. Errors name `--out` or `--json` and what was expected;
 * nothing is written but the folders the files go into.
 *
 * @example
 * ```ts
 * import { assertEquals, assertRejects } from "@std/assert";
 * import { prepareScoresOutput } from "./scores_output.ts";
 * const dir = await Deno.makeTempDir();
 * assertEquals(await prepareScoresOutput(dir, "scores-test.csv"),
 *   { csv: `${dir}/scores-test.csv`, json: `${dir}/scores-test.json` });
 * await Deno.writeTextFile(`${dir}/notes.txt`, "hello\n");
 * await assertRejects(() => prepareScoresOutput(`${dir}/notes.txt`, "scores-test.csv"), Error,
 *   `--out ${dir}/notes.txt: exists and is not a scores CSV`);
 * ```
 */
export async function prepareScoresOutput(
  out: string,
  fileName: string,
  json?: string,
): Promise<ScoresOutput> {
  // A path that ends in a slash names a folder, made if missing.
  const csv = /[\\/]$/.test(out) || await isFolder(out) ? join(out, fileName) : out;
  const jsonPath = json ?? csv.replace(/\.csv$/, "") + ".json";
  const jsonFlag = json !== undefined ? "--json" : "--out";
  await prepareOutFile(csv, "--out");
  await prepareOutFile(jsonPath, jsonFlag);
  const replaceable = "expected a new file, a folder (scores go into it as " +
    `${fileName}) or an earlier output of \`deno task score\` to replace`;
  if (await exists(csv)) {
    const first = await firstLine(csv);
    if (first !== HEADER) {
      throw new Error(
        `--out ${csv}: exists and is not a scores CSV of \`deno task score\` (its first line is ` +
          `not ${HEADER}); ${replaceable}`,
      );
    }
    if (basename(csv) === "scores.csv" && await exists(join(dirname(csv), "run.json"))) {
      throw new Error(
        `--out ${csv}: is the run's own scores (beside its run.json), not replaced; ${replaceable}`,
      );
    }
  }
  if (await exists(jsonPath) && !await isScoresJson(jsonPath)) {
    throw new Error(
      `${jsonFlag} ${jsonPath}: exists and is not the scores JSON of \`deno task score\` (no ` +
        `"rows"); ` +
        (json !== undefined
          ? "expected a new file or an earlier scores JSON to replace"
          : `${replaceable}, or --json elsewhere`),
    );
  }
  return { csv, json: jsonPath };
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

/** The first line of a file (at most its first 4 KiB), without a byte-order mark or `\r`. */
async function firstLine(path: string): Promise<string> {
  using file = await Deno.open(path);
  const buffer = new Uint8Array(4096);
  const read = await file.read(buffer) ?? 0;
  const text = new TextDecoder().decode(buffer.subarray(0, read));
  return text.replace(/^\uFEFF/, "").split("\n")[0].replace(/\r$/, "");
}

async function isScoresJson(path: string): Promise<boolean> {
  try {
    const value = JSON.parse(await Deno.readTextFile(path));
    return typeof value === "object" && value !== null && Array.isArray(value.rows);
  } catch {
    return false;
  }
}
