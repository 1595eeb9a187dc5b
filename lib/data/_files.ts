/**
 * File helpers shared by the loaders (private).
 *
 * @module
 */

import { gunzipSync } from "node:zlib";
import { exists } from "../util/atomic.ts";

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
