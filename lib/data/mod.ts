/**
 * Datasets and the one-class protocol: MNIST (built in), Fashion-MNIST, CIFAR-10 and folders of
 * images, each one entry of the dataset registry (`registry.ts`), preprocessed once to uint8 NHWC
 * at model resolution, split into normal training, validation and labelled test images, and
 * batched into float tensors in [-1, 1].
 *
 * @example
 * ```ts
 * import "@tensorflow/tfjs-backend-cpu";
 * import { batchIndices, batchTensor, loadOneClass } from "./mod.ts";
 * const split = await loadOneClass({ dataset: "mnist", normal: 3, limit: 64 });
 * for (const idx of batchIndices(split.train.count, 32, { shuffle: true, seed: 1, epoch: 0 })) {
 *   const x = batchTensor(split.train, idx);
 *   if (x.shape.join() !== "32,32,32,1") throw new Error("a batch");
 *   x.dispose();
 * }
 * ```
 *
 * @module
 */

export * from "./types.ts";
export * from "./registry.ts";
export * from "./idx.ts";
export * from "./mnist.ts";
export * from "./fashion_mnist.ts";
export * from "./cifar10.ts";
export * from "./folder.ts";
export * from "./labels.ts";
export * from "./tar.ts";
export * from "./download.ts";
export * from "./preprocess.ts";
export * from "./options.ts";
export * from "./dispatch.ts";
export * from "./split.ts";
export * from "./manifest.ts";
export * from "./protocol.ts";
export * from "./batches.ts";
export * from "./list.ts";
// The file helpers other folders use (scoring a folder of images reads it as a dataset does).
export { type ImageListing, listImageFiles, readFileNamed } from "./_files.ts";
