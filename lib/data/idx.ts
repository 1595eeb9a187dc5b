/**
 * Reader of the IDX format of MNIST and Fashion-MNIST (raw or gzip-compressed).
 *
 * @module
 */

import { readMaybeGzip } from "./_files.ts";
import type { ImageSet } from "./types.ts";

/**
 * IDX magic number of an unsigned-byte 3-d array (images).
 *
 * @example
 * ```ts
 * import { IDX_IMAGES_MAGIC } from "./idx.ts";
 * if (IDX_IMAGES_MAGIC !== 2051) throw new Error();
 * ```
 */
export const IDX_IMAGES_MAGIC = 0x00000803;
/**
 * IDX magic number of an unsigned-byte 1-d array (labels).
 *
 * @example
 * ```ts
 * import { IDX_LABELS_MAGIC } from "./idx.ts";
 * if (IDX_LABELS_MAGIC !== 2049) throw new Error();
 * ```
 */
export const IDX_LABELS_MAGIC = 0x00000801;

/**
 * An IDX array of unsigned bytes: its dimensions and its data (row-major).
 *
 * @example
 * ```ts
 * import type { IdxArray } from "./idx.ts";
 * const a: IdxArray = { magic: 0x801, dims: [2], data: Uint8Array.of(3, 4) };
 * if (a.data.length !== a.dims[0]) throw new Error();
 * ```
 */
export interface IdxArray {
  /** The magic number as read (0x0000TTNN: type TT, NN dimensions). */
  magic: number;
  /** Sizes of the dimensions, outermost first. */
  dims: number[];
  /** prod(dims) bytes. */
  data: Uint8Array;
}

/**
 * Parses IDX bytes holding unsigned bytes (type 0x08). `name` (a file path) appears in every
 * error: a wrong magic number, an unsupported type, or a file shorter than its header says.
 *
 * @example
 * ```ts
 * import { parseIdx } from "./idx.ts";
 * const bytes = Uint8Array.of(0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9);
 * const idx = parseIdx(bytes, "labels", 0x801);
 * if (idx.dims[0] !== 3 || idx.data[2] !== 9) throw new Error("parsed");
 * ```
 */
export function parseIdx(bytes: Uint8Array, name: string, expectedMagic?: number): IdxArray {
  if (bytes.length < 4) {
    throw new Error(`${name}: truncated IDX file (${bytes.length} bytes), expected a 4-byte magic`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const hex = (m: number) => `0x${m.toString(16).padStart(8, "0")}`;
  if (expectedMagic !== undefined && magic !== expectedMagic) {
    throw new Error(
      `${name}: wrong magic number ${hex(magic)}, expected ${hex(expectedMagic)} ` +
        `(IDX ${expectedMagic === IDX_IMAGES_MAGIC ? "images" : "labels"} file)`,
    );
  }
  if ((magic >>> 16) !== 0) {
    throw new Error(`${name}: wrong magic number ${hex(magic)}, expected 0x0000TTNN (IDX file)`);
  }
  const type = (magic >>> 8) & 0xff;
  if (type !== 0x08) {
    throw new Error(`${name}: IDX data type 0x${type.toString(16)} unsupported, expected 0x08`);
  }
  const ndims = magic & 0xff;
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new Error(`${name}: truncated IDX header, expected ${headerBytes} bytes`);
  }
  const dims: number[] = [];
  let size = 1;
  for (let d = 0; d < ndims; d++) {
    dims.push(view.getUint32(4 + 4 * d));
    size *= dims[d];
  }
  const found = bytes.length - headerBytes;
  if (found < size) {
    throw new Error(
      `${name}: truncated IDX file, header [${dims.join("x")}] needs ${size} data bytes, ` +
        `found ${found}`,
    );
  }
  return { magic, dims, data: bytes.subarray(headerBytes, headerBytes + size) };
}

/**
 * Reads an IDX file (raw or gzip-compressed) from disk.
 *
 * @example
 * ```ts
 * import { readIdx } from "./idx.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.writeFile(path, Uint8Array.of(0, 0, 8, 1, 0, 0, 0, 2, 4, 5));
 * const idx = await readIdx(path);
 * if (idx.data.length !== 2) throw new Error("two labels");
 * await Deno.remove(path);
 * ```
 */
export async function readIdx(path: string, expectedMagic?: number): Promise<IdxArray> {
  const bytes = await readMaybeGzip(path, "IDX");
  return parseIdx(bytes, path, expectedMagic);
}

/**
 * Reads an IDX images file and its labels file into an {@linkcode ImageSet} (NHWC, 1 channel, at
 * the files' resolution). Errors name the file: wrong magic, truncation, a count mismatch between
 * the two files, or a label not below `numClasses`.
 *
 * @example
 * ```ts
 * import { readIdxImageSet } from "./idx.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeFile(`${dir}/i`, Uint8Array.of(0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 9, 8));
 * await Deno.writeFile(`${dir}/l`, Uint8Array.of(0, 0, 8, 1, 0, 0, 0, 1, 4));
 * const set = await readIdxImageSet(`${dir}/i`, `${dir}/l`, 10);
 * if (set.count !== 1 || set.width !== 2 || set.labels[0] !== 4) throw new Error("read");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readIdxImageSet(
  imagesPath: string,
  labelsPath: string,
  numClasses: number,
): Promise<ImageSet> {
  const [images, labels] = await Promise.all([
    readIdx(imagesPath, IDX_IMAGES_MAGIC),
    readIdx(labelsPath, IDX_LABELS_MAGIC),
  ]);
  const [count, height, width] = images.dims;
  if (labels.dims[0] !== count) {
    throw new Error(
      `${labelsPath}: ${labels.dims[0]} labels but ${imagesPath} holds ${count} images; ` +
        `expected one label per image`,
    );
  }
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = labels.data[i];
    if (label >= numClasses) {
      throw new Error(
        `${labelsPath}: label ${label} of item ${i} out of range, expected 0..${numClasses - 1}`,
      );
    }
    out[i] = label;
  }
  return { pixels: images.data, labels: out, count, height, width, channels: 1 };
}
