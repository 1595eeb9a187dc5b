/**
 * Fashion-MNIST: same IDX layout as MNIST (28x28 grey, 60,000 + 10,000), read from the Debian
 * package `dataset-fashion-mnist` (/usr/share/datasets/fashion-mnist) or from a `dataDir`.
 *
 * @module
 */

import { idxFilesPresent, readIdxDataset } from "./mnist.ts";
import type { DatasetSpec, LabelledDataset } from "./types.ts";

/**
 * Where Fashion-MNIST is looked for when no `dataDir` is given.
 *
 * @example
 * ```ts
 * import { FASHION_MNIST_DIR } from "./fashion_mnist.ts";
 * if (!FASHION_MNIST_DIR.startsWith("/usr/share/datasets")) throw new Error();
 * ```
 */
export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

/**
 * Class names of Fashion-MNIST, by label.
 *
 * @example
 * ```ts
 * import { FASHION_MNIST_CLASSES } from "./fashion_mnist.ts";
 * if (FASHION_MNIST_CLASSES[0] !== "T-shirt/top") throw new Error();
 * ```
 */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
];

/**
 * Loads Fashion-MNIST at its native 28x28x1 from `dataDir` (default
 * {@linkcode FASHION_MNIST_DIR}); files may be raw or `.gz`.
 *
 * @example
 * ```ts
 * import { loadFashionMnist } from "./fashion_mnist.ts";
 * const { test, classNames } = await loadFashionMnist();
 * if (test.count !== 10000 || classNames[9] !== "Ankle boot") throw new Error("Fashion-MNIST");
 * ```
 */
export function loadFashionMnist(dataDir?: string): Promise<LabelledDataset> {
  return readIdxDataset(dataDir ?? FASHION_MNIST_DIR, [...FASHION_MNIST_CLASSES], "fashion-mnist");
}

/**
 * Fashion-MNIST's entry in the dataset registry: 28x28 grey, ten kinds of clothing, from the
 * Debian package or IDX files in `--data-dir`.
 *
 * @example
 * ```ts
 * import { FASHION_MNIST_DATASET } from "./fashion_mnist.ts";
 * if (FASHION_MNIST_DATASET.defaultDir() !== "/usr/share/datasets/fashion-mnist") throw new Error();
 * ```
 */
export const FASHION_MNIST_DATASET: DatasetSpec<"fashion-mnist"> = {
  name: "fashion-mnist",
  classNames: FASHION_MNIST_CLASSES,
  labels: "classes",
  imageShape: [28, 28, 1],
  defaultDir: () => FASHION_MNIST_DIR,
  dataDirHint: "a folder with the four Fashion-MNIST IDX files, raw or .gz",
  howToGet: "Debian package dataset-fashion-mnist, or IDX files (raw or .gz) in --data-dir",
  present: idxFilesPresent,
  load: (dataDir) => loadFashionMnist(dataDir),
};
