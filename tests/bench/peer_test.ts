/**
 * The PyTorch peer of the model suite. Nothing here needs torch: the tests that run
 * bench/pytorch_peer.py skip (plainly, also under CI=true, where torch is not installed) when no
 * Python imports it.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes, assertThrows } from "@std/assert";
import * as tf from "../../lib/tf.ts";
import {
  findTorchPython,
  parsePeerOutput,
  peerRows,
  peerScriptPath,
  peerSummary,
  runPytorchPeer,
} from "../../lib/bench/peer.ts";
import type { ModelRow } from "../../lib/bench/model.ts";
import {
  createOptimisers,
  EdeGan,
  initialValues,
  modelCost,
  resolveConfig,
  trainStep,
} from "../../lib/models/ede_gan/mod.ts";
import { helpText, main } from "../../tasks/bench.ts";
import { benchWithStandIns, standInPython } from "./_bench_stand_ins.ts";
import { maxAbsDiff, useBackend } from "../_helpers.ts";

const torch = await findTorchPython();
const noTorch = torch === null;
if (noTorch) {
  console.warn(
    "skipping the tests that run bench/pytorch_peer.py: no Python imports torch " +
      "(apt-get install python3-torch); torch is optional, never required",
  );
}

const row = (
  backend: string,
  phase: "train" | "score",
  batch: number,
  images_per_s: number | null,
): ModelRow => ({ backend, phase, batch, images_per_s, peak_rss_mb: 100 });

Deno.test("peerSummary: edegan's best backend over PyTorch's best thread count, per figure", () => {
  const rows = [
    row("wasm", "train", 64, 52),
    row("onednn", "train", 64, 300),
    row("pytorch-1t", "train", 64, 179),
    row("pytorch-2t", "train", 64, 200),
    row("onednn", "train", 1, 40),
    row("wasm", "train", 1, null),
    row("pytorch-1t", "train", 1, 45),
    row("pytorch-2t", "train", 1, 20),
    row("wasm", "score", 256, 370),
    // A peer row of another figure must not count for scoring at 256.
    row("pytorch-1t", "score", 1, 9999),
  ];
  const lines = peerSummary(rows);
  assertEquals(lines.length, 4);
  assertEquals(
    lines[0],
    "training at batch 64: edegan onednn 300.0 images/s / pytorch-2t 200.0 = 1.50x PyTorch " +
      "(target >= 3x: not met)",
  );
  assertStringIncludes(lines[1], "edegan onednn 40.0 images/s / pytorch-1t 45.0 = 0.89x");
  assertStringIncludes(lines[1], "not met");
  assertEquals(lines[2], "scoring at batch 256: no PyTorch figure to compare");
  assertEquals(lines[3], "scoring at batch 1: no edegan figure to compare");
  assertEquals(peerSummary(rows.filter((r) => !r.backend.startsWith("pytorch"))), []);
});

Deno.test("parsePeerOutput: reads JSON rows, skips other lines, names a bad line", () => {
  const good = JSON.stringify({
    backend: "pytorch-2t",
    phase: "score",
    batch: 256,
    images_per_s: 954.5,
    peak_rss_mb: 420,
    device: "torch 1.13.0, 2 thread(s)",
    generator_params: 3200384,
  });
  const rows = parsePeerOutput(`a warning\n${good}\n\n`);
  assertEquals(rows.length, 1);
  assertEquals(rows[0].images_per_s, 954.5);
  assertEquals(rows[0].generator_params, 3200384);
  const bad = good.replace('"pytorch-2t"', '"wasm"');
  assertThrows(() => parsePeerOutput(`${good}\n${bad}`), Error, "output line 2");
  assertThrows(() => parsePeerOutput("{nope"), Error, "output line 1 is not JSON");
  const zero = good.replace("954.5", "0");
  assertThrows(() => parsePeerOutput(zero), Error, "images_per_s > 0");
});

Deno.test("peerRows: without a Python that imports torch, a message naming the package", async () => {
  const { rows, message } = await peerRows({}, ["/nonexistent/python3"]);
  assertEquals(rows, []);
  assertStringIncludes(message!, "apt-get install python3-torch");
  assertStringIncludes(message!, "/nonexistent/python3");
});

Deno.test("bench --peer: in --help, and refused for suites other than model", async () => {
  assertStringIncludes(helpText(), "--peer");
  // Every suite's description starts in one column, past the longest name (score-profile).
  const lines = helpText().split("\n");
  const start = (name: string) => {
    const line = lines.find((l) => l.startsWith(`  ${name} `))!;
    return line.length - line.slice(2 + name.length).trimStart().length;
  };
  assertEquals(new Set(["kernels", "score-profile", "all"].map(start)).size, 1);
  assertEquals(await main(["--suite", "kernels", "--peer"]), 2);
  assertEquals(await main(["--suite", "distill", "--peer"]), 2);
});

Deno.test({
  name: "pytorch_peer.py --width 4 --repeats 1: rows for 1 and 2 threads, edegan's param count",
  ignore: noTorch,
  fn: async () => {
    const progress: string[] = [];
    const rows = await runPytorchPeer({
      python: torch!.python,
      width: 4,
      repeats: 1,
      budgetSeconds: 5,
      onProgress: (msg) => progress.push(msg),
    });
    const expectedParams = modelCost(resolveConfig({ width: 4 })).generator.params;
    assertEquals(
      rows.map((r) => `${r.backend} ${r.phase} ${r.batch}`),
      ["pytorch-1t", "pytorch-2t"].flatMap((b) => [
        `${b} train 1`,
        `${b} train 64`,
        `${b} score 1`,
        `${b} score 256`,
      ]),
    );
    for (const r of rows) {
      assert(r.images_per_s! > 0 && Number.isFinite(r.images_per_s), JSON.stringify(r));
      assert(r.peak_rss_mb > 10 && r.peak_rss_mb < 64 * 1024, JSON.stringify(r));
      assertEquals(r.generator_params, expectedParams);
      assertStringIncludes(r.device!, `torch ${torch!.torch}`);
      assertStringIncludes(r.device!, `${r.backend === "pytorch-1t" ? 1 : 2} thread(s)`);
    }
    assertEquals(progress.length, 8);
    assertMatch(progress[0], /^pytorch-1t train batch 1$/);
  },
});

Deno.test({
  name: "pytorch_peer.py: a parameter count unlike edegan's is a named failure",
  ignore: noTorch,
  fn: async () => {
    const out = await new Deno.Command(torch!.python, {
      args: [peerScriptPath(), "--width", "4", "--threads", "1", "--expect-params", "84825"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(out.code !== 0);
    assertStringIncludes(
      new TextDecoder().decode(out.stderr),
      "generator has 84824 parameters, --expect-params says 84825",
    );
    assertEquals(new TextDecoder().decode(out.stdout), "");
  },
});

Deno.test({
  name: "pytorch_peer.py runs edegan's network: same latents, same losses over two steps",
  ignore: noTorch,
  fn: async () => {
    await useBackend("cpu");
    const config = { width: 4, latentSize: 8 };
    const seed = 5;
    const steps = 2;
    const model = EdeGan.create(config, seed);
    const images = tf.tidy(() => tf.tanh(tf.randomNormal([4, 32, 32, 1], 0, 1, "float32", 3)));
    const latents = () =>
      tf.tidy(() => {
        const { z, zHat } = model.generate(images as tf.Tensor4D, "infer");
        return { z: z.dataSync(), zHat: zHat.dataSync() };
      });
    const before = latents();
    const optimisers = createOptimisers(model);
    const losses = [];
    for (let i = 0; i < steps; i++) {
      losses.push(await trainStep(model, optimisers, images as tf.Tensor4D));
    }
    const after = latents();

    const tensors = Object.fromEntries(
      [...initialValues(resolveConfig(config), seed)].map((
        [key, { shape, data }],
      ) => [key, { shape, data: [...data] }]),
    );
    const spec = {
      width: config.width,
      latent_size: config.latentSize,
      steps,
      tensors,
      images: { shape: images.shape, data: [...images.dataSync()] },
    };
    const file = await Deno.makeTempFile({ suffix: ".json" });
    try {
      await Deno.writeTextFile(file, JSON.stringify(spec));
      const out = await new Deno.Command(torch!.python, {
        args: [peerScriptPath(), "--check", file],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assertEquals(out.code, 0, stderr);
      const peer = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
      assert(maxAbsDiff(peer.before.z, before.z) < 1e-5, "z before training");
      assert(maxAbsDiff(peer.before.z_hat, before.zHat) < 1e-5, "z_hat before training");
      for (let i = 0; i < steps; i++) {
        for (const key of ["lossG", "adversarial", "contextual", "latent", "lossD"] as const) {
          const ours = losses[i][key];
          const theirs = peer.steps[i][key];
          assert(
            Math.abs(ours - theirs) <= 1e-4 * Math.max(1, Math.abs(ours)),
            `step ${i + 1} ${key}: edegan ${ours}, PyTorch ${theirs}`,
          );
        }
      }
      // After two Adam steps of both networks and the BatchNorm running averages' updates.
      assert(maxAbsDiff(peer.after.z, after.z) < 1e-4, "z after training");
      assert(maxAbsDiff(peer.after.z_hat, after.zHat) < 1e-4, "z_hat after training");
      // The comparison can fail: the latents did move.
      assert(maxAbsDiff(after.z, before.z) > 1e-4, "training moved z");
    } finally {
      await Deno.remove(file);
      optimisers.generator.dispose();
      optimisers.discriminator.dispose();
      model.dispose();
      images.dispose();
    }
  },
});

Deno.test("bench --suite model --peer: one table, ratio lines and JSON with both rows", async () => {
  // A stand-in Python (answers the torch probe, prints two canned rows) and a stand-in model
  // suite: the wiring is checked without torch and without minutes of benchmarking.
  const dir = await Deno.makeTempDir();
  const python = await standInPython(dir, [
    { backend: "pytorch-1t", phase: "train", batch: 64, images_per_s: 179 },
    { backend: "pytorch-2t", phase: "train", batch: 64, images_per_s: 200 },
    { backend: "pytorch-1t", phase: "score", batch: 256, images_per_s: 954 },
  ]);
  try {
    const json = `${dir}/bench.json`;
    const { code, printed: out } = await benchWithStandIns(
      ["--suite", "model", "--peer", "--json", json],
      () =>
        Promise.resolve([
          row("onednn", "train", 64, 300),
          row("wasm", "train", 64, 52),
          row("onednn", "score", 256, 1000),
        ] as unknown as Record<string, unknown>[]),
      python,
    );
    assertEquals(code, 0, out);
    assertMatch(out, /pytorch-2t\s*\|\s*train\s*\|\s*64\s*\|\s*200/);
    assertMatch(out, /onednn\s*\|\s*train\s*\|\s*64\s*\|\s*300/);
    assertStringIncludes(out, "training at batch 64: edegan onednn 300.0 images/s / pytorch-2t");
    assertStringIncludes(out, "= 1.50x PyTorch (target >= 3x: not met)");
    assertStringIncludes(out, "training at batch 1: no edegan figure to compare");
    assertStringIncludes(out, "scoring at batch 256: edegan onednn 1000.0 images/s / pytorch-1t");
    const document = JSON.parse(await Deno.readTextFile(json));
    assertEquals(
      document.rows.map((r: ModelRow) => r.backend),
      ["onednn", "wasm", "onednn", "pytorch-1t", "pytorch-2t", "pytorch-1t"],
    );
    assertEquals(document.rows[3].generator_params, 3200384);
    // The script ran the teacher, timed as the model suite times edegan.
    const args = (await Deno.readTextFile(`${dir}/args`)).trim();
    assertStringIncludes(
      args,
      "--width 64 --expect-params 3200384 --train-repeats 5 --score-repeats 7 --budget-seconds 60 " +
        "--train-images-per-call 32 --score-images-per-call 64",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
