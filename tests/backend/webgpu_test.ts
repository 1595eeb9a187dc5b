/**
 * tfjs-backend-webgpu under Deno (Mesa's llvmpipe here, an NVIDIA GPU on a lent machine): the
 * library's own `trainStep`, `fit` and `scoreImages` (which read with `await data()`) give the
 * cpu backend's losses, weights and scores, without leaking tensors; and the breakages known
 * under Deno fail with messages.
 */

import { assert, assertEquals, assertInstanceOf, assertStringIncludes } from "@std/assert";
import * as tf from "../../lib/tf.ts";
import { selectBackend } from "../../lib/backend/select.ts";
import {
  canReadSync,
  deviceDescriptor,
  quietVulkanLoader,
  WebGpuSyncReadError,
} from "../../lib/backend/webgpu.ts";
import { EdeGan } from "../../lib/models/ede_gan/mod.ts";
import { createOptimisers, trainStep } from "../../lib/models/ede_gan/mod.ts";
import { fit } from "../../lib/train/trainer.ts";
import type { ImageSet } from "../../lib/data/types.ts";
import { scoreImages } from "../../lib/score/score.ts";
import { skipUnless, useBackend } from "../_helpers.ts";

quietVulkanLoader();
const adapterAvailable = await (async () => {
  try {
    return (await navigator.gpu?.requestAdapter()) != null;
  } catch {
    return false;
  }
})();
const WHAT = "a WebGPU adapter (mesa-vulkan-drivers)";
const STEPS = 3;
const SEED = 7;
/** Relative tolerance of float32 on different summation orders, after a few Adam steps. */
const RELATIVE = 1e-3;

/** Pixel n of the fixed patterns in [-1, 1]: smooth, the same on every backend. */
function pattern(i: number): number {
  const n = Math.floor(i / 1024), y = Math.floor(i / 32) % 32, x = i % 32;
  return Math.sin((x + 3 * n) / 5) * Math.cos((y - n) / 7);
}

/** A batch of 4 fixed images in [-1, 1]. */
function images(): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from({ length: 4 * 1024 }, (_, i) => pattern(i)), [4, 32, 32, 1]);
}

/** 8 images of the same kind as an image set (bytes: (v + 1) * 127.5). */
function patternSet(count = 8): ImageSet {
  const pixels = Uint8Array.from(
    { length: count * 1024 },
    (_, i) => Math.round((pattern(i) + 1) * 127.5),
  );
  return { pixels, labels: new Int32Array(count), count, height: 32, width: 32, channels: 1 };
}

type Losses = { lossG: number; lossD: number };
interface Run {
  losses: Losses[];
  weights: Map<string, Float32Array>;
  scores: Float32Array;
}

/** STEPS steps of a fresh seeded model on `backend`, its weights, then its scores of the batch. */
async function run(backend: "cpu" | "webgpu"): Promise<Run> {
  await useBackend(backend);
  const model = EdeGan.create({ width: 4, latentSize: 8 }, SEED);
  const opt = createOptimisers(model);
  const x = images();
  try {
    const losses: Losses[] = [];
    for (let i = 0; i < STEPS; i++) {
      losses.push(await trainStep(model, opt, x));
    }
    const weights = new Map<string, Float32Array>();
    for (const [key, v] of model.variables) weights.set(key, (await v.data()) as Float32Array);
    const { scores } = await scoreImages(model, patternSet());
    return { losses, weights, scores };
  } finally {
    x.dispose();
    opt.generator.dispose();
    opt.discriminator.dispose();
    model.dispose();
  }
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assertEquals(actual.length, expected.length, what);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (diff > RELATIVE * Math.max(scale, 1e-3)) {
      throw new Error(`${what}[${i}]: webgpu ${actual[i]} vs cpu ${expected[i]} (|d| ${diff})`);
    }
  }
}

Deno.test("the device asks only for limits and features the adapter offers", () => {
  const adapter = {
    features: new Set(["bgra8unorm-storage", "shader-f16"]),
    limits: { maxBufferSize: 1024, maxStorageBufferBindingSize: 512 },
  } as unknown as GPUAdapter;
  const d = deviceDescriptor(adapter);
  assertEquals([...d.requiredFeatures!], ["bgra8unorm-storage"]);
  assertEquals(d.requiredLimits, { maxBufferSize: 1024, maxStorageBufferBindingSize: 512 });
});

Deno.test({
  name: "webgpu: EDE-GAN steps and scores match cpu, without leaking tensors",
  ignore: skipUnless(adapterAvailable, WHAT),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const selection = await selectBackend("webgpu");
    assertEquals(selection.backend, "webgpu");
    const cpu = await run("cpu");

    await useBackend("webgpu");
    const before = tf.memory().numTensors;
    const started = performance.now();
    const gpu = await run("webgpu");
    const seconds = (performance.now() - started) / 1000;
    console.log(`webgpu (${selection.device}): ${STEPS} steps + scores in ${seconds.toFixed(2)} s`);
    assertEquals(tf.memory().numTensors, before, "tensors leaked on webgpu");

    for (let i = 0; i < STEPS; i++) {
      assertClose([gpu.losses[i].lossG, gpu.losses[i].lossD], [
        cpu.losses[i].lossG,
        cpu.losses[i].lossD,
      ], `losses of step ${i}`);
    }
    assertEquals([...gpu.weights.keys()], [...cpu.weights.keys()]);
    for (const [key, w] of cpu.weights) assertClose(gpu.weights.get(key)!, w, key);
    assertClose(gpu.scores, cpu.scores, "scores");
    await useBackend("cpu");
  },
});

Deno.test({
  name: "webgpu: a whole fit (2 epochs, shuffled batches) ends where the cpu's ends",
  ignore: skipUnless(adapterAvailable, WHAT),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await selectBackend("webgpu");
    const fitOn = async (backend: "cpu" | "webgpu") => {
      await useBackend(backend);
      const before = tf.memory().numTensors;
      const model = EdeGan.create({ width: 2, latentSize: 4 }, SEED);
      const set = patternSet();
      const { history, optimisers } = await fit(model, set, { epochs: 2, batchSize: 4, seed: 3 });
      const { scores } = await scoreImages(model, set);
      optimisers.generator.dispose();
      optimisers.discriminator.dispose();
      model.dispose();
      assertEquals(tf.memory().numTensors, before, `tensors leaked by fit on ${backend}`);
      return { history, scores };
    };
    const cpu = await fitOn("cpu");
    const gpu = await fitOn("webgpu");
    assertEquals(gpu.history.length, 2);
    assertClose(gpu.history.map((h) => h.lossG), cpu.history.map((h) => h.lossG), "epoch lossG");
    assertClose(gpu.history.map((h) => h.lossD), cpu.history.map((h) => h.lossD), "epoch lossD");
    assertClose(gpu.scores, cpu.scores, "scores after fit");
    await useBackend("cpu");
  },
});

Deno.test({
  name: "webgpu: dataSync where the runtime cannot read synchronously fails with the fix",
  ignore: skipUnless(adapterAvailable, WHAT) || canReadSync(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await useBackend("webgpu");
    const x = images();
    const y = tf.square(x);
    try {
      let error: unknown;
      try {
        y.dataSync();
      } catch (e) {
        error = e;
      }
      assertInstanceOf(error, WebGpuSyncReadError);
      assertStringIncludes((error as Error).message, "await tensor.data()");
      // The same tensor reads asynchronously, and values already on the CPU read synchronously.
      assertEquals((await y.data()).length, 4 * 1024);
      assertEquals(Array.from(tf.tensor1d([1, 2]).dataSync()), [1, 2]);

      // auto passes over a software adapter (llvmpipe), with the reason.
      const auto = await selectBackend("auto");
      assert(auto.backend !== "webgpu");
      assert(auto.skipped.some((line) => line.startsWith("webgpu: ")), auto.skipped.join("\n"));
    } finally {
      tf.dispose([x, y]);
      await useBackend("cpu");
    }
  },
});

Deno.test("bench/gpu-check.sh --dry-run checks prerequisites and prints its commands", async () => {
  const out = await new Deno.Command("bash", {
    args: ["bench/gpu-check.sh", "--dry-run"],
    env: { OUT: await Deno.makeTempDir() },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assertStringIncludes(text, "deno task bench --suite model --backend webgpu --json");
  assertStringIncludes(text, "deno task bench --suite model --backend wasm --json");
  assertStringIncludes(
    text,
    "VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json",
  );
  // Everything the check needs is here (Deno, node_modules, the model suite), and where an
  // adapter exists the probe runs the library's trainStep on webgpu: the dry run finds nothing.
  assertEquals(text.split("\n").filter((line) => line.includes("PROBLEM:")), []);
  if (adapterAvailable) assertStringIncludes(text, "webgpu trainStep: ok");
  assertStringIncludes(text, "dry run: ok");
  assertEquals(out.code, 0, text);
});
