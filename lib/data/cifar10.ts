/**
 * CIFAR-10, binary version: `data_batch_1.bin` .. `data_batch_5.bin` and `test_batch.bin`, each
 * record 1 label byte and 3,072 pixel bytes (1,024 red, 1,024 green, 1,024 blue, row-major).
 *
 * The files are looked for in `dataDir`, by default `<cache>/cifar-10-batches-bin`, where
 * `<cache>` is `$EDEGAN_CACHE_DIR`, else `$XDG_CACHE_HOME/edegan`, else `~/.cache/edegan`: one
 * copy per user, shared by every checkout and run, outside the git tree. `deno task data cifar10`
 * downloads it there.
 *
 * @module
 */

import { cacheRoot, exists, readFileNamed } from "./_files.ts";
import type { DatasetSpec, ImageSet, LabelledDataset } from "./types.ts";

/**
 * Class names of CIFAR-10, by label.
 *
 * @example
 * ```ts
 * import { CIFAR10_CLASSES } from "./cifar10.ts";
 * if (CIFAR10_CLASSES[3] !== "cat") throw new Error();
 * ```
 */
export const CIFAR10_CLASSES: readonly string[] = [
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
];

/**
 * The training batch files, in order.
 *
 * @example
 * ```ts
 * import { CIFAR10_TRAIN_FILES } from "./cifar10.ts";
 * if (CIFAR10_TRAIN_FILES[4] !== "data_batch_5.bin") throw new Error();
 * ```
 */
export const CIFAR10_TRAIN_FILES: readonly string[] = [1, 2, 3, 4, 5].map((i) =>
  `data_batch_${i}.bin`
);
/**
 * The test batch file.
 *
 * @example
 * ```ts
 * import { CIFAR10_TEST_FILE } from "./cifar10.ts";
 * if (CIFAR10_TEST_FILE !== "test_batch.bin") throw new Error();
 * ```
 */
export const CIFAR10_TEST_FILE = "test_batch.bin";
/**
 * Bytes per record: one label and 32x32x3 pixels.
 *
 * @example
 * ```ts
 * import { CIFAR10_RECORD_BYTES } from "./cifar10.ts";
 * if (CIFAR10_RECORD_BYTES * 10000 !== 30730000) throw new Error("batch file size");
 * ```
 */
export const CIFAR10_RECORD_BYTES: number = 1 + 3072;

/**
 * The default location of the CIFAR-10 binary batches.
 *
 * @example
 * ```ts
 * import { defaultCifar10Dir } from "./cifar10.ts";
 * if (!defaultCifar10Dir().endsWith("/cifar-10-batches-bin")) throw new Error("default");
 * ```
 */
export function defaultCifar10Dir(): string {
  return `${cacheRoot()}/cifar-10-batches-bin`;
}

/**
 * Decodes CIFAR-10 binary records (label byte + CHW planes) into an NHWC {@linkcode ImageSet}.
 * `name` (the file) appears in errors: a size that is not a whole number of records, or a label
 * above 9.
 *
 * @example
 * ```ts
 * import { decodeCifar10Batch } from "./cifar10.ts";
 * const rec = new Uint8Array(3073); rec[0] = 6; rec[1] = 10; rec[1 + 1024] = 20; rec[1 + 2048] = 30;
 * const set = decodeCifar10Batch(rec, "batch");
 * if (set.labels[0] !== 6 || set.pixels.slice(0, 3).join() !== "10,20,30") throw new Error("HWC");
 * ```
 */
export function decodeCifar10Batch(bytes: Uint8Array, name: string): ImageSet {
  if (bytes.length === 0 || bytes.length % CIFAR10_RECORD_BYTES !== 0) {
    throw new Error(
      `${name}: ${bytes.length} bytes is not a whole number of CIFAR-10 records ` +
        `(expected a multiple of ${CIFAR10_RECORD_BYTES}: 1 label + 3072 pixel bytes); ` +
        `truncated file?`,
    );
  }
  const count = bytes.length / CIFAR10_RECORD_BYTES;
  const pixels = new Uint8Array(count * 3072);
  const labels = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const r = n * CIFAR10_RECORD_BYTES;
    const label = bytes[r];
    if (label > 9) {
      throw new Error(`${name}: label ${label} of record ${n} out of range, expected 0..9`);
    }
    labels[n] = label;
    const o = n * 3072;
    for (let p = 0; p < 1024; p++) {
      pixels[o + p * 3] = bytes[r + 1 + p];
      pixels[o + p * 3 + 1] = bytes[r + 1 + 1024 + p];
      pixels[o + p * 3 + 2] = bytes[r + 1 + 2048 + p];
    }
  }
  return { pixels, labels, count, height: 32, width: 32, channels: 3 };
}

function concatSets(sets: ImageSet[]): ImageSet {
  const count = sets.reduce((a, s) => a + s.count, 0);
  const pixels = new Uint8Array(count * 3072);
  const labels = new Int32Array(count);
  let n = 0;
  for (const s of sets) {
    pixels.set(s.pixels, n * 3072);
    labels.set(s.labels, n);
    n += s.count;
  }
  return { pixels, labels, count, height: 32, width: 32, channels: 3 };
}

/**
 * Loads CIFAR-10 at its native 32x32x3 from `dataDir` (default {@linkcode defaultCifar10Dir}).
 * A missing file is an error that says how to download the dataset.
 *
 * @example
 * ```ts
 * import { CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES, loadCifar10 } from "./cifar10.ts";
 * const dir = await Deno.makeTempDir();
 * for (const f of [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE]) await Deno.writeFile(`${dir}/${f}`, new Uint8Array(2 * 3073));
 * const d = await loadCifar10(dir);
 * if (d.train.count !== 10 || d.test.count !== 2) throw new Error("loaded");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadCifar10(dataDir?: string): Promise<LabelledDataset> {
  const dir = dataDir ?? defaultCifar10Dir();
  const read = async (file: string) => {
    const path = `${dir}/${file}`;
    let bytes: Uint8Array;
    try {
      bytes = await readFileNamed(path, "cifar10");
    } catch (err) {
      throw new Error(
        `${(err as Error).message} (expected the CIFAR-10 binary batches there; ` +
          `run \`deno task data cifar10${dataDir ? ` --data-dir ${dataDir}` : ""}\`)`,
      );
    }
    return decodeCifar10Batch(bytes, path);
  };
  const train = concatSets(await Promise.all(CIFAR10_TRAIN_FILES.map(read)));
  const test = await read(CIFAR10_TEST_FILE);
  return { train, test, classNames: [...CIFAR10_CLASSES], source: dir };
}

/**
 * The files of the CIFAR-10 binary version that must be present.
 *
 * @example
 * ```ts
 * import { CIFAR10_FILES } from "./cifar10.ts";
 * if (CIFAR10_FILES.length !== 6) throw new Error("five training batches and one test batch");
 * ```
 */
export const CIFAR10_FILES: readonly string[] = [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE];

/**
 * True when every CIFAR-10 batch file is in `dataDir` (default {@linkcode defaultCifar10Dir}).
 *
 * @example
 * ```ts
 * import { cifar10Present } from "./cifar10.ts";
 * if (await cifar10Present("/nonexistent")) throw new Error("absent");
 * ```
 */
export async function cifar10Present(dataDir?: string): Promise<boolean> {
  const dir = dataDir ?? defaultCifar10Dir();
  for (const f of CIFAR10_FILES) if (!(await exists(`${dir}/${f}`))) return false;
  return true;
}

/**
 * CIFAR-10's entry in the dataset registry: 32x32 RGB, ten classes, downloaded once per user by
 * `deno task data cifar10`.
 *
 * @example
 * ```ts
 * import { CIFAR10_DATASET } from "./cifar10.ts";
 * if (CIFAR10_DATASET.classNames[3] !== "cat" || CIFAR10_DATASET.imageShape?.[2] !== 3) throw new Error();
 * ```
 */
export const CIFAR10_DATASET: DatasetSpec<"cifar10"> = {
  name: "cifar10",
  classNames: CIFAR10_CLASSES,
  labels: "classes",
  imageShape: [32, 32, 3],
  defaultDir: defaultCifar10Dir,
  dataDirHint: "a folder with the CIFAR-10 binary batches",
  howToGet: "run `deno task data cifar10` to download (~170 MB)",
  whenPresent: "binary batches",
  present: cifar10Present,
  load: (dataDir) => loadCifar10(dataDir),
};
