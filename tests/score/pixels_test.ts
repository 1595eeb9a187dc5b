import { assert, assertEquals, assertThrows } from "@std/assert";
import * as tf from "../../lib/tf.ts";
import "@tensorflow/tfjs-backend-wasm";
import { pixelsTensor } from "../../lib/score/_pixels.ts";
import { batchTensor } from "../../lib/data/batches.ts";

// Every byte value, in a set of 5 images of 8x8x2 (640 bytes).
const set = {
  pixels: Uint8Array.from({ length: 5 * 8 * 8 * 2 }, (_, i) => (i * 151 + 7) % 256),
  labels: new Int32Array(5),
  count: 5,
  height: 8,
  width: 8,
  channels: 2,
};

for (const backend of ["cpu", "wasm"]) {
  Deno.test(`pixelsTensor equals batchTensor bit for bit on ${backend}, for every byte value and range, and leaves no tensor behind`, async () => {
    assert(await tf.setBackend(backend));
    assertEquals(new Set(set.pixels).size, 256);
    const before = tf.memory().numTensors;
    for (const [start, end] of [[0, 5], [1, 3], [4, 5], [2, 2]]) {
      const indices = Array.from({ length: end - start }, (_, i) => start + i);
      const expected = batchTensor(set, indices);
      const actual = pixelsTensor(set, start, end);
      assertEquals(actual.shape, expected.shape);
      assertEquals(actual.dtype, "float32");
      assertEquals(actual.dataSync(), expected.dataSync());
      tf.dispose([expected, actual]);
    }
    assertEquals(tf.memory().numTensors, before);
    assertThrows(() => pixelsTensor(set, 3, 6), Error, "image 5 out of range, expected 0..4");
    assertThrows(() => pixelsTensor(set, 3, 2), Error, "not a range");
  });
}
