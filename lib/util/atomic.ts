/**
 * Writing files so that a crash never leaves one half-written: write a temporary file beside the
 * target, then rename it over the target (atomic on POSIX file systems).
 *
 * @module
 */

import { basename, dirname, join } from "@std/path";
import { processAlive } from "./run_lock.ts";

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
 * old complete contents or the new complete contents. The temporary folders are named per writer
 * (`path.tmp-<pid>-<random>`, `path.old-<pid>-<random>`), so that two writers never write into
 * or delete each other's. A crash in between leaves a `path.old-*`, which {@link recoverFolder}
 * puts back.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { replaceFolderAtomic } from "./atomic.ts";
 * const dir = await Deno.makeTempDir();
 * await replaceFolderAtomic(`${dir}/ckpt`, async (tmp) => {
 *   await Deno.writeTextFile(`${tmp}/x`, "1");
 * });
 * assertEquals(await Deno.readTextFile(`${dir}/ckpt/x`), "1");
 * ```
 */
export async function replaceFolderAtomic(
  path: string,
  fill: (tmpDir: string) => Promise<void>,
): Promise<void> {
  const tag = `${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const tmp = `${path}.tmp-${tag}`;
  const old = `${path}.old-${tag}`;
  await removeDeadWritersTemps(path);
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
 * Puts back the previous folder when a crash during {@link replaceFolderAtomic} left `path`
 * missing (`path.old-*`, or `path.old` from older versions; the newest when there are several).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { recoverFolder } from "./atomic.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/ckpt.old-1-abc`);
 * await recoverFolder(`${dir}/ckpt`);
 * assertEquals((await Deno.stat(`${dir}/ckpt`)).isDirectory, true);
 * ```
 */
export async function recoverFolder(path: string): Promise<void> {
  if (await exists(path)) return;
  const parent = dirname(path);
  const prefix = `${basename(path)}.old`;
  let newest: { name: string; time: number } | undefined;
  try {
    for await (const entry of Deno.readDir(parent)) {
      if (entry.name !== prefix && !entry.name.startsWith(`${prefix}-`)) continue;
      const time = (await Deno.stat(join(parent, entry.name))).mtime?.getTime() ?? 0;
      if (!newest || time > newest.time) newest = { name: entry.name, time };
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  if (newest) await Deno.rename(join(parent, newest.name), path);
}

/**
 * Removes `path.tmp` and `path.tmp-<pid>-*` folders left by writers on this host that are no
 * longer running (killed while filling one).
 */
async function removeDeadWritersTemps(path: string): Promise<void> {
  const parent = dirname(path);
  const prefix = `${basename(path)}.tmp`;
  const dead: string[] = [];
  try {
    for await (const entry of Deno.readDir(parent)) {
      if (entry.name === prefix) dead.push(entry.name);
      const pid = entry.name.startsWith(`${prefix}-`)
        ? Number(entry.name.slice(prefix.length + 1).split("-")[0])
        : NaN;
      if (Number.isInteger(pid) && pid !== Deno.pid && !processAlive(pid)) dead.push(entry.name);
    }
  } catch {
    return;
  }
  for (const name of dead) {
    await Deno.remove(join(parent, name), { recursive: true }).catch(() => {});
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
