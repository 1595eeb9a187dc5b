/** lib/results: the committed runs read back, and bad folders named in the error. */

import { assert, assertEquals, assertRejects } from "@std/assert";
import { join } from "@std/path";
import {
  FULL_EPOCHS,
  loadDistillations,
  loadTeacherRuns,
  machinesText,
  nearestStudent,
  scoredModels,
} from "../../lib/results/mod.ts";

const results = new URL("../../results/", import.meta.url).pathname;

Deno.test("loadTeacherRuns: the committed teachers, with their studies and both curves", async () => {
  const runs = await loadTeacherRuns(join(results, "teachers"));
  const mnist2 = runs.filter((r) => r.dataset === "mnist" && r.normal === 2 && r.batch === 64);
  // Every seed of digit 2 with the average (seed 0 was regenerated with it), sorted by seed.
  const seeds = mnist2.map((r) => r.seed);
  assertEquals(seeds.slice(0, 2), [0, 1], "sorted by seed");
  assertEquals(seeds, [...seeds].sort((a, b) => a - b), "sorted by seed");
  const averaged = mnist2[0];
  // A run without the average (the 2026-11-29 runs not yet regenerated, if any) reads as such.
  for (const plain of runs.filter((r) => r.ema === null)) {
    assertEquals(plain.averaged, null, plain.folder);
    assert(plain.live.length > 0, plain.folder);
  }
  assertEquals(averaged.ema, 0.99);
  assertEquals(averaged.live.length, FULL_EPOCHS);
  assertEquals(averaged.averaged!.length, FULL_EPOCHS);
  // The run.json of the averaged run, read directly: auc is the average's, liveAuc the live one's.
  const json = JSON.parse(
    await Deno.readTextFile(join(results, "teachers", averaged.folder, "run.json")),
  );
  assertEquals(averaged.averaged!.at(-1), json.history.at(-1).auc);
  assertEquals(averaged.live.at(-1), json.history.at(-1).liveAuc);
  assert(averaged.study !== null, "study-score.json read");
  // A batch-1 run has two scored models, the average's chosen on validation per-image.
  const b1 = runs.find((r) => r.batch === 1 && r.epochs === FULL_EPOCHS && r.averaged)!;
  const models = scoredModels(b1);
  assertEquals(models.map((m) => m.weights), ["live", `averaged (${b1.ema})`]);
  assertEquals(models[1].chosen?.mode, "per-image");
  assert(models[1].chosen!.auc > models[1].moving, "per-image beats the moving averages at b1");
});

Deno.test("loadDistillations: the committed students, nearest the papers' ratios", async () => {
  const ds = await loadDistillations(join(results, "students"));
  const d = ds.find((x) => x.dataset === "mnist" && x.normal_class === 2)!;
  assertEquals(nearestStudent(d, 311.11).width, 3);
  assertEquals(nearestStudent(d, 24.45).width, 12);
});

Deno.test("the readers carry each run's CPU, and the headline names every CPU with its count", async () => {
  const teachers = await loadTeacherRuns(join(results, "teachers"));
  const students = await loadDistillations(join(results, "students"));
  const cpus = [...teachers, ...students].map((r) => r.cpu);
  // Every committed manifest records its machine (both CPU makes are in the campaign).
  assert(cpus.every((c) => typeof c === "string" && c.length > 0), "a run without machine.cpu");
  // A manifest that records the vector extensions is counted apart: "AMD EPYC [AVX2]".
  const amd = cpus.filter((c) => c === "AMD EPYC").length;
  const avx2 = cpus.filter((c) => c === "AMD EPYC [AVX2]").length;
  const xeon = cpus.filter((c) => c!.includes("Xeon")).length;
  assertEquals(amd + avx2 + xeon, cpus.length);
  const text = machinesText(teachers, students);
  assert(text.includes(`AMD EPYC (${amd} runs)`), text);
  assert(text.includes(`Intel Xeon (${xeon} run`), text);
  assert(avx2 === 0 || text.includes(`AMD EPYC [AVX2] (${avx2} run`), text);
});

Deno.test("the readers name the file that is missing or not JSON", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(dir, "mnist-1-b64-s0"));
    await assertRejects(
      () => loadTeacherRuns(dir),
      Error,
      `${join(dir, "mnist-1-b64-s0", "run.json")}: cannot read`,
    );
    await Deno.writeTextFile(join(dir, "mnist-1-b64-s0", "run.json"), "{ not json");
    await assertRejects(() => loadTeacherRuns(dir), Error, "run.json: not valid JSON");
    await assertRejects(() => loadDistillations(dir), Error, "results.json: cannot read");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
