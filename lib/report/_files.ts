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
