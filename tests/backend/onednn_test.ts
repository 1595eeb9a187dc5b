import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import * as tf from "../../lib/tf.ts";
import { BackendUnavailableError, selectBackend } from "../../lib/backend/select.ts";
import { primitiveCacheSummary } from "../../lib/backend/onednn/convolution.ts";
import { registeredVariant } from "../../lib/backend/kernels.ts";
import { BATCH_NORM_ACTIVATION, hasKernel } from "../../lib/ops/kernel_names.ts";
import { threadChoice, threadCount } from "../../lib/backend/onednn/threads.ts";
import { createOptimisers, EdeGan, trainStep } from "../../lib/models/ede_gan/mod.ts";
import { dnnlAvailable, skipUnless, withEnv } from "../_helpers.ts";
import { type Case, compute, input, OUTPUTS, type Pad, relativeError } from "./_conv.ts";

const available = dnnlAvailable();
const skip = () => skipUnless(available, "oneDNN (apt-get install libdnnl2)");

// Batch 1 and >= 16, strides 1 and 2 (and 3), kernels 3 and 4 (and 1, 5), same / valid /
// explicit padding, odd sizes, one input channel, the teacher's own layers.
const CASES: Case[] = [
  [1, 9, 9, 3, 5, 3, 1, "same"],
  [1, 8, 8, 16, 8, 4, 2, "same"],
  [16, 9, 7, 4, 6, 4, 2, "same"],
  [16, 11, 11, 16, 8, 3, 2, "valid"],
  [17, 7, 7, 3, 4, 3, 2, "valid"],
  [1, 4, 4, 32, 10, 4, 1, "valid"],
  [16, 4, 4, 24, 10, 4, 1, "valid"],
  [3, 13, 12, 18, 7, 5, 3, "same"],
  [2, 9, 9, 16, 4, 3, 2, [[0, 0], [2, 1], [0, 3], [0, 0]]],
  [1, 32, 32, 1, 8, 4, 2, "same"],
  [16, 7, 9, 1, 12, 4, 2, "same"],
  [2, 5, 5, 6, 10, 1, 1, "valid"],
  [1, 33, 31, 2, 9, 3, 2, "valid"],
  [16, 16, 16, 16, 32, 4, 2, "same"],
  [2, 8, 8, 128, 256, 4, 2, "same"],
];

Deno.test("onednn conv2d / conv2dTranspose values and gradients equal cpu within 1e-4", async () => {
  if (skip()) return;
  const { routing } = await import("../../lib/backend/onednn/kernels.ts");
  for (const c of CASES) {
    await selectBackend("cpu");
    const expected = compute(c);
    await selectBackend("onednn");
    // as the backend routes them (some shapes to wasm), then every convolution on oneDNN
    const before = primitiveCacheSummary().count;
    for (const everything of [false, true]) {
      routing.everything = everything;
      let actual: Float32Array[];
      try {
        actual = compute(c);
      } finally {
        routing.everything = false;
      }
      if (everything) {
        assert(primitiveCacheSummary().count > before, `${JSON.stringify(c)} did not reach oneDNN`);
      }
      for (let i = 0; i < OUTPUTS.length; i++) {
        const error = relativeError(actual[i], expected[i]);
        assert(
          error <= 1e-4,
          `${OUTPUTS[i]} of case ${JSON.stringify(c)} (everything on oneDNN: ${everything}): ` +
            `relative error ${error}`,
        );
      }
    }
  }
  const { implementations } = primitiveCacheSummary();
  console.log(`oneDNN implementations: ${implementations.join(", ")}`);
  await selectBackend("wasm");
  assertEquals(registeredVariant(), "wasm", "selecting wasm routes the convolutions back to wasm");
});

Deno.test("onednn leaves to wasm the teacher's layers it runs slowly, and only those", async () => {
  const { onednnServes } = await import("../../lib/backend/onednn/kernels.ts");
  const { convGeometry } = await import("../../lib/backend/wasm_kernels/_geometry.ts");
  const served = (batch: number, size: number, ci: number, co: number, s: number, pad: Pad) => {
    const g = convGeometry([batch, size, size, ci], [4, 4, ci, co], { strides: s, pad });
    return (["forward", "backwardData", "backwardWeights"] as const)
      .map((d) => onednnServes(d, g) ? "dnn" : "wasm").join();
  };
  assertEquals(served(64, 32, 1, 64, 2, "same"), "dnn,wasm,dnn"); // enc1
  assertEquals(served(1, 32, 1, 64, 2, "same"), "dnn,wasm,wasm");
  assertEquals(served(64, 16, 64, 128, 2, "same"), "dnn,dnn,dnn"); // enc2
  assertEquals(served(1, 16, 64, 128, 2, "same"), "dnn,dnn,dnn");
  assertEquals(served(64, 8, 128, 256, 2, "same"), "dnn,dnn,dnn"); // enc3
  assertEquals(served(1, 8, 128, 256, 2, "same"), "dnn,dnn,dnn");
  assertEquals(served(64, 4, 256, 100, 1, "valid"), "wasm,dnn,dnn"); // enc4
  assertEquals(served(1, 4, 256, 100, 1, "valid"), "wasm,wasm,wasm");
});

/** Two training steps from the same model and images: the losses, and every weight's update. */
async function twoSteps(width: number, batch: number): Promise<[number[], Float32Array]> {
  const model = EdeGan.create({ width, latentSize: 100 }, 7);
  const optimisers = createOptimisers(model);
  const images = tf.tidy(() => tf.tanh(input([batch, 32, 32, 1], 11)));
  const trainable = [...model.variables.values()].filter((v) => v.trainable);
  const before = trainable.map((v) => v.dataSync().slice() as Float32Array);
  const losses = [];
  for (let i = 0; i < 2; i++) {
    const l = await trainStep(model, optimisers, images);
    losses.push(l.lossG, l.lossD, l.contextual, l.latent);
  }
  const updates = trainable.flatMap((v, i) =>
    Array.from(v.dataSync() as Float32Array, (w, j) => w - before[i][j])
  );
  images.dispose();
  optimisers.generator.dispose();
  optimisers.discriminator.dispose();
  model.dispose();
  return [losses, Float32Array.from(updates)];
}

Deno.test("a teacher's and a student's training steps on onednn equal the wasm path's", async () => {
  if (skip()) return;
  const lr = 2e-4;
  for (const [width, batch] of [[64, 1], [64, 16], [8, 16]]) {
    await selectBackend("wasm");
    const [wasmLosses, wasmUpdates] = await twoSteps(width, batch);
    await selectBackend("onednn");
    const [dnnLosses, dnnUpdates] = await twoSteps(width, batch);
    for (let i = 0; i < wasmLosses.length; i++) {
      const rel = Math.abs(dnnLosses[i] - wasmLosses[i]) / Math.max(1e-6, Math.abs(wasmLosses[i]));
      assert(
        rel < 2e-3,
        `width ${width} batch ${batch} loss ${i}: ${dnnLosses[i]} vs ${wasmLosses[i]}`,
      );
    }
    // Adam's first steps move each weight by about ±lr whatever the gradient's size, so a gradient
    // near 0 may flip sign under float rounding (oneDNN sums in another order than wasm and cpu,
    // which agree to the bit): measured 1.1 % of the teacher's updates at batch 16, 0.15 % at width
    // 16, the same against cpu; a wrong kernel moves most of them.
    let off = 0;
    for (let i = 0; i < wasmUpdates.length; i++) {
      if (Math.abs(dnnUpdates[i] - wasmUpdates[i]) > 0.1 * lr) off++;
    }
    const share = off / wasmUpdates.length;
    assert(share < 0.03, `width ${width} batch ${batch}: ${off} updates differ (${share})`);
    assert(wasmUpdates.some((u) => Math.abs(u) > 0.5 * lr), "the weights moved");
  }
  await selectBackend("wasm");
});

Deno.test("onednn training does not leak tensors or wasm memory", async () => {
  if (skip()) return;
  await selectBackend("onednn");
  const model = EdeGan.create({ width: 16, latentSize: 100 }, 3);
  const optimisers = createOptimisers(model);
  const images = tf.tidy(() => tf.tanh(input([4, 32, 32, 1], 5)));
  await trainStep(model, optimisers, images);
  const tensors = tf.memory().numTensors;
  const bytes = tf.memory().numBytes;
  for (let i = 0; i < 20; i++) await trainStep(model, optimisers, images);
  assertEquals(tf.memory().numTensors, tensors);
  assertEquals(tf.memory().numBytes, bytes);
  images.dispose();
  optimisers.generator.dispose();
  optimisers.discriminator.dispose();
  model.dispose();
  await selectBackend("wasm");
});

Deno.test("a missing or wrong oneDNN is a named error, and auto falls back with the reason", async () => {
  for (const library of ["/nonexistent/libdnnl.so.2", "libm.so.6"]) {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { selectBackend } from "./lib/backend/select.ts";
         try { await selectBackend("onednn"); console.log("STARTED"); }
         catch (e) { console.log("ERROR " + e.name + ": " + e.message); }
         const s = await selectBackend("auto");
         console.log("AUTO " + s.backend + " | " + s.skipped.join(" | "));`,
      ],
      env: { EDEGAN_DNNL_LIBRARY: library },
      stdout: "piped",
      stderr: "piped",
    });
    const { code, stdout } = await child.output();
    const out = new TextDecoder().decode(stdout);
    assertEquals(code, 0, out);
    assert(out.includes("ERROR BackendUnavailableError: backend 'onednn' cannot start"), out);
    assert(out.includes("apt-get install libdnnl2"), out);
    assert(out.includes(library), out);
    assert(/AUTO wasm \|.*onednn: .*apt-get install libdnnl2/.test(out), out);
  }
});

Deno.test("--threads and EDEGAN_THREADS are checked", () => {
  assertEquals(threadCount(2), 2);
  assertThrows(() => threadCount(0), Error, "--threads");
  assertThrows(() => threadCount(1.5), Error, "--threads");
  withEnv({ EDEGAN_THREADS: "x" }, () => {
    assertThrows(() => threadCount(), Error, "EDEGAN_THREADS");
  });
});

Deno.test("OMP_NUM_THREADS counts when no --threads or EDEGAN_THREADS is given; --threads wins over it", async () => {
  const cores = navigator.hardwareConcurrency;
  await withEnv({ OMP_NUM_THREADS: "1,1", EDEGAN_THREADS: undefined }, async () => {
    assertEquals([threadChoice().count, threadChoice().source], [1, "OMP_NUM_THREADS"]);
    const flag = threadChoice(2);
    assertEquals([flag.count, flag.source], [2, "--threads"]);
    assertEquals(flag.warnings[0], "OMP_NUM_THREADS=1,1 is overridden by --threads 2");
    if (!skip()) {
      const s = await selectBackend("onednn");
      assert(s.device.includes("1 thread(s) from OMP_NUM_THREADS"), s.device);
      await selectBackend("wasm");
    }
  });
  const many = threadChoice(1000);
  assertEquals(many.count, 1000);
  assertEquals(
    many.warnings,
    cores < 1000
      ? [
        `--threads 1000: more threads than the ${cores} core(s) here; oneDNN runs them all, ` +
        "which is slower than one per core",
      ]
      : [],
  );
});

Deno.test("the onednn backend line says how many threads it runs", async () => {
  if (skip()) return;
  const s = await selectBackend("onednn", { threads: 1 });
  assert(
    /oneDNN 2\.\d+\.\d+ convolutions \(omp, 1 thread\(s\) from --threads, \w+ kernels\)/.test(
      s.device,
    ),
    s.device,
  );
  const all = await selectBackend("onednn");
  assert(all.device.includes(`${navigator.hardwareConcurrency} thread(s)`), all.device);
  await selectBackend("wasm");
  await assertRejects(
    () => selectBackend("onednn", { threads: -1 }),
    Error,
    "--threads",
  );
  void BackendUnavailableError;
});

Deno.test("the batchNormActivation op on onednn (one kernel) equals tfjs's ops, values and gradients", async () => {
  if (skip()) return;
  const { batchNormActivation } = await import("../../lib/ops/batch_norm_activation.ts");
  const composite = (x: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D, act: string) => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const z = tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, b, g, 1e-5);
    const y = act === "leakyRelu" ? tf.leakyRelu(z, 0.2) : act === "relu" ? tf.relu(z) : z;
    return { y: y as tf.Tensor4D, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  };
  const shapes = [[1, 4, 4, 256], [16, 8, 8, 128], [3, 5, 7, 6], [8, 16, 16, 64]];
  for (const shape of shapes) {
    for (const act of ["leakyRelu", "relu", "none"] as const) {
      const kept: tf.Tensor[] = [];
      const run = (fused: boolean) =>
        tf.tidy(() => {
          const x = tf.mul(input(shape, 21), 3) as tf.Tensor4D;
          const g = tf.add(tf.mul(tf.reshape(input([1, 1, 1, shape[3]], 22), [shape[3]]), 0.1), 1);
          const b = tf.mul(tf.reshape(input([1, 1, 1, shape[3]], 23), [shape[3]]), 0.5);
          const r = input(shape, 24);
          const f = (x: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D) => {
            if (!fused) return composite(x, g, b, act);
            // the fused op hands its batch statistics to the caller, kept
            const out = batchNormActivation(x, g, b, {
              activation: act,
              epsilon: 1e-5,
              alpha: 0.2,
            });
            kept.push(out.mean, out.variance);
            return out;
          };
          const out = f(x, g as tf.Tensor1D, b as tf.Tensor1D);
          const grads = tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
            tf.sum(tf.mul(f(a as tf.Tensor4D, c as tf.Tensor1D, d as tf.Tensor1D).y, r))
          )([x, g, b]);
          return [out.y, out.mean, out.variance, ...grads].map((t) =>
            t.dataSync().slice() as Float32Array
          );
        });
      await selectBackend("wasm");
      const expected = run(false);
      await selectBackend("onednn");
      assert(hasKernel(BATCH_NORM_ACTIVATION));
      const before = tf.memory().numTensors;
      const actual = run(true);
      tf.dispose(kept);
      assertEquals(tf.memory().numTensors, before);
      const names = ["y", "mean", "variance", "dx", "dgamma", "dbeta"];
      for (let i = 0; i < names.length; i++) {
        const error = relativeError(actual[i], expected[i]);
        assert(error < 2e-4, `${names[i]} of ${shape} ${act}: relative error ${error}`);
      }
    }
  }
  await selectBackend("wasm");
  assert(!hasKernel(BATCH_NORM_ACTIVATION), "wasm composes tfjs's ops");
});

Deno.test("the kernels bench measures oneDNN on every teacher layer and says which it serves", async () => {
  if (skip()) return;
  const { runKernelSuite } = await import("../../lib/bench/kernels.ts");
  const rows = await runKernelSuite({ batches: [1], repeats: 1, impls: ["wasm-edegan", "onednn"] });
  const dnn = rows.filter((r) => r.impl === "onednn");
  assertEquals(dnn.length, rows.length / 2);
  assert(dnn.every((r) => r.ms > 0 && Number.isFinite(r.gflops)));
  const enc1 = dnn.find((r) => r.kernel === "Conv2DBackpropInput" && r.shape.startsWith("enc1"));
  assertEquals(enc1?.served, false);
  const enc2 = dnn.find((r) => r.kernel === "Conv2D" && r.shape.startsWith("enc2"));
  assertEquals(enc2?.served, true);
  await selectBackend("wasm");
});

Deno.test("the activation op on onednn (one kernel) equals tfjs's leakyRelu and relu, values and gradients", async () => {
  if (skip()) return;
  const { activation } = await import("../../lib/ops/activation.ts");
  for (const kind of ["leakyRelu", "relu"] as const) {
    const run = (fused: boolean) =>
      tf.tidy(() => {
        const x = input([4, 16, 16, 64], 31);
        const r = input([4, 16, 16, 64], 32);
        const f = (a: tf.Tensor4D) =>
          fused
            ? activation(a, { activation: kind, alpha: 0.2 })
            : kind === "relu"
            ? tf.relu(a)
            : tf.leakyRelu(a, 0.2);
        const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a as tf.Tensor4D), r)))(x);
        return [f(x), dx].map((t) => t.dataSync().slice() as Float32Array);
      });
    await selectBackend("wasm");
    const expected = run(false);
    await selectBackend("onednn");
    const before = tf.memory().numTensors;
    const actual = run(true);
    assertEquals(tf.memory().numTensors, before);
    for (let i = 0; i < 2; i++) {
      assert(relativeError(actual[i], expected[i]) < 1e-6, `${kind} output ${i}`);
    }
  }
  await selectBackend("wasm");
});
