/**
 * A/B of the onednn backend's Adam, native (`lib/backend/onednn/native_adam.ts`) against wasm, in
 * one process: whole teacher training steps at `--batch N` (default 1), `--rounds R` (default 12)
 * rounds of `--steps S` (default 20) steps each way, alternating; prints the median ms a step of
 * each and the median of the per-round differences, then the Adam call alone (5.9 M weights) each
 * way. Both give the same bits (tests/backend/onednn_native_adam_test.ts).
 *
 *   deno run -A bench/adam_native.ts --batch 1
 *
 * @module
 */

import { parseArgs } from "@std/cli";
import * as tf from "../lib/tf.ts";
import { selectBackend } from "../lib/backend/select.ts";
import { EdeGan } from "../lib/models/ede_gan/mod.ts";
import { nativeAdamStatus, nativeAdamSwitch } from "../lib/backend/onednn/native_adam.ts";
import { adamUpdateFlat } from "../lib/ops/adam_update.ts";

const args = parseArgs(Deno.args, { string: ["batch", "rounds", "steps"] });
const batch = Number(args.batch ?? 1);
const rounds = Number(args.rounds ?? 12);
const steps = Number(args.steps ?? 20);
for (const [name, n] of [["--batch", batch], ["--rounds", rounds], ["--steps", steps]] as const) {
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`${name}: expected a whole number >= 1, got '${n}'`);
  }
}
await selectBackend("onednn");
const status = nativeAdamStatus();
if (status.state !== "native") throw new Error(`no native Adam: ${status.reason}`);

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const model = EdeGan.create({ width: 64 }, 1);
const optimisers = model.createOptimisers();
const x = tf.tidy(() => tf.tanh(tf.randomNormal([batch, 32, 32, 1], 0, 1, "float32", 1)));
let step = 0;
async function timeSteps(native: boolean): Promise<number> {
  nativeAdamSwitch.enabled = native;
  const start = performance.now();
  for (let i = 0; i < steps; i++) {
    await model.trainStep(x as tf.Tensor4D, optimisers, { seed: 1, step: ++step });
  }
  return (performance.now() - start) / steps;
}
await timeSteps(true);
await timeSteps(false);
const native: number[] = [], wasm: number[] = [], differences: number[] = [];
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? [true, false] : [false, true];
  const t: Record<string, number> = {};
  for (const n of order) t[String(n)] = await timeSteps(n);
  native.push(t["true"]);
  wasm.push(t["false"]);
  differences.push(t["true"] - t["false"]);
  console.error(
    `round ${r + 1}/${rounds}: native ${t["true"].toFixed(2)} wasm ${
      t["false"].toFixed(2)
    } ms a step`,
  );
}
console.log(
  `batch ${batch}: ms a step native ${median(native).toFixed(2)}, wasm ${
    median(wasm).toFixed(2)
  }, ` +
    `median difference ${median(differences).toFixed(2)} (${rounds} rounds of ${steps} steps)`,
);

// The Adam call alone, on the teacher's generator-sized 5.9 M weights in 34 tensors.
const sizes = Array.from({ length: 34 }, (_, i) => (i % 2 === 0 ? 340_000 : 7_000));
const total = sizes.reduce((a, b) => a + b, 0);
let offset = 0;
const segments = sizes.map((n) => {
  const s = { param: tf.randomNormal([n]), grad: tf.randomNormal([n]), offset };
  offset += n;
  return s;
});
let m = tf.zeros([total]) as tf.Tensor1D, v = tf.zeros([total]) as tf.Tensor1D;
const attrs = { beta1: 0.5, beta2: 0.999, epsilon: 1e-8, correction2: 0.9, stepSize: 2e-4 };
for (const enabled of [true, false, true, false]) {
  nativeAdamSwitch.enabled = enabled;
  const times: number[] = [];
  for (let i = 0; i < 30; i++) {
    const start = performance.now();
    const out = adamUpdateFlat(segments, m, v, attrs);
    times.push(performance.now() - start);
    out.params.forEach((p) => p.dispose());
    m = out.m;
    v = out.v;
  }
  console.log(
    `Adam alone (${total} weights): ${enabled ? "native" : "wasm  "} ${
      median(times).toFixed(2)
    } ms`,
  );
}
