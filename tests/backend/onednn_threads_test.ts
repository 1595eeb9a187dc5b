import { assertEquals, assertNotEquals } from "@std/assert";
import * as tf from "../../lib/tf.ts";
import { selectBackend } from "../../lib/backend/select.ts";
import {
  convolutionProbe,
  type ConvolutionProbeCall,
  convolutionThreading,
  SINGLE_THREAD_MACS,
} from "../../lib/backend/onednn/convolution.ts";
import { dnnlAvailable, skipUnless } from "../_helpers.ts";

const skip = () => skipUnless(dnnlAvailable(), "oneDNN (apt-get install libdnnl2)");

/** Every convolution of a layer at batch 1 (forward, data and weight gradients) as bits. */
function layer(
  x: [number, number, number, number],
  f: [number, number, number, number],
  seed: number,
) {
  const calls: ConvolutionProbeCall[] = [];
  convolutionProbe.record = (c) => calls.push(c);
  try {
    const xs = tf.randomNormal(x, 0, 1, "float32", seed + 3) as tf.Tensor4D;
    const fs = tf.randomNormal(f, 0, 0.1, "float32", seed + 1) as tf.Tensor4D;
    const y = tf.conv2d(xs, fs, 2, "same");
    const dy = tf.randomNormal(y.shape, 0, 1, "float32", seed + 2) as tf.Tensor4D;
    const dx = tf.conv2dTranspose(dy, fs, x, 2, "same");
    const df = tf.engine().runKernel("Conv2DBackpropFilter", { x: xs, dy }, {
      strides: 2,
      pad: "same",
      dataFormat: "NHWC",
      filterShape: f,
    }) as tf.Tensor;
    const bits = [y, dx, df].map((t) => Array.from(new Uint32Array(t.dataSync().buffer)));
    tf.dispose([xs, fs, y, dy, dx, df]);
    return { bits, single: calls.map((c) => [c.direction, c.singleThread]) };
  } finally {
    convolutionProbe.record = undefined;
  }
}

Deno.test("the teacher's batch-1 convolutions on two threads give the one-thread bits, every direction", async () => {
  if (skip()) return;
  await selectBackend("onednn", { threads: 2 });
  const macs = convolutionThreading.singleThreadMacs;
  const saved = { ...macs };
  // The teacher's second and third layers at batch 1 (8.4 M multiply-adds each).
  const layers: [[number, number, number, number], [number, number, number, number]][] = [
    [[1, 16, 16, 64], [4, 4, 64, 128]],
    [[1, 8, 8, 128], [4, 4, 128, 256]],
  ];
  try {
    for (const [i, [x, f]] of layers.entries()) {
      const now = layer(x, f, 10 * i);
      assertEquals(now.single, [
        ["forward", false],
        ["backwardData", false],
        ["backwardWeights", false],
      ]);
      macs.forward = macs.backwardData = macs.backwardWeights = SINGLE_THREAD_MACS;
      const one = layer(x, f, 10 * i);
      assertEquals(one.single.map(([, s]) => s), [true, true, true]);
      // Reorders on two threads too.
      macs.forward = macs.backwardData = macs.backwardWeights = 0;
      convolutionThreading.reorderSingleThreadMacs = 0;
      const two = layer(x, f, 10 * i);
      Object.assign(macs, saved);
      convolutionThreading.reorderSingleThreadMacs = SINGLE_THREAD_MACS;
      assertEquals(two.single.map(([, s]) => s), [false, false, false]);
      const differing = (a: number[][], b: number[][]) =>
        a.map((xs, k) => xs.filter((v, j) => v !== b[k][j]).length);
      assertEquals(differing(now.bits, one.bits), [0, 0, 0]);
      assertEquals(differing(two.bits, one.bits), [0, 0, 0]);
      // The bits compared are the layer's, not constants: another input gives others.
      assertNotEquals(layer(x, f, 10 * i + 5).bits[0], one.bits[0]);
    }
    // Above batch 1 a weight gradient under 32 M multiply-adds stays on one thread (oneDNN may
    // split its sum over the images); forward and data gradient do not.
    assertEquals(layer([2, 16, 16, 64], [4, 4, 64, 128], 40).single.map(([, s]) => s), [
      false,
      false,
      true,
    ]);
  } finally {
    Object.assign(macs, saved);
    convolutionThreading.reorderSingleThreadMacs = SINGLE_THREAD_MACS;
  }
});
