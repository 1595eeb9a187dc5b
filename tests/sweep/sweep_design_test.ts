// The distillation design axes of a sweep (issue 26): each combination is a job with its own id,
// run end to end through `deno task sweep`, its design recorded in the job file and run.json.
import { assertEquals, assertThrows } from "@std/assert";
import { join } from "@std/path";
import { parseDesignAxes, sweepJobs } from "../../lib/sweep/grid.ts";
import { mergeResults } from "../../lib/sweep/merge.ts";
import type { SweepJobResult } from "../../lib/sweep/runner.ts";

Deno.test("sweep design axes: every combination a job, the default design keeps the plain id", () => {
  const designs = parseDesignAxes({
    "student-latent": "keep",
    "kd-weights": "1,1,1/1,50,1",
    "stage1": "kd-gan,kd",
  });
  const ids = sweepJobs({
    datasets: ["mnist"],
    classes: [2],
    seeds: [0],
    widths: [2],
    methods: ["pkdgan"],
    designs: [...designs, {}],
  }).map((j) => j.id);
  assertEquals(ids, [
    "mnist-c2-s0-student-latent-keep",
    "mnist-c2-s0-student-latent-keep-stage1-kd",
    "mnist-c2-s0-student-latent-keep-kd-weights-1_50_1",
    "mnist-c2-s0-student-latent-keep-kd-weights-1_50_1-stage1-kd",
    "mnist-c2-s0",
  ]);
  assertThrows(
    () => parseDesignAxes({ stage1: "kd,joint" }),
    Error,
    "stage1=: 'joint' is not one of",
  );
  assertThrows(() => parseDesignAxes({ "kd-weights": "1,1" }), Error, "--kd-weights");
  assertThrows(() => parseDesignAxes({ "bn-stats": "all" }), Error, "--bn-stats: 'all'");
});

Deno.test("sweep merge: designs get tables of their own, never averaged together", () => {
  const job = (id: string, auc: number, design?: SweepJobResult["design"]): SweepJobResult => ({
    id,
    dataset: "mnist",
    normal_class: 2,
    seed: 0,
    teacher: { width: 64, params: 1, mflops: 1, auc },
    students: [],
    seconds: 1,
    finished_at: "",
    ...(design ? { design } : {}),
  });
  const tables = mergeResults([job("a", 0.9), job("b", 0.8, { stage1: "kd" })]);
  assertEquals(
    tables.datasets.map((d) => [d.dataset, d.teacher.average.mean]),
    [["mnist", 0.9], ["mnist-stage1-kd", 0.8]],
  );
});

Deno.test("deno task sweep stage1=kd kd-weights=1,50,1: the job runs that design and records it", async () => {
  const out = await Deno.makeTempDir({ prefix: "edegan-sweep-design-" });
  try {
    const run = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "tasks/sweep.ts",
        "--normal=0",
        "--students=2",
        "--methods=pkdgan",
        "--teacher-width=4",
        "--epochs=1",
        "--distill-epochs=1,1",
        "--limit=48",
        "--test-limit=60",
        "--backend=wasm",
        `--out=${out}`,
        "stage1=kd",
        "kd-weights=1,50,1",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(run.stdout) + new TextDecoder().decode(run.stderr);
    assertEquals(run.code, 0, text);
    const id = "mnist-c0-s0-kd-weights-1_50_1-stage1-kd";
    const result = JSON.parse(await Deno.readTextFile(join(out, "jobs", `${id}.json`)));
    assertEquals(result.design, { kdWeights: { z1: 1, x: 50, z2: 1 }, stage1: "kd" });
    const runJson = JSON.parse(await Deno.readTextFile(join(out, "runs", id, "run.json")));
    assertEquals([runJson.design.stage1, runJson.design.kdWeights.x], ["kd", 50]);
    const pkdgan = JSON.parse(
      await Deno.readTextFile(join(out, "runs", id, "jobs", "w2-l100-pkdgan.json")),
    );
    assertEquals(pkdgan.history.map((r: { structure: string }) => r.structure), ["kd", "joint"]);
    assertEquals(pkdgan.design.stage1, "kd");
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
