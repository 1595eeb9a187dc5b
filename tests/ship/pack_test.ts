import { assert, assertEquals, assertRejects } from "@std/assert";
import { join } from "@std/path";
import { maxAbsDiff, useBackend, withEnv } from "../_helpers.ts";
import { trainRun } from "../../lib/train/run.ts";
import { packRun } from "../../lib/ship/pack.ts";
import { readShippedIndex } from "../../lib/ship/shipped.ts";
import { resolveModelDir } from "../../lib/score/model_dir.ts";
import { loadScoringRun, runBatchNormMode } from "../../lib/score/scoring_run.ts";
import { asEdeGan } from "../../lib/models/ede_gan/mod.ts";
import { readScoresCsv } from "../../lib/score/csv.ts";
import { scoreImages } from "../../lib/score/score.ts";
import { storedRecomputedStats } from "../../lib/models/ede_gan/batch_norm_stats.ts";
import { loadEdeGan } from "../../lib/models/ede_gan/mod.ts";

/** A finished 1-epoch run on MNIST digit 2 (seconds), with a weight average as the teachers. */
async function tinyRun(out: string): Promise<void> {
  const run = await trainRun({
    dataset: "mnist",
    normal: 2,
    epochs: 1,
    batchSize: 32,
    seed: 0,
    ema: 0.9,
    model: { width: 4 },
    limit: 256,
    testLimit: 300,
    out,
  });
  run.model.dispose();
}

/** A distillation of a 1-epoch width-4 teacher into one width-2 student on MNIST digit 2 (seconds). */
async function tinyDistill(
  out: string,
  opts: { methods: ("scratch" | "one-step" | "pkdgan")[]; bnStats?: "per-image" },
) {
  const { runDistillExperiment } = await import("../../lib/distill/experiment.ts");
  return await runDistillExperiment({
    dataset: "mnist",
    normal: 2,
    seed: 0,
    limit: 64,
    testLimit: 200,
    teacher: { width: 4, epochs: 1, batchSize: 16 },
    students: [2],
    epochs: { step1: 1, step2: 1 },
    batchSize: 16,
    ...opts,
    out,
  });
}

Deno.test("ship: a packed run loads back by name and reproduces its scores.csv (float16 and mixed)", async () => {
  await useBackend("wasm");
  const root = await Deno.makeTempDir();
  const models = join(root, "models");
  try {
    await withEnv({ EDEGAN_MODELS: models }, async () => {
      await tinyRun(join(root, "run"));
      const committed = (await readScoresCsv(join(root, "run", "scores.csv"))).scores;
      const f16 = await packRun(join(root, "run"), "tiny-f16", {
        dtype: "float16",
        modelsDir: models,
      });
      const mixed = await packRun(join(root, "run"), "tiny-mixed", {
        dtype: "mixed",
        modelsDir: models,
      });
      assertEquals((await readShippedIndex(models)).models.map((m) => m.name), [
        "tiny-f16",
        "tiny-mixed",
      ]);
      assertEquals(f16.role, "teacher");
      assert(f16.bytes < mixed.bytes, `${f16.bytes} vs ${mixed.bytes}`);
      // The folder holds no optimiser or training state, and the threshold of the run.
      const files = [...Deno.readDirSync(join(models, "tiny-f16", "model"))].map((e) => e.name)
        .sort();
      assertEquals(files, ["model.json", "weights.bin"]);
      const stored = JSON.parse(await Deno.readTextFile(join(root, "run", "model", "model.json")));
      assertEquals(f16.threshold, stored.calibration.threshold);
      // Loaded as any run is (`--model shipped:NAME`), the data split comes from its run.json.
      assertEquals(await resolveModelDir("shipped:tiny-f16"), join(models, "tiny-f16", "model"));
      for (const [name, tolerance] of [["tiny-f16", 1e-4], ["tiny-mixed", 1e-5]] as const) {
        const run = await loadScoringRun(`shipped:${name}`);
        try {
          // BatchNorm statistics come with the model: scoring it (--bn-stats auto) writes nothing
          const stored = await storedRecomputedStats(
            run.modelDir,
            asEdeGan(run.model, "test"),
            run.data.train,
            32,
          );
          assertEquals(stored.computed, false);
          const { scores } = await scoreImages(run.model, run.data.test);
          const diff = maxAbsDiff(scores, committed);
          assert(diff <= tolerance, `${name}: ${diff}`);
          // mixed keeps the scoring path in float32: the same scores as the run, to float32 rounding
          if (name === "tiny-mixed") {
            assert(diff <= Math.max(...committed) * 1e-6, `${name}: ${diff}`);
          } else assert(diff > 0, "float16 weights score differently from float32 ones");
        } finally {
          run.model.dispose();
        }
      }
      // `study score` on a shipped model writes under runs/, never into models/ (committed)
      const study = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          new URL("../../tasks/study.ts", import.meta.url).pathname,
          "score",
          "--model",
          "shipped:tiny-mixed",
          "--backend",
          "wasm",
          "--bn-stats",
          "moving",
        ],
        cwd: root,
        env: { EDEGAN_MODELS: models, EDEGAN_NO_PROGRESS: "1" },
      }).output();
      assertEquals(study.code, 0, new TextDecoder().decode(study.stderr));
      assert(await Deno.stat(join(root, "runs", "study-tiny-mixed", "study-score.json")));
      assertEquals(
        [...Deno.readDirSync(join(models, "tiny-mixed"))].map((e) => e.name).sort(),
        ["bn-recomputed.json", "model", "run.json", "scores.csv"],
      );
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("ship: refused, with nothing written, for a copy off scores.csv, an unfinished run, a bad name", async () => {
  await useBackend("wasm");
  const root = await Deno.makeTempDir();
  const models = join(root, "models");
  try {
    await tinyRun(join(root, "run"));
    // scores.csv that the model does not reproduce (one score moved by 1e-3)
    const path = join(root, "run", "scores.csv");
    const lines = (await Deno.readTextFile(path)).split("\n");
    const cells = lines[5].split(",");
    cells[1] = String(Number(cells[1]) + 1e-3);
    lines[5] = cells.join(",");
    await Deno.writeTextFile(path, lines.join("\n"));
    await assertRejects(
      () => packRun(join(root, "run"), "tiny", { modelsDir: models }),
      Error,
      "away from scores.csv",
    );
    assertEquals((await readShippedIndex(models)).models, []);
    assertEquals([...Deno.readDirSync(models)].map((e) => e.name), []);
    await assertRejects(
      () => packRun(join(root, "run"), "Tiny Model", { modelsDir: models }),
      Error,
      "--name: 'Tiny Model'",
    );
    const manifest = JSON.parse(await Deno.readTextFile(join(root, "run", "run.json")));
    await Deno.writeTextFile(
      join(root, "run", "run.json"),
      JSON.stringify({ ...manifest, status: "running" }),
    );
    await assertRejects(
      () => packRun(join(root, "run"), "tiny", { modelsDir: models }),
      Error,
      "run.json says 'running', expected 'finished'",
    );
    await assertRejects(
      () => resolveModelDir("shipped:nothing"),
      Error,
      "--model shipped:nothing: no shipped model of that name",
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("ship: a distilled student's job folder is a run that packs and loads back", async () => {
  await useBackend("wasm");
  const root = await Deno.makeTempDir();
  const models = join(root, "models");
  try {
    const results = await tinyDistill(join(root, "distill"), { methods: ["pkdgan"] });
    const job = join(root, "distill", "jobs", "w2-l100-pkdgan");
    const run = JSON.parse(await Deno.readTextFile(join(job, "run.json")));
    assertEquals([run.kind, run.status, run.student.method], ["student", "finished", "pkdgan"]);
    const shipped = await packRun(job, "tiny-student", { modelsDir: models });
    assertEquals(shipped.role, "student");
    assertEquals(shipped.width, 2);
    assertEquals(shipped.auc, results.students[0].aucPkdgan);
    const { model, calibration } = await loadEdeGan(join(models, "tiny-student", "model"));
    assertEquals(calibration?.threshold, run.calibration.threshold);
    model.dispose();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("ship: a student scored with each image's own BatchNorm statistics ships in that mode; recomputed is refused", async () => {
  await useBackend("wasm");
  const root = await Deno.makeTempDir();
  const models = join(root, "models");
  try {
    await withEnv({ EDEGAN_MODELS: models }, async () => {
      const results = await tinyDistill(join(root, "distill"), {
        methods: ["scratch"],
        bnStats: "per-image",
      });
      const job = join(root, "distill", "jobs", "w2-l100-scratch");
      const run = JSON.parse(await Deno.readTextFile(join(job, "run.json")));
      assertEquals(run.scoring.bnStats, "per-image");
      const committed = (await readScoresCsv(join(job, "scores.csv"))).scores;
      const shipped = await packRun(job, "tiny-per-image", { modelsDir: models });
      assertEquals([shipped.role, shipped.bnStats], ["student", "per-image"]);
      assertEquals(shipped.auc, results.students[0].aucScratch);
      assertEquals((await readShippedIndex(models)).models[0].bnStats, "per-image");
      // Loaded by name, it scores in its run's mode (run.json), as `deno task score` does: the
      // committed scores; the moving averages give other ones.
      const loaded = await loadScoringRun("shipped:tiny-per-image");
      try {
        assertEquals(await runBatchNormMode(loaded.modelDir, loaded.model), "per-image");
        const own = (await scoreImages(loaded.model, loaded.data.test, { bnStats: "per-image" }))
          .scores;
        const diff = maxAbsDiff(own, committed);
        assert(diff <= 1e-4, `per-image: ${diff}`);
        const moving = (await scoreImages(loaded.model, loaded.data.test)).scores;
        assert(
          maxAbsDiff(moving, committed) > 100 * Math.max(diff, 1e-6),
          "moving scores the same",
        );
      } finally {
        loaded.model.dispose();
      }
      // A run scored with recomputed statistics is refused, naming the mode; nothing is written.
      await Deno.writeTextFile(
        join(job, "run.json"),
        JSON.stringify({ ...run, scoring: { bnStats: "recomputed" } }),
      );
      await assertRejects(
        () => packRun(job, "tiny-recomputed", { modelsDir: models }),
        Error,
        "scored with 'recomputed' BatchNorm statistics",
      );
      assertEquals((await readShippedIndex(models)).models.map((m) => m.name), ["tiny-per-image"]);
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
