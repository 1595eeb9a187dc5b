/**
 * Prints a hash of everything a few teacher training steps leave behind, to check that a change
 * to kernels, threads or the optimiser keeps training bit for bit: an FNV-1a hash of the bits of
 * every weight, both Adam moments of both networks and the latent scores of two zero images after
 * `--steps N` (default 6) steps at `--batch N` (default 1) on `--backend` (default onednn, every
 * core), then the last step's losses. `--one-thread` runs every convolution under 32 M
 * multiply-adds on one thread (the rule before the per-direction one), `--two-threads` every one on
 * oneDNN's thread count. The hashes of the last sessions (onednn, 2 cores): batch 1 `4ccc2977`,
 * 4 `69cfb705`, 64 `3a710dc3` (BENCHMARKS.md, issue 29).
 *
 *   deno run -A bench/train_hash.ts --batch 1
 *
 * @module
 */

import { parseArgs } from "@std/cli";
import * as tf from "../lib/tf.ts";
import { selectBackend } from "../lib/backend/select.ts";
import { EdeGan } from "../lib/models/ede_gan/mod.ts";
import { convolutionThreading } from "../lib/backend/onednn/convolution.ts";

const args = parseArgs(Deno.args, {
  string: ["backend", "batch", "steps"],
  boolean: ["one-thread", "two-threads"],
});
const backend = (args.backend ?? "onednn") as "onednn" | "wasm";
const batch = Number(args.batch ?? 1);
const steps = Number(args.steps ?? 6);
for (const [name, n] of [["--batch", batch], ["--steps", steps]] as const) {
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`${name}: expected a whole number >= 1, got '${n}'`);
  }
}
await selectBackend(backend);
const macs = convolutionThreading.singleThreadMacs;
if (args["one-thread"]) macs.forward = macs.backwardData = macs.backwardWeights = 32e6;
if (args["two-threads"]) {
  macs.forward = macs.backwardData = macs.backwardWeights = 0;
  convolutionThreading.weightGradientMacs = 0;
}

const model = EdeGan.create({ width: 64 }, 1);
const optimisers = model.createOptimisers();
let losses: number[] = [];
for (let step = 1; step <= steps; step++) {
  const x = tf.tidy(() =>
    tf.tanh(tf.randomNormal([batch, 32, 32, 1], 0, 1, "float32", step))
  ) as tf.Tensor4D;
  const l = await model.trainStep(x, optimisers, { seed: 1, step });
  losses = [l.lossG, l.lossD, l.adversarial, l.contextual, l.latent];
  x.dispose();
  console.error(`step ${step}/${steps}`);
}
let hash = 2166136261;
const feed = (a: Float32Array) => {
  for (const word of new Uint32Array(a.buffer, a.byteOffset, a.length)) {
    hash = Math.imul(hash ^ word, 16777619) >>> 0;
  }
};
for (const [, v] of model.variables) feed(v.dataSync() as Float32Array);
for (const o of [optimisers.generator, optimisers.discriminator]) {
  const state = await o.state();
  for (const [, m] of state.moments) {
    feed(m.m);
    feed(m.v);
  }
}
const zeros = tf.zeros([2, 32, 32, 1]) as tf.Tensor4D;
feed(await model.scoreBatch(zeros, { kinds: ["latent"] }).scores.latent!.data() as Float32Array);
console.log(`${backend} batch ${batch} steps ${steps}: ${hash.toString(16)} ${losses.join(" ")}`);
Deno.exit(0);
