/**
 * File helpers shared by the loaders (private).
 *
 * @module
 */

import { gunzipSync } from "node:zlib";
import { exists } from "../util/atomic.ts";
import type { SkippedFiles } from "./types.ts";

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
export function envVar(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

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
 * Every PNG/JPEG under `dir` (subfolders too), sorted; hidden files and folders are skipped and
 * counted, as are files that are not images. Example names are relative to `root`.
 */
export async function listImageFiles(dir: string, root: string): Promise<ImageListing> {
  const files: string[] = [];
  const hidden: string[] = [];
  const other: string[] = [];
  const rel = (path: string) => path.startsWith(root + "/") ? path.slice(root.length + 1) : path;
  const walk = async (d: string, inHidden: boolean) => {
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
      if (e.isDirectory) await walk(path, skip);
      else if (!e.isFile) continue;
      else if (skip) hidden.push(rel(path));
      else if (IMAGE_EXT.test(e.name)) files.push(path);
      else other.push(rel(path));
    }
  };
  await walk(dir, false);
  const skipped: SkippedFiles[] = [];
  if (hidden.length > 0) {
    skipped.push({
      reason: "hidden (.*, ._*, .ipynb_checkpoints, __MACOSX)",
      count: hidden.length,
      examples: hidden.slice(0, EXAMPLES),
    });
  }
  if (other.length > 0) {
    skipped.push({
      reason: "not a PNG or JPEG file",
      count: other.length,
      examples: other.slice(0, EXAMPLES),
    });
  }
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
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const path = `${d}/${e.name}`;
      if (e.isDirectory) await walk(path);
      else if (e.isFile) {
        const info = await Deno.stat(path);
        lines.push(`${path}\u0000${info.size}\u0000${info.mtime?.getTime() ?? ""}`);
      }
    }
  };
  await walk(dir).catch(() => lines.push("(unreadable)"));
  const bytes = new TextEncoder().encode(lines.sort().join("\n"));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}
