/**
 * Helpers that know nothing of GANs: atomic writes (nothing written is ever half-written or
 * lost), reading JSON with errors that name the file, CSV through `@std/csv`, `--out` folders
 * and their one-writer lock, progress lines and a seeded random number generator.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readJson, writeJsonAtomic } from "./mod.ts";
 * const path = `${await Deno.makeTempDir()}/a.json`;
 * await writeJsonAtomic(path, { epoch: 2 });
 * assertEquals(await readJson(path), { epoch: 2 });
 * ```
 *
 * @module
 */
export * from "./atomic.ts";
export * from "./json.ts";
export * from "./csv.ts";
export * from "./out_dir.ts";
export * from "./run_lock.ts";
export * from "./progress.ts";
export * from "./rng.ts";
