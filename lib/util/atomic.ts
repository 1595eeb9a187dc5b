/**
 * Writing files so that a crash never leaves one half-written: write a temporary file beside the
 * target, then rename it over the target (atomic on POSIX file systems).
 *
 * @module
 */

import { dirname } from "@std/path";

/**
 * Writes bytes or text to `path` atomically, creating its folder.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./atomic.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/a.txt`, "hello");
 * if (await Deno.readTextFile(`${dir}/a.txt`) !== "hello") throw new Error();
 * ```
 */
export async function writeFileAtomic(path: string, content: string | Uint8Array): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    if (typeof content === "string") await Deno.writeTextFile(tmp, content);
    else await Deno.writeFile(tmp, content);
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
  }
}

/**
 * Writes a value as pretty JSON atomically.
 *
 * @example
 * ```ts
 * import { writeJsonAtomic } from "./atomic.ts";
 * const dir = await Deno.makeTempDir();
 * await writeJsonAtomic(`${dir}/a.json`, { a: 1 });
 * ```
 */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/**
 * Replaces the folder `path` with one that `fill` writes, so that `path` always holds either the
 * old complete contents or the new complete contents. A crash in between leaves `path.old`, which
 * {@link recoverFolder} puts back.
 *
 * @example
 * ```ts
 * import { replaceFolderAtomic } from "./atomic.ts";
 * const dir = await Deno.makeTempDir();
 * await replaceFolderAtomic(`${dir}/ckpt`, async (tmp) => {
 *   await Deno.writeTextFile(`${tmp}/x`, "1");
 * });
 * ```
 */
export async function replaceFolderAtomic(
  path: string,
  fill: (tmpDir: string) => Promise<void>,
): Promise<void> {
  const tmp = `${path}.tmp`;
  const old = `${path}.old`;
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
  await Deno.mkdir(tmp, { recursive: true });
  try {
    await fill(tmp);
  } catch (error) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw error;
  }
  await recoverFolder(path);
  const hadOld = await exists(path);
  if (hadOld) await Deno.rename(path, old);
  await Deno.rename(tmp, path);
  if (hadOld) await Deno.remove(old, { recursive: true });
}

/**
 * Puts back `path.old` when a crash during {@link replaceFolderAtomic} left `path` missing.
 *
 * @example
 * ```ts
 * import { recoverFolder } from "./atomic.ts";
 * await recoverFolder(await Deno.makeTempDir() + "/nothing");
 * ```
 */
export async function recoverFolder(path: string): Promise<void> {
  if (!(await exists(path)) && (await exists(`${path}.old`))) {
    await Deno.rename(`${path}.old`, path);
  }
}

/** Whether a path exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return false;
    }
    throw error;
  }
}
