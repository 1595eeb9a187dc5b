/**
 * A small reader of tar archives (POSIX ustar, with GNU long names and pax path records), enough
 * to unpack dataset archives without a dependency.
 *
 * @module
 */

/**
 * One entry of a tar archive.
 *
 * @example
 * ```ts
 * import type { TarEntry } from "./tar.ts";
 * const e: TarEntry = { name: "a/b.bin", type: "file", data: new Uint8Array(3) };
 * if (e.type !== "file") throw new Error();
 * ```
 */
export interface TarEntry {
  /** Path inside the archive. */
  name: string;
  /** `file`, `directory`, or `other` (links, devices: skipped by extractors). */
  type: "file" | "directory" | "other";
  /** The file's bytes (a view into the archive; empty for non-files). */
  data: Uint8Array;
}

const decoder = new TextDecoder();

function cString(bytes: Uint8Array, start: number, length: number): string {
  const field = bytes.subarray(start, start + length);
  const end = field.indexOf(0);
  return decoder.decode(end < 0 ? field : field.subarray(0, end));
}

function octal(bytes: Uint8Array, start: number, length: number, what: string): number {
  if (bytes[start] & 0x80) { // GNU base-256 for sizes >= 8 GiB
    let v = bytes[start] & 0x7f;
    for (let i = 1; i < length; i++) v = v * 256 + bytes[start + i];
    return v;
  }
  const text = cString(bytes, start, length).trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) throw new Error(`${what}: "${text}" is not an octal number`);
  return parseInt(text, 8);
}

function paxPath(data: Uint8Array): string | undefined {
  const text = decoder.decode(data);
  let path: string | undefined;
  for (let i = 0; i < text.length;) {
    const space = text.indexOf(" ", i);
    const len = parseInt(text.slice(i, space), 10);
    if (!(len > 0)) break;
    const record = text.slice(space + 1, i + len - 1);
    const eq = record.indexOf("=");
    if (record.slice(0, eq) === "path") path = record.slice(eq + 1);
    i += len;
  }
  return path;
}

/**
 * Iterates over the entries of an uncompressed tar archive. `name` (the archive's path) appears
 * in errors: a header whose checksum does not match, or an entry cut off by the end of the data.
 *
 * @example
 * ```ts
 * import { readTar } from "./tar.ts";
 * const block = new Uint8Array(1024); // two zero blocks: an empty archive
 * if ([...readTar(block, "empty.tar")].length !== 0) throw new Error("no entries");
 * ```
 */
export function* readTar(bytes: Uint8Array, name = "tar"): Generator<TarEntry> {
  let offset = 0;
  let longName: string | undefined;
  while (offset + 512 <= bytes.length) {
    const header = bytes.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) return;
    const where = `${name}: header at byte ${offset}`;
    const stored = octal(header, 148, 8, where);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
    if (sum !== stored) {
      throw new Error(`${where}: checksum ${stored} does not match ${sum}; corrupt tar archive`);
    }
    const size = octal(header, 124, 12, where);
    const type = String.fromCharCode(header[156] || 0x30);
    const dataStart = offset + 512;
    if (dataStart + size > bytes.length) {
      throw new Error(
        `${name}: entry at byte ${offset} needs ${size} bytes, archive ends after ` +
          `${bytes.length - dataStart}; truncated tar archive`,
      );
    }
    const data = bytes.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / 512) * 512;
    if (type === "L") {
      longName = cString(data, 0, data.length);
      continue;
    }
    if (type === "x") {
      longName = paxPath(data) ?? longName;
      continue;
    }
    if (type === "g") continue;
    let path = cString(header, 0, 100);
    if (cString(header, 257, 5) === "ustar") {
      const prefix = cString(header, 345, 155);
      if (prefix) path = `${prefix}/${path}`;
    }
    if (longName !== undefined) path = longName;
    longName = undefined;
    const kind = type === "0" || type === "7" ? "file" : type === "5" ? "directory" : "other";
    yield { name: path, type: kind, data: kind === "file" ? data : data.subarray(0, 0) };
  }
  const rest = bytes.subarray(offset);
  if (rest.some((b) => b !== 0)) {
    throw new Error(
      `${name}: ${rest.length} bytes after byte ${offset} are not a whole header; truncated tar archive`,
    );
  }
}
