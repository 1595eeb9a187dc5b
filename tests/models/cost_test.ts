import { assertEquals } from "@std/assert";
import {
  compressionRatio,
  encoderLayers,
  layerCost,
  modelCost,
  narrowerCosts,
  resolveConfig,
} from "../../lib/models/ede_gan/mod.ts";
import { studentForRatio, studentSizes } from "../../lib/distill/students.ts";

Deno.test("teacher cost equals a hand count of its layers", () => {
  const c = modelCost(resolveConfig());
  // Encoder (32x32x1, width 64, latent 100), 4x4 kernels, no bias; BN (gamma, beta) after blocks 2-3.
  const e1Params = 16 * 1 * 64 + (16 * 64 * 128 + 2 * 128) + (16 * 128 * 256 + 2 * 256) +
    16 * 256 * 100;
  const e1Macs = 16 * 16 * 16 * 1 * 64 + 8 * 8 * 16 * 64 * 128 + 4 * 4 * 16 * 128 * 256 +
    1 * 16 * 256 * 100;
  assertEquals(c.parts.encoder1, { params: e1Params, macs: e1Macs });
  assertEquals(c.parts.encoder2, c.parts.encoder1);
  // Decoder: 100->256 (1->4), 256->128 (4->8), 128->64 (8->16), 64->1 (16->32); BN on all but last.
  const decParams = (16 * 100 * 256 + 512) + (16 * 256 * 128 + 256) + (16 * 128 * 64 + 128) +
    16 * 64 * 1;
  const decMacs = 1 * 16 * 100 * 256 + 4 * 4 * 16 * 256 * 128 + 8 * 8 * 16 * 128 * 64 +
    16 * 16 * 16 * 64 * 1;
  assertEquals(c.parts.decoder, { params: decParams, macs: decMacs });
  // The brief's figures: 3.2 M generator parameters and 52 M MACs per image.
  assertEquals(c.generator.params, 3_200_384);
  assertEquals(c.generator.macs, 52_346_880);
  assertEquals(c.parts.discriminator.macs, e1Macs - 16 * 256 * 99);
});

Deno.test("layerCost counts transposed convolutions on their input grid", () => {
  const [first] = encoderLayers(resolveConfig(), 100);
  assertEquals(layerCost(first), { params: 1024, macs: 16 * 16 * 16 * 64 });
  const t = layerCost({
    name: "d",
    kind: "convTranspose",
    inChannels: 8,
    outChannels: 4,
    kernel: 4,
    stride: 2,
    padding: "same",
    inSize: 5,
    outSize: 10,
    batchNorm: false,
    activation: "relu",
  });
  assertEquals(t, { params: 512, macs: 25 * 512 });
});

Deno.test("compression ratios cover the paper's 24:1 to 700:1", () => {
  const teacher = resolveConfig();
  assertEquals(compressionRatio(teacher, teacher), 1);
  const costs = narrowerCosts(teacher);
  const [w12] = studentSizes(costs, [12]);
  assertEquals(Math.round(w12.ratio * 10) / 10, 24.4); // the paper's 24.45:1
  const far = studentForRatio(costs, 700);
  if (far.ratio < 600 || far.ratio > 800) throw new Error(`700:1 gave ${far.ratio}`);
  const near = studentForRatio(costs, 311.11);
  if (Math.abs(Math.log(near.ratio / 311.11)) > 0.15) throw new Error(`311:1 gave ${near.ratio}`);
});
