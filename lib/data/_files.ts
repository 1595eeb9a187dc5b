/**
 * File helpers shared by the loaders (private).
 *
 * @module
 */

import { gunzipSync } from "node:zlib";
import { exists } from "../util/atomic.ts";
import type { SkippedFiles } from "./types.ts";
import { envVar } from "../util/env.ts";

export { exists };

/** True when `bytes` start with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Reads a file, naming it when it is missing or unreadable. */
export async function readFileNamed(path: string, what: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error(`${what}: file not found: ${path}`);
    }
    throw new Error(`${what}: cannot read ${path}: ${(err as Error).message}`);
  }
}

/** Reads a file and gunzips it when it is gzip-compressed (detected by magic, not by name). */
export async function readMaybeGzip(path: string, what: string): Promise<Uint8Array> {
  const bytes = await readFileNamed(path, what);
  if (!isGzip(bytes)) return bytes;
  try {
    const out = gunzipSync(bytes);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    throw new Error(
      `${what}: ${path} is not a complete gzip file (${(err as Error).message}); ` +
        `expected a gzip-compressed file, perhaps the download broke off`,
    );
  }
}

/** The first of `names` that exists in `dir`, or undefined. */
export async function findFirst(dir: string, names: string[]): Promise<string | undefined> {
  for (const name of names) {
    const path = `${dir}/${name}`;
    if (await exists(path)) return path;
  }
  return undefined;
}

/** An environment variable, or undefined when unset or when env access is not granted. */
export { envVar };

/** The per-user cache directory of edegan: `$EDEGAN_CACHE_DIR`, else `$XDG_CACHE_HOME/edegan`, else `~/.cache/edegan`. */
export function cacheRoot(): string {
  const explicit = envVar("EDEGAN_CACHE_DIR");
  if (explicit) return explicit;
  const xdg = envVar("XDG_CACHE_HOME");
  if (xdg) return `${xdg}/edegan`;
  const home = envVar("HOME") ?? envVar("USERPROFILE") ?? ".";
  return `${home}/.cache/edegan`;
}

/** `~/x` -> `$HOME/x`, so that flags written with a tilde in quotes still work. */
export function expandHome(path: string): string {
  if (path === "~" || path.startsWith("~/")) {
    return (envVar("HOME") ?? envVar("USERPROFILE") ?? "~") + path.slice(1);
  }
  return path;
}

/** File names that are images a folder loader reads. */
export const IMAGE_EXT = /\.(png|jpe?g)$/i;

/**
 * Names that are never data: anything starting with `.` (macOS `._a.png` resource forks,
 * `.DS_Store`, Jupyter's `.ipynb_checkpoints/`, `.git/`) and macOS's `__MACOSX/`.
 */
export function isHiddenName(name: string): boolean {
  return name.startsWith(".") || name === "__MACOSX";
}

/** The images under a folder, and what was passed over. */
export interface ImageListing {
  /** Image paths (`dir/...`), sorted by path. */
  files: string[];
  /** Hidden files and non-images, counted by reason (reasons with no files left out). */
  skipped: SkippedFiles[];
}

const EXAMPLES = 3;

/**
 * What a directory entry is once symbolic links are followed: a file, a folder, or a link that
 * leads nowhere (`dangling`: its target does not exist; `loop`: links that point at each other).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { followedKind } from "./_files.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.png`, "");
 * await Deno.symlink(`${dir}/a.png`, `${dir}/b.png`);
 * await Deno.symlink(`${dir}/gone.png`, `${dir}/c.png`);
 * assertEquals(await followedKind(`${dir}/b.png`, { isFile: false, isDirectory: false, isSymlink: true }), "file");
 * assertEquals(await followedKind(`${dir}/c.png`, { isFile: false, isDirectory: false, isSymlink: true }), "dangling");
 * ```
 */
export async function followedKind(
  path: string,
  entry: Pick<Deno.DirEntry, "isFile" | "isDirectory" | "isSymlink">,
): Promise<"file" | "folder" | "dangling" | "loop" | "other"> {
  if (!entry.isSymlink) return entry.isFile ? "file" : entry.isDirectory ? "folder" : "other";
  try {
    const info = await Deno.stat(path);
    return info.isFile ? "file" : info.isDirectory ? "folder" : "other";
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "dangling";
    if (error instanceof Deno.errors.FilesystemLoop) return "loop";
    throw new Error(`cannot follow the symbolic link ${path} (${(error as Error).message})`);
  }
}

/** The reasons a listing gives for symbolic links it cannot follow. */
export const LINK_REASONS = {
  dangling: "a symbolic link whose target does not exist",
  loop: "a symbolic link loop (links pointing at each other, or at a folder above them)",
} as const;

/**
 * Every PNG/JPEG under `dir` (subfolders too), sorted; symbolic links to files and folders are
 * followed (a dataset built with `ln -s` is read like a copy). Hidden files and folders, files that
 * are not images, dangling links and link loops are skipped and counted by reason. Example names
 * are relative to `root`.
 */
export async function listImageFiles(dir: string, root: string): Promise<ImageListing> {
  const files: string[] = [];
  const hidden: string[] = [];
  const other: string[] = [];
  const dangling: string[] = [];
  const loops: string[] = [];
  const rel = (path: string) => path.startsWith(root + "/") ? path.slice(root.length + 1) : path;
  // Real paths of the folders being read, so that a link to a folder above is a loop, not endless.
  const open = new Set<string>();
  const walk = async (d: string, inHidden: boolean) => {
    const real = await Deno.realPath(d).catch(() => d);
    if (open.has(real)) {
      loops.push(rel(d));
      return;
    }
    open.add(real);
    const entries: Deno.DirEntry[] = [];
    try {
      for await (const e of Deno.readDir(d)) entries.push(e);
    } catch (error) {
      throw new Error(`cannot read folder ${d} (${(error as Error).message})`);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const path = `${d}/${e.name}`;
      const skip = inHidden || isHiddenName(e.name);
      const kind = await followedKind(path, e);
      if (kind === "folder") await walk(path, skip);
      else if (kind === "other") continue;
      else if (skip) hidden.push(rel(path));
      else if (kind === "dangling") dangling.push(rel(path));
      else if (kind === "loop") loops.push(rel(path));
      else if (IMAGE_EXT.test(e.name)) files.push(path);
      else other.push(rel(path));
    }
    open.delete(real);
  };
  await walk(dir, false);
  const skipped: SkippedFiles[] = [];
  const count = (reason: string, list: string[]) => {
    if (list.length > 0) {
      skipped.push({ reason, count: list.length, examples: list.slice(0, EXAMPLES) });
    }
  };
  count("hidden (.*, ._*, .ipynb_checkpoints, __MACOSX)", hidden);
  count("not a PNG or JPEG file", other);
  count(LINK_REASONS.dangling, dangling);
  count(LINK_REASONS.loop, loops);
  return { files, skipped };
}

/** Skipped-file counts of several listings added up by reason. */
export function mergeSkipped(...lists: SkippedFiles[][]): SkippedFiles[] {
  const byReason = new Map<string, SkippedFiles>();
  for (const s of lists.flat()) {
    const seen = byReason.get(s.reason);
    if (!seen) byReason.set(s.reason, { ...s, examples: [...s.examples] });
    else {
      seen.count += s.count;
      seen.examples = [...seen.examples, ...s.examples].slice(0, EXAMPLES);
    }
  }
  return [...byReason.values()];
}

/**
 * A digest of every file's path, size and modification time under `dir`: it changes when a file
 * is added, removed or rewritten, so that a cached decode of the folder is not served stale.
 */
export async function folderFingerprint(dir: string): Promise<string> {
  const lines: string[] = [];
  const open = new Set<string>();
  const walk = async (d: string) => {
    const real = await Deno.realPath(d);
    if (open.has(real)) return; // a link loop: listImageFiles counts it
    open.add(real);
    for await (const e of Deno.readDir(d)) {
      const path = `${d}/${e.name}`;
      // Linked files and folders count as what they point at (their target's size and time).
      const kind = await followedKind(path, e).catch(() => "other");
      if (kind === "folder") await walk(path);
      else if (kind === "file") {
        const info = await Deno.stat(path);
        lines.push(`${path}\u0000${info.size}\u0000${info.mtime?.getTime() ?? ""}`);
      } else if (kind === "dangling" || kind === "loop") lines.push(`${path}\u0000${kind}`);
    }
    open.delete(real);
  };
  await walk(dir).catch(() => lines.push("(unreadable)"));
  const bytes = new TextEncoder().encode(lines.sort().join("\n"));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * What a folder's top-level entries say about a dataset that was not found in it: a folder
 * dataset's `train/` or `test/` (`"folders"`), else loose PNG/JPEG files (`"images"`), else
 * `undefined`. Hidden names are not counted. Pure: `entries` are the folder's own, links followed.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { imageFolderKind } from "./_files.ts";
 * assertEquals(imageFolderKind([{ name: "test", isDirectory: true }]), "folders");
 * assertEquals(imageFolderKind([{ name: "a.PNG", isDirectory: false }]), "images");
 * assertEquals(imageFolderKind([{ name: "._a.png", isDirectory: false }]), undefined);
 * ```
 */
export function imageFolderKind(
  entries: Iterable<{ name: string; isDirectory: boolean }>,
): "folders" | "images" | undefined {
  let images = false;
  for (const { name, isDirectory } of entries) {
    if (isDirectory && (name === "train" || name === "test")) return "folders";
    if (!isDirectory && !isHiddenName(name) && IMAGE_EXT.test(name)) images = true;
  }
  return images ? "images" : undefined;
}

/** At most this many entries of a folder are looked at for {@linkcode imageFolderHint}. */
const HINT_ENTRIES = 1000;

/**
 * A hint for a dataset's "file not found" error when `dir` looks like a folder of images instead
 * (see {@linkcode imageFolderKind}): `"<dir> holds image folders: pass --dataset folder"`, or for
 * loose images one naming where `--dataset folder` reads them; `undefined` when it looks like
 * neither or cannot be read. Reads at most the first 1000 top-level entries (it runs on the error
 * path only).
 *
 * @example
 * ```ts
 * import { imageFolderHint } from "./_files.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/train`);
 * if (await imageFolderHint(dir) !== `${dir} holds image folders: pass --dataset folder`) {
 *   throw new Error();
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function imageFolderHint(dir: string): Promise<string | undefined> {
  const entries: { name: string; isDirectory: boolean }[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      const kind = await followedKind(`${dir}/${e.name}`, e);
      entries.push({ name: e.name, isDirectory: kind === "folder" });
      if (entries.length >= HINT_ENTRIES) break;
    }
  } catch {
    return undefined;
  }
  const kind = imageFolderKind(entries);
  return kind === "folders"
    ? `${dir} holds image folders: pass --dataset folder`
    : kind === "images"
    ? `${dir} holds PNG/JPEG images: --dataset folder reads them from ${dir}/train/ and ` +
      `${dir}/test/`
    : undefined;
}
