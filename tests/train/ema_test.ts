import { assert, assertAlmostEquals, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { join } from "@std/path";
import { maxAbsDiff, useBackend } from "../_helpers.ts";
import * as tf from "../../lib/tf.ts";
import type { AnomalyModel } from "../../lib/models/anomaly_model.ts";
import { EdeGan } from "../../lib/models/ede_gan/mod.ts";
import { fit } from "../../lib/train/trainer.ts";
import { trainRun, type TrainRunOptions } from "../../lib/train/run.ts";
import { autoEmaDecay, parseEmaOption } from "../../lib/train/ema.ts";
import { loadEmaState, loadModel } from "../../lib/train/checkpoint.ts";
import { readScoresCsv } from "../../lib/score/csv.ts";
import { scoreImages } from "../../lib/score/score.ts";
import type { ImageSet } from "../../lib/data/types.ts";

function images(count: number): ImageSet {
  return {
    pixels: Uint8Array.from({ length: count * 32 * 32 }, (_, i) => (i * 37 + (i >> 7) * 11) % 256),
    labels: new Int32Array(count),
    count,
    height: 32,
    width: 32,
    channels: 1,
  };
}

Deno.test("ema: the averaged weights equal a hand computation over 3 steps, warm-up included", async () => {
  await useBackend("cpu");
  const model = EdeGan.create({ width: 2, latentSize: 4 }, 4);
  const keys = ["encoder1/conv0/kernel", "decoder/initial/gamma", "encoder2/conv1/movingMean"];
  const read = () => keys.map((k) => Float64Array.from(model.variables.get(k)!.dataSync()));
  const seen = [read()];
  // 6 images at batch 2: 3 steps; onStep sees each step's weights, which the average then takes.
  const decay = 0.15;
  const { ema, optimisers } = await fit(model, images(6), {
    epochs: 1,
    batchSize: 2,
    seed: 0,
    ema: decay,
    onStep: () => seen.push(read()),
  });
  assertEquals(seen.length, 4);
  assertEquals(ema!.updates, 3);
  // d_t = min(decay, (1 + t) / (10 + t)): 0.1, then 0.15, 0.15 (the warm-up is below decay once).
  const decays = [0, 1, 2].map((t) => Math.min(decay, (1 + t) / (10 + t)));
  assertEquals(decays, [0.1, 0.15, 0.15]);
  const state = await ema!.state();
  keys.forEach((key, k) => {
    const hand = Float64Array.from(seen[0][k]);
    for (let t = 0; t < 3; t++) {
      for (let i = 0; i < hand.length; i++) {
        hand[i] = decays[t] * hand[i] + (1 - decays[t]) * seen[t + 1][k][i];
      }
    }
    const got = state.tensors.get(key)!.data;
    assert(maxAbsDiff(got, hand) < 1e-6, `${key}: ${maxAbsDiff(got, hand)}`);
    // ... and it is not simply the live weights.
    assert(maxAbsDiff(got, seen[3][k]) > 1e-6, `${key} averaged equals live`);
  });
  // The discriminator is not averaged; the averaged model keeps the live one.
  assert(![...state.tensors.keys()].some((k) => k.startsWith("discriminator/")));
  const averaged = await ema!.averagedModel(model);
  assertEquals(
    [...averaged.variables.get("discriminator/conv0/kernel")!.dataSync()],
    [...model.variables.get("discriminator/conv0/kernel")!.dataSync()],
  );
  assertAlmostEquals(
    averaged.variables.get(keys[0])!.dataSync()[0],
    state.tensors.get(keys[0])!.data[0],
  );
  averaged.dispose();
  ema!.dispose();
  optimisers.generator.dispose();
  optimisers.discriminator.dispose();
  model.dispose();
});

const base = (out: string, epochs: number, ema?: number): TrainRunOptions => ({
  dataset: "mnist",
  normal: 4,
  epochs,
  batchSize: 16,
  seed: 2,
  limit: 64,
  testLimit: 60,
  model: { width: 2, latentSize: 8 },
  out,
  ...(ema !== undefined ? { ema } : {}),
  warn: () => {},
});

Deno.test("ema: the run scores with the average; the checkpoint keeps it; resume continues it exactly", async () => {
  await useBackend("wasm");
  const root = await Deno.makeTempDir();
  const whole = await trainRun(base(join(root, "whole"), 2, 0.99));
  // The run's model, calibration and scores.csv are the averaged generator's.
  const saved = await loadModel(join(root, "whole", "model"));
  const perEpoch = Math.floor(whole.data.train.count / 16);
  assertEquals(saved.ema, { decay: 0.99, updates: 2 * perEpoch });
  const live = await loadModel(join(root, "whole", "model"), { weights: "live" });
  const key = "decoder/initial/kernel";
  const v = (m: AnomalyModel) => m.variables.get(key)!.dataSync();
  assertEquals([...v(saved.model)], [...v(whole.model)]);
  assert(maxAbsDiff(v(live.model), v(whole.model)) > 1e-6, "live and averaged differ");
  const scores = (await scoreImages(saved.model, whole.data.test)).scores;
  assertEquals([...scores], [...whole.testScores]);
  const csv = await readScoresCsv(join(root, "whole", "scores.csv"));
  assert(maxAbsDiff(csv.scores, scores) < 1e-6 * Math.max(...scores));
  const liveScores = (await scoreImages(live.model, whole.data.test)).scores;
  assert(maxAbsDiff(liveScores, scores) > 0, "scoring the live weights would differ");
  const manifest = JSON.parse(await Deno.readTextFile(join(root, "whole", "run.json")));
  assertEquals(manifest.training.ema, 0.99);
  // One epoch, then --resume to two: the same average and model as the uninterrupted run.
  const first = await trainRun(base(join(root, "split"), 1, 0.99));
  first.model.dispose();
  assertEquals((await loadEmaState(join(root, "split", "model")))!.updates, perEpoch);
  const resumed = await trainRun({ ...base(join(root, "split"), 2, 0.99), resume: true });
  const a = (await loadEmaState(join(root, "whole", "model")))!;
  const b = (await loadEmaState(join(root, "split", "model")))!;
  assertEquals(b.updates, 2 * perEpoch);
  for (const [k, t] of a.tensors) assertEquals([...b.tensors.get(k)!.data], [...t.data], k);
  assertEquals([...resumed.testScores], [...whole.testScores]);
  // Resuming without --ema (or with another decay) is refused, naming the flag.
  await assertRejects(
    () => trainRun({ ...base(join(root, "split"), 3), resume: true }),
    Error,
    "--ema 0.99 -> (none)",
  );
  await assertRejects(() => trainRun(base(join(root, "bad"), 1, 1)), Error, "--ema 1: expected");
  for (const m of [whole.model, saved.model, live.model, resumed.model]) m.dispose();
  assertEquals(tf.memory().numTensors >= 0, true);
  await Deno.remove(root, { recursive: true });
});

Deno.test("ema: each epoch records the live weights' AUC too, equal to a run without --ema", async () => {
  await useBackend("wasm");
  const root = await Deno.makeTempDir();
  const averaged = await trainRun(base(join(root, "ema"), 2, 0.9));
  const plain = await trainRun(base(join(root, "plain"), 2));
  assertEquals(averaged.history.length, 2);
  averaged.history.forEach((record, i) => {
    // The average never feeds back into training: the live trajectory is the plain run's.
    assertEquals(record.liveAuc, plain.history[i].auc, `epoch ${record.epoch}`);
    assert(plain.history[i].liveAuc === undefined);
  });
  // The run's AUC is the average's, from the same scores the run wrote.
  assertEquals(averaged.history.at(-1)!.auc, averaged.metrics.auc);
  const manifest = JSON.parse(await Deno.readTextFile(join(root, "ema", "run.json")));
  assertEquals(manifest.history[1].liveAuc, plain.history[1].auc);
  averaged.model.dispose();
  plain.model.dispose();
  await Deno.remove(root, { recursive: true });
});

Deno.test("ema auto: decay 1 - 1/(steps per epoch), recorded; the same run as that decay given", async () => {
  assertEquals(autoEmaDecay(6400, 64), 0.99);
  assertEquals(autoEmaDecay(5362, 1), 1 - 1 / 5362);
  assertEquals(autoEmaDecay(100, 64), 0.5, "one step per epoch: the floor");
  assertThrows(() => autoEmaDecay(10, 64), Error, "--ema auto: 10 training image(s)");
  assertEquals(parseEmaOption("auto"), "auto");
  assertEquals(parseEmaOption("0.999"), 0.999);
  assertEquals(parseEmaOption(undefined), undefined);
  assertEquals(parseEmaOption("off"), undefined);
  assertThrows(
    () => parseEmaOption("fast"),
    Error,
    "--ema: 'fast' is not a decay in (0, 1), auto or off",
  );
  assertThrows(() => parseEmaOption("1"), Error, "--ema 1: expected a decay in (0, 1)");
  await useBackend("wasm");
  const root = await Deno.makeTempDir();
  const auto = await trainRun({ ...base(join(root, "auto"), 1), ema: "auto" });
  // limit 64 leaves 58 training images after the 10% validation hold-out: 3 steps of 16.
  const steps = Math.floor(auto.data.train.count / 16);
  const manifest = JSON.parse(await Deno.readTextFile(join(root, "auto", "run.json")));
  assertEquals(manifest.training.ema, 1 - 1 / steps);
  assertEquals(manifest.training.emaRule, "auto: 1 - 1/(steps per epoch)");
  const given = await trainRun(base(join(root, "given"), 1, 1 - 1 / steps));
  assertEquals([...auto.testScores], [...given.testScores]);
  auto.model.dispose();
  given.model.dispose();
  await Deno.remove(root, { recursive: true });
});
