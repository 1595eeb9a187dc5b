/**
 * Checking where a task will write before it does any work, so that a wrong `--out` fails at once
 * with an error naming the flag, not after training with a raw OS error.
 *
 * @module
 */

import { dirname } from "@std/path";

/** What {@link prepareOutDir} found. */
export interface OutDir {
  /** True when the folder did not exist and was made now. */
  created: boolean;
  /**
   * The folders made now, the outermost first (the folder itself last): `--out a/b/c` where only
   * `a` existed made `a/b` and `a/b/c`. Empty when the folder existed.
   */
  made?: string[];
}

/**
 * Makes sure `path` is a folder this process can write into, creating it (and its parents) when
 * missing. Errors name `flag`: a path that is a file, a folder that cannot be made, a folder
 * that cannot be written.
 *
 * @example
 * ```ts
 * import { prepareOutDir } from "./out_dir.ts";
 * const dir = await Deno.makeTempDir();
 * if (!(await prepareOutDir(`${dir}/run`, "--out")).created) throw new Error();
 * await Deno.writeTextFile(`${dir}/file`, "x");
 * let message = "";
 * await prepareOutDir(`${dir}/file`, "--out").catch((e) => message = e.message);
 * if (!message.startsWith(`--out ${dir}/file: is a file`)) throw new Error(message);
 * ```
 */
export async function prepareOutDir(path: string, flag: string): Promise<OutDir> {
  let created = false;
  let made: string[] = [];
  try {
    const info = await Deno.stat(path);
    if (!info.isDirectory) {
      throw new Error(
        `${flag} ${path}: is a file, expected a folder for the outputs (or a new path)`,
      );
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      if (error instanceof Deno.errors.NotADirectory) {
        throw new Error(`${flag} ${path}: a part of this path is a file, expected folders`);
      }
      if (error instanceof Error && error.message.startsWith(flag)) throw error;
      throw new Error(`${flag} ${path}: cannot look at it (${(error as Error).message})`);
    }
    try {
      made = await missingFolders(path);
      await Deno.mkdir(path, { recursive: true });
      created = true;
    } catch (mkdirError) {
      throw new Error(
        `${flag} ${path}: cannot create this folder (${reason(mkdirError)}); ` +
          "expected a path where a folder can be made",
      );
    }
  }
  const probe = `${path}/.edegan-write-test-${Deno.pid}`;
  try {
    await Deno.writeTextFile(probe, "");
    await Deno.remove(probe);
  } catch (error) {
    throw new Error(`${flag} ${path}: cannot write into this folder (${reason(error)})`);
  }
  return { created, made };
}

/**
 * Removes what {@link prepareOutDir} made for a run that was then refused: each folder it made,
 * the innermost first, while it is empty. A folder that existed before, or one that holds
 * anything (a file written since), is left as it is; nothing written is removed. Returns the
 * folders removed.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { prepareOutDir, removeMadeOutDir } from "./out_dir.ts";
 * const dir = await Deno.makeTempDir();
 * const made = await prepareOutDir(`${dir}/a/b`, "--out");
 * assertEquals(await removeMadeOutDir(made), [`${dir}/a/b`, `${dir}/a`]);
 * assertEquals(await Deno.stat(dir).then(() => true), true); // it was there before
 * const kept = await prepareOutDir(`${dir}/c`, "--out");
 * await Deno.writeTextFile(`${dir}/c/run.json`, "{}");
 * assertEquals(await removeMadeOutDir(kept), []);
 * ```
 */
export async function removeMadeOutDir(outDir: OutDir): Promise<string[]> {
  const removed: string[] = [];
  for (const folder of [...(outDir.made ?? [])].reverse()) {
    try {
      // Without `recursive`, a folder that is not empty is refused: what was written stays.
      await Deno.remove(folder);
      removed.push(folder);
    } catch {
      break;
    }
  }
  return removed;
}

/** The folders of `path` (itself included) that do not exist, the outermost first. */
async function missingFolders(path: string): Promise<string[]> {
  const missing: string[] = [];
  for (let folder = path;; folder = dirname(folder)) {
    try {
      await Deno.stat(folder);
      break;
    } catch {
      missing.unshift(folder);
    }
    if (dirname(folder) === folder) break;
  }
  return missing;
}

/**
 * Makes sure a file can be written at `path`: its folder exists or can be made and is writable,
 * and `path` itself is not a folder. Errors name `flag`.
 *
 * @example
 * ```ts
 * import { prepareOutFile } from "./out_dir.ts";
 * const dir = await Deno.makeTempDir();
 * await prepareOutFile(`${dir}/sub/scores.csv`, "--out");
 * let message = "";
 * await prepareOutFile(dir, "--out").catch((e) => message = e.message);
 * if (!message.includes("is a folder")) throw new Error(message);
 * ```
 */
export async function prepareOutFile(path: string, flag: string): Promise<void> {
  try {
    if ((await Deno.stat(path)).isDirectory) {
      throw new Error(`${flag} ${path}: is a folder, expected a file path`);
    }
  } catch (error) {
    if (error instanceof Error && error.message.startsWith(flag)) throw error;
  }
  const dir = dirname(path);
  await prepareOutDir(dir, flag).catch((error: Error) => {
    const why = error.message.slice(`${flag} ${dir}: `.length);
    throw new Error(`${flag} ${path}: cannot write a file in ${dir}: ${why}`);
  });
}

/** An OS error's message without its `(os error N)` code. */
function reason(error: unknown): string {
  return (error as Error).message.replace(/\s*\(os error \d+\)/, "");
}
