/**
 * A dataset the toolkit does not ship, written as a new dataset would be: one file with its
 * loader and its registry entry. `tiny.bin` holds records of one split byte (0 train, 1 test), one
 * label byte and 4x4 grey pixels.
 */

import type { DatasetSpec } from "../../lib/data/registry.ts";
import type { ImageSet, LabelledDataset } from "../../lib/data/types.ts";

const RECORD = 2 + 16;

/** Bytes of `tiny.bin`: `perClass` training and `testPerClass` test images of each of 3 classes. */
export function tinyBytes(perClass: number, testPerClass: number): Uint8Array {
  const records: number[][] = [];
  for (const [split, n] of [[0, perClass], [1, testPerClass]]) {
    for (let i = 0; i < 3 * n; i++) {
      const label = i % 3;
      records.push([split, label, ...Array.from({ length: 16 }, (_, p) => label * 80 + p)]);
    }
  }
  return Uint8Array.from(records.flat());
}

async function loadTiny(dataDir: string | undefined): Promise<LabelledDataset> {
  const path = `${dataDir}/tiny.bin`;
  const bytes = await Deno.readFile(path);
  const sets: ImageSet[] = [0, 1].map((split) => {
    const records = [];
    for (let r = 0; r + RECORD <= bytes.length; r += RECORD) {
      if (bytes[r] === split) records.push(bytes.subarray(r, r + RECORD));
    }
    const pixels = new Uint8Array(records.length * 16);
    records.forEach((rec, i) => pixels.set(rec.subarray(2), i * 16));
    const labels = Int32Array.from(records, (rec) => rec[1]);
    return { pixels, labels, count: records.length, height: 4, width: 4, channels: 1 };
  });
  return { train: sets[0], test: sets[1], classNames: ["low", "mid", "high"], source: dataDir! };
}

/** The tiny dataset's registry entry. */
export const TINY_DATASET: DatasetSpec<"tiny"> = {
  name: "tiny",
  classNames: ["low", "mid", "high"],
  labels: "classes",
  imageShape: [4, 4, 1],
  defaultDir: () => undefined,
  dataDirHint: "a folder with tiny.bin",
  howToGet: "write tiny.bin with tinyBytes()",
  whenPresent: "tiny.bin",
  present: async (dir) => {
    try {
      return (await Deno.stat(`${dir}/tiny.bin`)).isFile;
    } catch {
      return false;
    }
  },
  load: loadTiny,
};
