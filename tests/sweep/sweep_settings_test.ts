// Issue 30: a finished sweep job is not skipped when the sizes asked for changed: its recorded
// settings are compared, as `--resume` does, and a difference is refused, naming it.

import { assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { jobSettings, runSweep } from "../../lib/sweep/runner.ts";

const job = {
  id: "mnist-c0-s0",
  dataset: "mnist" as const,
  normal: 0,
  seed: 0,
  widths: [4],
  methods: ["pkdgan" as const],
};

Deno.test("a finished job is refused, not skipped, when the sweep's sizes changed", async () => {
  const out = await Deno.makeTempDir();
  let runs = 0;
  const run = () => {
    runs++;
    return Promise.resolve({
      dataset: "mnist" as const,
      normal_class: 0,
      seed: 0,
      teacher: { width: 32, params: 1, mflops: 1, auc: 0.9 },
      students: [],
    });
  };
  const quick = jobSettings({ preset: "quick" });
  const first = await runSweep({ jobs: [job], out, run, settings: quick });
  assertEquals(first.ran, [job.id]);
  const recorded = JSON.parse(await Deno.readTextFile(join(out, "jobs", `${job.id}.json`)));
  assertEquals(recorded.settings, quick);

  const shorter = jobSettings({ preset: "quick", sizes: { epochs: 1, limit: 64 } });
  const second = await runSweep({ jobs: [job], out, run, settings: shorter });
  assertEquals([second.skipped, runs], [[], 1]); // before issue 30: skipped as finished
  assertEquals(second.failed.length, 1);
  assertStringIncludes(second.failed[0].error, "--epochs 2 -> 1, --limit 1024 -> 64");
  assertStringIncludes(second.failed[0].error, "choose another --out");

  const same = await runSweep({
    jobs: [job],
    out,
    run,
    settings: jobSettings({ preset: "quick" }),
  });
  assertEquals([same.skipped, runs], [[job.id], 1]);
  // A result of an older version, without settings, is not compared.
  delete recorded.settings;
  await Deno.writeTextFile(join(out, "jobs", `${job.id}.json`), JSON.stringify(recorded));
  assertEquals((await runSweep({ jobs: [job], out, run, settings: shorter })).skipped, [job.id]);
  await Deno.remove(out, { recursive: true });
});
