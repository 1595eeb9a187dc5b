import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertNotEquals,
  assertThrows,
} from "@std/assert";
import { batchIndices, batchTensor } from "../../lib/data/batches.ts";

Deno.test("batchTensor: float32 NHWC in [-1, 1], x/127.5 - 1, no leaked tensors", async () => {
  await tf.setBackend("cpu");
  const set = {
    pixels: Uint8Array.from({ length: 3 * 2 * 2 * 3 }, (_, i) => i * 7),
    labels: new Int32Array(3),
    count: 3,
    height: 2,
    width: 2,
    channels: 3,
  };
  const before = tf.memory().numTensors;
  const x = batchTensor(set, Int32Array.of(2, 0));
  assertEquals(x.shape, [2, 2, 2, 3]);
  assertEquals(x.dtype, "float32");
  const v = x.dataSync();
  assertAlmostEquals(v[0], (24 * 7) / 127.5 - 1, 1e-6);
  assertAlmostEquals(v[12], -1, 1e-6);
  assertAlmostEquals(v[13], 7 / 127.5 - 1, 1e-6);
  x.dispose();
  const full = batchTensor({
    ...set,
    pixels: Uint8Array.of(0, 255, 128),
    count: 3,
    height: 1,
    width: 1,
    channels: 1,
  }, [0, 1, 2]);
  assertEquals([...full.dataSync()].map((a) => Math.round(a * 1000) / 1000), [-1, 1, 0.004]);
  full.dispose();
  assertEquals(tf.memory().numTensors, before);
  assertThrows(() => batchTensor(set, [3]), Error, "indices: image 3 out of range, expected 0..2");
});

Deno.test("batchIndices: a seeded permutation per (seed, epoch), resumable, dropLast", () => {
  const epoch = (seed: number, e: number) =>
    [...batchIndices(10, 3, { shuffle: true, seed, epoch: e })].map((b) => [...b]);
  const a = epoch(1, 4);
  assertEquals(a.map((b) => b.length), [3, 3, 3, 1]);
  assertEquals(a.flat().sort((p, q) => p - q), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assertEquals(epoch(1, 4), a, "a resumed run replays epoch 4 exactly");
  assertNotEquals(epoch(1, 5), a);
  assertNotEquals(epoch(2, 4), a);
  assertNotEquals(epoch(0, 1), epoch(1, 0), "seed and epoch do not simply add");
  const plain = [...batchIndices(7, 3, { shuffle: false, dropLast: true })].map((b) => [...b]);
  assertEquals(plain, [[0, 1, 2], [3, 4, 5]]);
  assertEquals([...batchIndices(0, 3, { shuffle: true })].length, 0);
  assertThrows(() => [...batchIndices(5, 0, { shuffle: false })], Error, "batchSize: 0 invalid");
  // Over many epochs every position sees many indices (the order really changes).
  const firsts = new Set<number>();
  for (let e = 0; e < 50; e++) {
    firsts.add(batchIndices(10, 3, { shuffle: true, seed: 9, epoch: e }).next().value![0]);
  }
  assert(firsts.size >= 8);
});
