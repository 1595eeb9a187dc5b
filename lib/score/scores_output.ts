/**
 * Where `deno task score` writes its scores CSV and JSON, checked before any model is loaded: a
 * folder given as `--out` gets the default file name inside it, and a file already there is
 * replaced only when it is an earlier scores file of `deno task score`. And where `deno task eval`
 * finds them again, in such a folder or a run's.
 *
 * @module
 */

import { basename, dirname, join } from "@std/path";
import { exists } from "../util/atomic.ts";
import { prepareOutFile } from "../util/out_dir.ts";
import { SCORE_COLUMNS } from "./csv.ts";
import { SHIPPED_PREFIX, shippedRunDir } from "../ship/shipped.ts";

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

/**
 * The scores CSV that `run` names for `deno task eval`: a CSV file itself; in a folder, a run's
 * own `scores.csv` (train, distill, a shipped model), else the `scores-test.csv` that
 * `deno task score` writes, else its only `scores-*.csv`; a shipped model (`shipped:NAME`) is
 * its folder under `models/`. Errors name `flag`: nothing at `run`, no scores CSV in the folder,
 * several without a test one.
 *
 * @example
 * ```ts
 * import { assertEquals, assertRejects } from "@std/assert";
 * import { findScoresCsv } from "./scores_output.ts";
 * const dir = await Deno.makeTempDir();
 * await assertRejects(() => findScoresCsv(dir), Error, `--run ${dir}: no scores.csv`);
 * await Deno.writeTextFile(`${dir}/scores-images.csv`, "item,score\n");
 * assertEquals(await findScoresCsv(dir), `${dir}/scores-images.csv`);
 * ```
 */
export async function findScoresCsv(run: string, flag = "--run"): Promise<string> {
  if (run.startsWith(SHIPPED_PREFIX)) run = await shippedRunDir(run, undefined, flag);
  if (!await isFolder(run)) {
    if (await exists(run)) return run;
    throw new Error(
      `${flag} ${run}: no such file or folder; expected a run folder, shipped:NAME, a folder ` +
        "written by `deno task score`, or a scores CSV",
    );
  }
  for (const name of ["scores.csv", "scores-test.csv"]) {
    if (await exists(join(run, name))) return join(run, name);
  }
  const written: string[] = [];
  for await (const entry of Deno.readDir(run)) {
    if (/^scores-.+\.csv$/.test(entry.name) && !entry.isDirectory) written.push(entry.name);
  }
  if (written.length === 1) return join(run, written[0]);
  if (written.length > 1) {
    throw new Error(
      `${flag} ${run}: holds several scores CSVs (${written.sort().join(", ")}) and no ` +
        `scores-test.csv; expected one: give it as ${flag} ${join(run, written[0])}`,
    );
  }
  throw new Error(
    `${flag} ${run}: no scores.csv (a run's) or scores-*.csv (\`deno task score\`'s) in this ` +
      "folder; expected a run folder, a folder written by `deno task score`, or a scores CSV",
  );
}
