/**
 * The one list of edegan's kernels: each variant registers its own kernels whatever ran before
 * (order-free), and the stock kernels stay reachable as fallbacks.
 */

import { assert, assertEquals } from "@std/assert";
import * as tf from "../../lib/tf.ts";
import "@tensorflow/tfjs-backend-wasm";
import { KERNELS, registeredVariant, registerKernels } from "../../lib/backend/kernels.ts";
import { stockKernel } from "../../lib/backend/wasm_kernels/_ops.ts";

/** Which function each listed name has in tfjs's registry now (undefined: none). */
function registry(): (tf.KernelFunc | undefined)[] {
  return KERNELS.map((k) => tf.getKernel(k.kernelName, "wasm")?.kernelFunc);
}

Deno.test("registerKernels: each variant's kernels, in any order of calls", async () => {
  await tf.setBackend("wasm");
  registerKernels("wasm");
  const wasmFirst = registry();
  registerKernels("onednn");
  const onednn = registry();
  registerKernels("wasm");
  assertEquals(registry(), wasmFirst, "wasm after onednn is wasm");
  registerKernels("onednn");
  assertEquals(registry(), onednn, "onednn after wasm is onednn");
  assertEquals(registeredVariant(), "onednn");
  KERNELS.forEach((entry, i) => {
    const expected = entry.onednn ?? stockKernel(entry.kernelName);
    assert(onednn[i] === expected, `${entry.kernelName} on onednn`);
    const wasmExpected = entry.wasm ?? stockKernel(entry.kernelName);
    assert(wasmFirst[i] === wasmExpected, `${entry.kernelName} on wasm`);
  });
  // oneDNN's BatchNorm exists on onednn only; the convolutions differ between the variants.
  const names = KERNELS.map((k) => k.kernelName);
  assertEquals(wasmFirst[names.indexOf("EdeganBatchNormActivation")], undefined);
  assert(onednn[names.indexOf("EdeganBatchNormActivation")] !== undefined);
  assert(onednn[names.indexOf("Conv2D")] !== wasmFirst[names.indexOf("Conv2D")]);
  assert(stockKernel("Conv2D") !== undefined && stockKernel("Conv2D") !== wasmFirst[0]);
  registerKernels("wasm");
});
