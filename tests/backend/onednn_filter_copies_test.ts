import { assert, assertEquals } from "@std/assert";
import * as tf from "../../lib/tf.ts";
import { selectBackend } from "../../lib/backend/select.ts";
import {
  blockedFilterCache,
  convolutionProbe,
  type ConvolutionProbeCall,
} from "../../lib/backend/onednn/convolution.ts";
import { dnnlAvailable, skipUnless } from "../_helpers.ts";

const skip = () => skipUnless(dnnlAvailable(), "oneDNN (apt-get install libdnnl2)");

/** The teacher's third encoder layer at batch 1: oneDNN wants its filter blocked both ways. */
const X: [number, number, number, number] = [1, 8, 8, 128];
const F: [number, number, number, number] = [4, 4, 128, 256];

/** Forward and data gradient of each filter in `order`, as bits, and the reorders each ran. */
function run(filters: tf.Tensor4D[], order: number[]) {
  const calls: ConvolutionProbeCall[] = [];
  convolutionProbe.record = (c) => calls.push(c);
  try {
    const x = tf.randomNormal(X, 0, 1, "float32", 1) as tf.Tensor4D;
    const dy = tf.randomNormal([1, 4, 4, 256], 0, 1, "float32", 2) as tf.Tensor4D;
    const bits = order.map((i) => {
      const y = tf.conv2d(x, filters[i], 2, "same");
      const dx = tf.conv2dTranspose(dy, filters[i], X, 2, "same");
      const out = [y, dx].map((t) => Array.from(new Uint32Array(t.dataSync().buffer)));
      tf.dispose([y, dx]);
      return out;
    });
    tf.dispose([x, dy]);
    return { bits, reorders: calls.map((c) => c.reorders) };
  } finally {
    convolutionProbe.record = undefined;
  }
}

Deno.test("oneDNN reorders a filter into its layout once per plan while it stays in the plan's slots, bit for bit", async () => {
  if (skip()) return;
  await selectBackend("onednn");
  const make = (seed: number) => tf.randomNormal(F, 0, 0.1, "float32", seed) as tf.Tensor4D;
  const filters = [0, 1, 2, 3, 4, 5].map(make);
  // 0 and 1 twice (kept), then six filters (more than the four slots), then 0 (evicted).
  const order = [0, 1, 0, 1, 2, 3, 4, 5, 0];
  try {
    // Kept copies first, while the plans' slots are empty.
    const kept = run(filters, order);
    blockedFilterCache.enabled = false;
    const every = run(filters, order);
    blockedFilterCache.enabled = true;
    assertEquals(kept.bits, every.bits);
    assertEquals(every.reorders, order.flatMap(() => [1, 1]));
    assertEquals(kept.reorders, [1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    // A filter disposed and a new one made (the wasm heap may give it the same address): the new
    // values are reordered, not the old copy used.
    filters[0].dispose();
    filters[0] = make(9);
    const again = run(filters, [0, 0]);
    blockedFilterCache.enabled = false;
    const fresh = run(filters, [0]);
    assertEquals(again.bits, [fresh.bits[0], fresh.bits[0]]);
    assertEquals(again.reorders, [1, 1, 0, 0]);
    assert(fresh.bits[0][0].some((v, i) => v !== every.bits[0][0][i]), "a new filter's output");
  } finally {
    blockedFilterCache.enabled = true;
    tf.dispose(filters);
  }
});
