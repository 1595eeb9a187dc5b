/** Helpers that generate dataset files for the data tests. */

import { gzipSync } from "node:zlib";
import { PNG } from "pngjs";
import { createRng } from "../../lib/util/rng.ts";
import { loadMnist } from "../../lib/data/mnist.ts";
import type { ImageSet } from "../../lib/data/types.ts";

/** Bytes of an IDX unsigned-byte file with the given magic and dims. */
export function idxBytes(dims: number[], data: Uint8Array, magic?: number): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  view.setUint32(0, magic ?? (0x0800 | dims.length));
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

/** gzip-compressed copy of `bytes`. */
export function gzip(bytes: Uint8Array): Uint8Array {
  const out = gzipSync(bytes);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Seeded random bytes. */
export function randomBytes(n: number, seed: number): Uint8Array {
  const rng = createRng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(rng() * 256));
}

/**
 * Writes a small MNIST-like IDX dataset into `dir` (train: `nTrain`, test: `nTest` images of
 * `size`x`size`, labels i % 10), gzip-compressed or raw.
 */
export async function writeIdxDataset(
  dir: string,
  opts: { nTrain: number; nTest: number; size?: number; gz?: boolean },
): Promise<void> {
  const size = opts.size ?? 28;
  const ext = opts.gz ? ".gz" : "";
  const write = async (name: string, bytes: Uint8Array) =>
    await Deno.writeFile(`${dir}/${name}${ext}`, opts.gz ? gzip(bytes) : bytes);
  for (const [prefix, n] of [["train", opts.nTrain], ["t10k", opts.nTest]] as const) {
    const pixels = randomBytes(n * size * size, n);
    await write(`${prefix}-images-idx3-ubyte`, idxBytes([n, size, size], pixels));
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
    await write(`${prefix}-labels-idx1-ubyte`, idxBytes([n], labels));
  }
}

/** A tar archive (ustar) of the given files. */
export function makeTar(files: Array<[string, Uint8Array]>): Uint8Array {
  const enc = new TextEncoder();
  const blocks: Uint8Array[] = [];
  const field = (h: Uint8Array, off: number, len: number, text: string) =>
    h.set(enc.encode(text).subarray(0, len), off);
  const add = (name: string, type: string, data: Uint8Array) => {
    const h = new Uint8Array(512);
    field(h, 0, 100, name);
    field(h, 100, 8, "0000644\0");
    field(h, 108, 8, "0000000\0");
    field(h, 116, 8, "0000000\0");
    field(h, 124, 12, data.length.toString(8).padStart(11, "0") + "\0");
    field(h, 136, 12, "00000000000\0");
    field(h, 148, 8, "        ");
    field(h, 156, 1, type);
    field(h, 257, 6, "ustar\0");
    field(h, 263, 2, "00");
    let sum = 0;
    for (const b of h) sum += b;
    field(h, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
    blocks.push(h);
    const padded = new Uint8Array(Math.ceil(data.length / 512) * 512);
    padded.set(data);
    blocks.push(padded);
  };
  add("cifar-10-batches-bin/", "5", new Uint8Array(0));
  for (const [name, data] of files) add(name, "0", data);
  blocks.push(new Uint8Array(1024));
  const total = blocks.reduce((a, b) => a + b.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const b of blocks) {
    out.set(b, off);
    off += b.length;
  }
  return out;
}

/** CIFAR-10 binary records: `n` random images with labels `(i + shift) % 10`. */
export function cifarRecords(n: number, seed: number, shift = 0): Uint8Array {
  const bytes = randomBytes(n * 3073, seed);
  for (let i = 0; i < n; i++) bytes[i * 3073] = (i + shift) % 10;
  return bytes;
}

/** The files of a fake CIFAR-10: `perBatch` records per training batch, `nTest` test records. */
export function fakeCifarFiles(perBatch: number, nTest: number): Array<[string, Uint8Array]> {
  const files: Array<[string, Uint8Array]> = [];
  for (let b = 1; b <= 5; b++) files.push([`data_batch_${b}.bin`, cifarRecords(perBatch, b, b)]);
  files.push(["test_batch.bin", cifarRecords(nTest, 99)]);
  return files;
}

/** A PNG (RGBA) of a grey image; `alphaOnly` puts the image in alpha and writes RGB 0. */
export function greyPng(
  grey: Uint8Array,
  width: number,
  height: number,
  opts: { alphaOnly?: boolean } = {},
): Uint8Array {
  const png = new (PNG as unknown as {
    new (o: { width: number; height: number }): { data: Uint8Array };
    sync: { write(p: { data: Uint8Array }): Uint8Array };
  })({ width, height });
  for (let p = 0; p < width * height; p++) {
    const v = grey[p];
    png.data.set(opts.alphaOnly ? [0, 0, 0, v] : [v, v, v, 255], p * 4);
  }
  return new Uint8Array((PNG as unknown as { sync: { write(p: unknown): Uint8Array } }).sync.write(
    png,
  ));
}

/** What {@link writeDigitFolder} writes: counts of MNIST digits per folder. */
export interface DigitFolderSpec {
  /** The normal digit (train/ and test/normal/). */
  normal: number;
  /** The anomalous digit (test/anomalous/). */
  anomalous: number;
  train: number;
  testNormal: number;
  testAnomalous: number;
  /** Write every image with RGB 0 and the digit in alpha. */
  alphaOnly?: boolean;
}

/**
 * Writes a folder dataset of real MNIST digits as 28x28 PNGs: `train/` (training digits of
 * `normal`), `test/normal/` and `test/anomalous/` (test-set digits), named `d<digit>-<i>.png`.
 */
export async function writeDigitFolder(root: string, spec: DigitFolderSpec): Promise<void> {
  const mnist = await loadMnist();
  const take = (set: ImageSet, digit: number, n: number) => {
    const out: Uint8Array[] = [];
    for (let i = 0; i < set.count && out.length < n; i++) {
      if (set.labels[i] === digit) out.push(set.pixels.subarray(i * 784, (i + 1) * 784));
    }
    return out;
  };
  const parts: Array<[string, Uint8Array[], number]> = [
    ["train", take(mnist.train, spec.normal, spec.train), spec.normal],
    ["test/normal", take(mnist.test, spec.normal, spec.testNormal), spec.normal],
    ["test/anomalous", take(mnist.test, spec.anomalous, spec.testAnomalous), spec.anomalous],
  ];
  for (const [dir, images, digit] of parts) {
    await Deno.mkdir(`${root}/${dir}`, { recursive: true });
    for (const [i, grey] of images.entries()) {
      const png = greyPng(grey, 28, 28, { alphaOnly: spec.alphaOnly });
      await Deno.writeFile(`${root}/${dir}/d${digit}-${i}.png`, png);
    }
  }
}
