/**
 * Two campaign workers share `results/`: one lands a class while the other rebuilds the tables.
 * A landing folder appears whole (built under a hidden name, then renamed), the readers pass over
 * hidden folders, a study folder that cannot be read is an error (never a headline silently
 * without the study), and rebuilds take turns by a lock in the results folder.
 */

import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { renderResults } from "../../lib/results/rebuild.ts";
import { rebuildResults } from "../../lib/results/rebuild.ts";
import { type CampaignJob, campaignJobFunction } from "../../lib/sweep/campaign.ts";
import { runSweep } from "../../lib/sweep/runner.ts";
import { withLockWaiting } from "../../lib/util/run_lock.ts";

const root = new URL("../../", import.meta.url).pathname;

/** A results folder with one committed MNIST teacher and an old headline. */
async function resultsFolder(): Promise<string> {
  const dir = await Deno.makeTempDir();
  const from = join(root, "results");
  await Deno.mkdir(join(dir, "teachers", "mnist-0-b64-s0"), { recursive: true });
  await Deno.mkdir(join(dir, "students"));
  await Deno.copyFile(join(from, "paper_figures.json"), join(dir, "paper_figures.json"));
  for (const f of ["run.json", "study-score.json"]) {
    await Deno.copyFile(
      join(from, "teachers", "mnist-0-b64-s0", f),
      join(dir, "teachers", "mnist-0-b64-s0", f),
    );
  }
  await Deno.writeTextFile(
    join(dir, "README.md"),
    "# R\n\n<!-- headline:start -->\nold figures\n<!-- headline:end -->\n\n" +
      "<!-- classes:start -->\n<!-- classes:end -->\n\n" +
      "<!-- students:start -->\n<!-- students:end -->\n",
  );
  return dir;
}

Deno.test("results: folders being landed are passed over; an unreadable study folder is named, not dropped", async () => {
  const dir = await resultsFolder();
  try {
    // Half-built landings (no run.json, no results.json yet) beside the runs.
    await Deno.mkdir(join(dir, "teachers", ".landing-mnist-5-b64-s0-4242"));
    await Deno.mkdir(join(dir, "students", ".landing-mnist-5-b64-s0-4242"));
    await Deno.mkdir(join(dir, "constraint", ".landing-mnist-5-b64-s0-none-4242"), {
      recursive: true,
    });
    const readme = (await renderResults(dir)).find((f) => f.path.endsWith("README.md"))!;
    assertStringIncludes(readme.text, "1 of 10 classes");

    // A study folder with its results but not yet its jobs/: an error naming it.
    await Deno.mkdir(join(dir, "design", "mnist-2-s0-chosen"), { recursive: true });
    await Deno.writeTextFile(
      join(dir, "design", "mnist-2-s0-chosen", "results.json"),
      JSON.stringify({ students: [] }),
    );
    const error = await assertRejects(() => renderResults(dir));
    assertStringIncludes((error as Error).message, join("mnist-2-s0-chosen", "jobs"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("results: a rebuild waits while another process holds the rebuild lock, then writes", async () => {
  const dir = await resultsFolder();
  const other = new Deno.Command("sleep", { args: ["60"] }).spawn();
  try {
    const lock = join(dir, ".rebuild.lock");
    await Deno.writeTextFile(
      lock,
      JSON.stringify({
        pid: other.pid,
        host: Deno.hostname(),
        started_at: new Date().toISOString(),
        command: "deno task results",
      }) + "\n",
    );
    let done = false;
    const told: number[] = [];
    const rebuilt = rebuildResults(dir, { onWait: (h) => told.push(h.pid) }).then((s) => {
      done = true;
      return s;
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assertEquals(done, false, "the rebuild waits for the holder");
    assertEquals(told, [other.pid], "and says whom it waits for, once");
    assertStringIncludes(await Deno.readTextFile(join(dir, "README.md")), "old figures");
    other.kill();
    await other.status;
    const summary = await rebuilt;
    assert(summary.stale.some((p) => p.endsWith("README.md")));
    assert(!(await Deno.readTextFile(join(dir, "README.md"))).includes("old figures"));
    assertEquals(
      await Deno.stat(lock).then(() => true, () => false),
      false,
      "the lock is released",
    );
  } finally {
    try {
      other.kill();
    } catch { /* ended */ }
    await other.status;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("campaign landing: a new folder appears whole, a leftover build is removed, a landed one is updated in place", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const out = join(tmp, "runs");
    const dest = join(tmp, "results", "teachers", "mnist-2-b64-s0");
    const job: CampaignJob = {
      id: "mnist-2",
      dataset: "mnist",
      normal: 2,
      seed: 0,
      widths: [],
      methods: [],
      task: "train",
      flags: { epochs: 1 },
      after: [],
      land: dest,
      files: ["run.json", "jobs/*.json"],
    };
    let auc = 0.9;
    // A fake `deno task train`: a finished run.json and two job files.
    const fake = async () => {
      const runDir = join(out, "runs", "mnist-2");
      await Deno.mkdir(join(runDir, "jobs"), { recursive: true });
      await Deno.writeTextFile(
        join(runDir, "run.json"),
        JSON.stringify({
          kind: "train",
          status: "finished",
          training: { epochs: 1, batchSize: 64, seed: 0 },
          config: { width: 64 },
          history: [{ epoch: 1, auc }],
        }),
      );
      for (const n of ["a", "b"]) {
        await Deno.writeTextFile(join(runDir, "jobs", `${n}.json`), JSON.stringify({ n }));
      }
      return 0;
    };
    // A build a killed landing of this job left behind (its process gone: removed), and builds
    // of live processes (this folder's, and another folder whose name extends this one's): kept.
    const teachers = join(tmp, "results", "teachers");
    const other = new Deno.Command("sleep", { args: ["60"] }).spawn();
    const dead = new Deno.Command("true").spawn();
    await dead.status;
    const builds = {
      dead: `.landing-mnist-2-b64-s0-${dead.pid}`,
      live: `.landing-mnist-2-b64-s0-${other.pid}`,
      longer: `.landing-mnist-2-b64-s0-x-${dead.pid}`,
    };
    for (const b of Object.values(builds)) {
      await Deno.mkdir(join(teachers, b), { recursive: true });
      await Deno.writeTextFile(join(teachers, b, "run.json"), "{");
    }

    const run = campaignJobFunction([job], { runTask: fake });
    try {
      assertEquals((await runSweep({ jobs: [job], out, run })).ran, ["mnist-2"]);
    } finally {
      other.kill();
      await other.status;
    }
    const names = async (d: string) =>
      (await Array.fromAsync(Deno.readDir(d))).map((e) => e.name).sort();
    assertEquals(await names(teachers), [builds.live, builds.longer, "mnist-2-b64-s0"].sort());
    for (const b of [builds.live, builds.longer]) {
      await Deno.remove(join(teachers, b), { recursive: true });
    }
    assertEquals(await names(join(tmp, "results", "teachers")), ["mnist-2-b64-s0"]);
    assertEquals(await names(dest), ["jobs", "run.json"]);
    assertEquals(await names(join(dest, "jobs")), ["a.json", "b.json"]);
    assertEquals(JSON.parse(await Deno.readTextFile(join(dest, "run.json"))).history[0].auc, 0.9);

    // Landed again (the job rerun): the files are replaced, what else the folder holds stays.
    await Deno.writeTextFile(join(dest, "study-score.json"), "{}");
    await Deno.remove(join(out, "jobs", "mnist-2.json"));
    await Deno.remove(join(out, "runs", "mnist-2"), { recursive: true });
    auc = 0.95;
    assertEquals((await runSweep({ jobs: [job], out, run })).ran, ["mnist-2"]);
    assertEquals(await names(dest), ["jobs", "run.json", "study-score.json"]);
    assertEquals(JSON.parse(await Deno.readTextFile(join(dest, "run.json"))).history[0].auc, 0.95);
    assertEquals(await names(join(tmp, "results", "teachers")), ["mnist-2-b64-s0"]);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("withLockWaiting: past its time limit it names the lock and its holder instead of waiting on", async () => {
  const dir = await Deno.makeTempDir();
  const other = new Deno.Command("sleep", { args: ["60"] }).spawn();
  try {
    const lock = join(dir, ".rebuild.lock");
    await Deno.writeTextFile(
      lock,
      JSON.stringify({ pid: other.pid, host: Deno.hostname(), started_at: "then" }) + "\n",
    );
    let ran = false;
    const error = await assertRejects(() =>
      withLockWaiting(lock, "deno task results (r)", () => {
        ran = true;
        return Promise.resolve();
      }, { pollMs: 50, timeoutMs: 300 })
    );
    assertEquals(ran, false);
    assertStringIncludes(
      (error as Error).message,
      `deno task results (r): waited 0 s for the lock ${lock} (pid ${other.pid} on `,
    );
    assertStringIncludes((error as Error).message, `delete ${lock}`);
  } finally {
    other.kill();
    await other.status;
    await Deno.remove(dir, { recursive: true });
  }
});
