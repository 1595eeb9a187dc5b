import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { join } from "@std/path";
import { expandGrid, parseIntList, type SweepGrid, sweepJobs } from "../../lib/sweep/grid.ts";
import { parseShard, shardJobs } from "../../lib/sweep/shard.ts";
import {
  type JobFunction,
  readJobResult,
  runSweep,
  type SweepJobResult,
} from "../../lib/sweep/runner.ts";
import { mergeResults, readJobResults, tablesMarkdown } from "../../lib/sweep/merge.ts";

const grid: SweepGrid = {
  datasets: ["mnist", "fashion-mnist"],
  classes: parseIntList("0-9", "classes"),
  seeds: [0, 1],
  widths: [8, 4],
  methods: ["scratch", "one-step", "pkdgan"],
};

Deno.test("the grid expands to every cell and every (dataset, class, seed) job", () => {
  const cells = expandGrid(grid);
  assertEquals(cells.length, 2 * 10 * 2 * 2 * 3);
  assertEquals(new Set(cells.map((c) => c.id)).size, cells.length);
  assert(cells.some((c) => c.id === "mnist-c3-s0-w4-pkdgan"));
  const jobs = sweepJobs(grid);
  assertEquals(jobs.length, 2 * 10 * 2);
  assertEquals(jobs[0].id, "fashion-mnist-c0-s0");
  assertEquals(jobs.at(-1)!.id, "mnist-c9-s1");
  assertEquals(jobs[0].widths, [8, 4]);
  // Every cell belongs to exactly one job.
  const ids = new Set(jobs.map((j) => j.id));
  assert(cells.every((c) => ids.has(c.job) && c.id.startsWith(`${c.job}-w`)));
  // Stable: the same grid in another order gives the same jobs.
  const shuffled = { ...grid, datasets: [...grid.datasets].reverse(), seeds: [1, 0, 1] };
  assertEquals(sweepJobs(shuffled).map((j) => j.id), jobs.map((j) => j.id));
  assertThrows(() => parseIntList("3-1", "classes"), Error, "classes");
  assertThrows(() => parseIntList("a", "seeds"), Error, "seeds");
});

Deno.test("shards are a disjoint cover of all jobs, balanced, for several n", () => {
  const jobs = sweepJobs(grid).map((j) => j.id);
  for (const n of [1, 2, 3, 7, 8, 40, 45]) {
    const parts = Array.from({ length: n }, (_, i) => shardJobs(jobs, parseShard(`${i + 1}/${n}`)));
    const all = parts.flat();
    assertEquals(all.length, jobs.length, `n=${n}`);
    assertEquals(new Set(all).size, jobs.length, `n=${n}`);
    const sizes = parts.map((p) => p.length);
    assert(Math.max(...sizes) - Math.min(...sizes) <= 1, `n=${n}: ${sizes}`);
  }
  for (const bad of ["0/8", "9/8", "2", "a/b", "1/0"]) {
    assertThrows(() => parseShard(bad), Error, "--shard");
  }
});

function fakeOutcome(dataset: string, normal: number, seed: number) {
  return {
    dataset: dataset as "mnist",
    normal_class: normal,
    seed,
    preset: "quick",
    teacher: { width: 32, params: 100, mflops: 10, auc: 0.5 + normal / 100 + seed / 1000 },
    students: [{ width: 4, latent: 100, params: 1, mflops: 0.1, ratio: 64, auc: { pkdgan: 0.6 } }],
  };
}

Deno.test("a rerun after a failed and a killed job runs only the unfinished ones", async () => {
  const out = await Deno.makeTempDir();
  const jobs = sweepJobs({ ...grid, datasets: ["mnist"], classes: [0, 1, 2], seeds: [0] });
  const calls: string[] = [];
  let failOnce = true;
  const fake: JobFunction = (job, runDir) => {
    calls.push(job.id);
    assertEquals(runDir, join(out, "runs", job.id));
    if (job.id === "mnist-c1-s0" && failOnce) {
      failOnce = false;
      return Promise.reject(new Error("out of memory"));
    }
    return Promise.resolve(fakeOutcome(job.dataset, job.normal, job.seed));
  };
  const first = await runSweep({ jobs, out, run: fake });
  assertEquals(first.ran, ["mnist-c0-s0", "mnist-c2-s0"]);
  assertEquals(first.failed.map((f) => f.id), ["mnist-c1-s0"]);
  assertEquals(await readJobResult(out, "mnist-c1-s0"), undefined);
  // A killed job: its marker left and a half-written result file.
  await Deno.remove(join(out, "jobs", "mnist-c2-s0.json"));
  await Deno.writeTextFile(join(out, "jobs", "mnist-c2-s0.running"), "{}");
  await Deno.writeTextFile(join(out, "jobs", "mnist-c2-s0.json"), '{"id": "mnist-c2');
  calls.length = 0;
  const second = await runSweep({ jobs, out, run: fake });
  assertEquals(calls, ["mnist-c1-s0", "mnist-c2-s0"]);
  assertEquals(second.skipped, ["mnist-c0-s0"]);
  assertEquals(second.rerunKilled, ["mnist-c2-s0"]);
  assertEquals(second.failed, []);
  const names = [...Deno.readDirSync(join(out, "jobs"))].map((e) => e.name).sort();
  assertEquals(names, ["mnist-c0-s0.json", "mnist-c1-s0.json", "mnist-c2-s0.json"]);
  const third = await runSweep({ jobs, out, run: fake });
  assertEquals(third.skipped.length, 3);
  assertEquals((await readJobResults(out)).map((r) => r.id), jobs.map((j) => j.id));
  await Deno.remove(out, { recursive: true });
});

Deno.test("merge gives mean ± std per class and on average, by hand", async () => {
  const out = await Deno.makeTempDir();
  const result = (normal: number, seed: number, teacher: number, pk: number, sc: number) => ({
    id: `mnist-c${normal}-s${seed}`,
    dataset: "mnist",
    normal_class: normal,
    seed,
    preset: "quick",
    teacher: { width: 32, params: 100, mflops: 10, auc: teacher },
    students: [{
      width: 4,
      latent: 100,
      params: 1,
      mflops: 0.1,
      ratio: 24.45,
      auc: { scratch: sc, pkdgan: pk },
    }],
    seconds: 1,
    finished_at: "",
  } as SweepJobResult);
  const files = [
    result(0, 0, 0.90, 0.80, 0.70),
    result(0, 1, 0.80, 0.60, 0.50),
    result(1, 0, 0.70, 0.90, 0.60),
    result(1, 1, 0.60, 0.70, 0.40),
  ];
  await Deno.mkdir(join(out, "jobs"));
  for (const f of files) {
    await Deno.writeTextFile(join(out, "jobs", `${f.id}.json`), JSON.stringify(f));
  }
  await Deno.writeTextFile(join(out, "jobs", "mnist-c2-s0.running"), "{}");
  const tables = mergeResults(await readJobResults(out));
  assertEquals(tables.jobs, 4);
  const d = tables.datasets[0];
  assertEquals(d.classes, [0, 1]);
  // class 0: 0.90, 0.80 -> mean 0.85, std sqrt(0.005) = 0.070711
  assertAlmostEquals(d.teacher.per_class[0].mean!, 0.85, 1e-12);
  assertAlmostEquals(d.teacher.per_class[0].std!, Math.SQRT1_2 / 10, 1e-12);
  assertAlmostEquals(d.teacher.per_class[1].mean!, 0.65, 1e-12);
  // per-seed averages: seed 0 (0.90 + 0.70) / 2 = 0.80, seed 1 0.70 -> 0.75 ± 0.070711
  assertAlmostEquals(d.teacher.average.mean!, 0.75, 1e-12);
  assertAlmostEquals(d.teacher.average.std!, 0.0707107, 1e-6);
  // P-KDGAN: seed 0 (0.80 + 0.90) / 2 = 0.85, seed 1 0.65 -> 0.75 ± 0.141421
  const pk = d.students[0].methods.pkdgan!;
  assertAlmostEquals(pk.average.mean!, 0.75, 1e-12);
  assertAlmostEquals(pk.average.std!, 0.1414214, 1e-6);
  assertAlmostEquals(d.students[0].methods.scratch!.average.mean!, 0.55, 1e-12);
  const md = tablesMarkdown(tables);
  assert(md.includes("| AUC | 85.00 ± 7.07 | 65.00 ± 7.07 | 75.00 ± 7.07 |"), md);
  assert(md.includes("| w4 | 24.45:1 | 55.00 ± 14.14 | 75.00 ± 14.14 |"), md);
  assertEquals(tables.warnings, []);
  await Deno.remove(out, { recursive: true });
});

Deno.test("classes outside a dataset's range are refused before any job is made", () => {
  const error = assertThrows(
    () => sweepJobs({ ...grid, datasets: ["mnist"], classes: parseIntList("0-12", "classes") }),
    Error,
  );
  assertEquals(
    error.message,
    "classes: 10, 11, 12 out of range for mnist, expected 0-9; nothing was run",
  );
  assertThrows(
    () => sweepJobs({ ...grid, datasets: ["folder"], classes: [0, 1] }),
    Error,
    "classes: 1 out of range for folder, expected 0 (the folder dataset's one class)",
  );
  assertEquals(sweepJobs({ ...grid, datasets: ["folder"], classes: [0] }).length, 2);
});
