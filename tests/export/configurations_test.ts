// Every shape of EDE-GAN exports: RGB, 64x64, GANomaly's extra layers, no latent constraint, each
// score distance, with BatchNorm statistics far from the identity (random weights, inference mode).

import { assert } from "@std/assert";
import { loadOnnxRuntime } from "./_onnxruntime.ts";
import { io } from "@tensorflow/tfjs-core";
import { loadGraphModel } from "@tensorflow/tfjs-converter";
import * as tf from "../../lib/tf.ts";
import { EdeGan, type EdeGanConfig } from "../../lib/models/ede_gan/mod.ts";
import type { NamedTensors } from "../../lib/models/anomaly_model.ts";
import { onnxModel, scoringPath, tfjsGraphModel } from "../../lib/export/mod.ts";
import { createRng, normal } from "../../lib/util/rng.ts";
import { maxAbsDiff, useBackend } from "../_helpers.ts";

/** A model with random BatchNorm gamma, beta, moving mean and moving variance. */
function randomModel(config: Partial<EdeGanConfig>, seed: number): EdeGan {
  const base = EdeGan.create(config, seed);
  const rng = createRng(seed + 100);
  const tensors: NamedTensors = new Map();
  for (const [key, v] of base.variables) {
    const data = Float32Array.from(v.dataSync());
    for (let i = 0; i < data.length; i++) {
      if (key.endsWith("/gamma")) data[i] = 1 + 0.3 * normal(rng);
      if (key.endsWith("/beta") || key.endsWith("/movingMean")) data[i] = 0.3 * normal(rng);
      if (key.endsWith("/movingVariance")) data[i] = 0.2 + rng();
      if (key.endsWith("/kernel")) data[i] *= 5;
    }
    tensors.set(key, { shape: v.shape, data });
  }
  base.dispose();
  return EdeGan.fromTensors(config, tensors);
}

const CONFIGS: Partial<EdeGanConfig>[] = [
  { width: 4, latentSize: 8, channels: 3, imageSize: 64, extraLayers: 1 },
  { width: 3, latentSize: 5, latent: "none", scoreDistance: "l2" },
  { width: 2, latentSize: 16, scoreDistance: "l1", extraLayers: 2 },
];

for (const config of CONFIGS) {
  for (const bnStats of ["moving", "per-image"] as const) {
    Deno.test(`export of ${JSON.stringify(config)}, ${bnStats} statistics: TF.js and ONNX score as edegan`, async () => {
      await useBackend("cpu");
      const model = randomModel(config, 7);
      const { imageSize, channels } = model.config;
      const n = 6;
      const x = tf.randomUniform([n, imageSize, imageSize, channels], -1, 1, "float32", 3);
      const want = tf.tidy(() =>
        model.scoreBatch(x as tf.Tensor4D, { kinds: ["latent"], batchNorm: bnStats }).scores
          .latent.dataSync()
      );
      const path = scoringPath(model, bnStats);
      const { modelJson, weights } = tfjsGraphModel(path);
      const graph = await loadGraphModel(io.fromMemory({
        modelTopology: modelJson.modelTopology,
        weightSpecs: modelJson.weightsManifest[0].weights,
        weightData: weights.buffer as ArrayBuffer,
        signature: modelJson.signature,
      }));
      const out = graph.predict(x) as tf.Tensor;
      const tfjsScores = out.dataSync();
      const ort = await loadOnnxRuntime();
      const session = await ort.InferenceSession.create(onnxModel(path));
      const result = await session.run({
        images: new ort.Tensor("float32", x.dataSync() as Float32Array, x.shape),
      });
      const onnxScores = result.score.data as Float32Array;
      for (const [what, got] of [["tfjs", tfjsScores], ["onnx", onnxScores]] as const) {
        const rel = Math.max(...Array.from(want, (w, i) => Math.abs(got[i] - w) / Math.abs(w)));
        assert(
          maxAbsDiff(got, want) <= 1e-5 && rel <= 1e-5,
          `${what}: ${[...got]} vs ${[...want]}`,
        );
      }
      // The scores are not all alike: the comparison could fail.
      assert(Math.max(...want) > Math.min(...want) * 1.001, `${[...want]}`);
      await session.release();
      tf.dispose([x, out]);
      graph.dispose();
      model.dispose();
    });
  }
}
