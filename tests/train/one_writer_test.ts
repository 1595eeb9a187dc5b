// Issue 30: one writer per run. While a live process holds a run's lock, `train --resume`,
// `distill`, `study`, a sweep job and `score --out` into the same place are refused (or, for a
// sweep job, left to it) before they read or write anything, naming the holder's pid and host.

import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { fromFileUrl, join } from "@std/path";
import { runDeno, TINY_RUN, useBackend } from "../_helpers.ts";
import { trainRun } from "../../lib/train/run.ts";
import { runSweep } from "../../lib/sweep/runner.ts";

const ROOT = fromFileUrl(new URL("../../", import.meta.url));

/** A process that stays alive until killed, and a lock file naming it. */
async function liveLock(path: string): Promise<Deno.ChildProcess> {
  const child = new Deno.Command("sleep", { args: ["60"] }).spawn();
  await Deno.writeTextFile(
    path,
    JSON.stringify({ pid: child.pid, host: Deno.hostname(), started_at: "2026-01-01T00:00:00Z" }),
  );
  return child;
}

const task = runDeno;

Deno.test("a second writer on a run is refused before it trains, naming the first; a dead one's lock is taken over", async () => {
  await useBackend("wasm");
  const out = await Deno.makeTempDir();
  const base = { ...TINY_RUN, out };
  await trainRun(base).then((r) => r.model.dispose());
  const before = await Deno.readTextFile(join(out, "run.json"));
  const child = await liveLock(join(out, "run.lock"));
  try {
    let steps = 0;
    const error = await assertRejects(() =>
      trainRun({ ...base, epochs: 2, resume: true, onStep: () => void steps++ })
    );
    assertEquals(steps, 0);
    assertStringIncludes(error.message, `--out ${out}: another process writes here`);
    assertStringIncludes(error.message, `pid ${child.pid} on host ${Deno.hostname()}`);
    assertEquals(await Deno.readTextFile(join(out, "run.json")), before, "run.json untouched");

    // The same lock stops `score --out` into the run, `distill` and `study` on the folder.
    await Deno.writeTextFile(
      join(out, "mine.csv.lock"),
      await Deno.readTextFile(`${out}/run.lock`),
    );
    const score = await task(["tasks/score.ts", "--model", out, "--out", join(out, "mine.csv")]);
    assertEquals(score.code, 2, score.text);
    assertStringIncludes(score.text, `--out ${join(out, "mine.csv")}: another process writes here`);
    for (const name of ["distill", "study"]) {
      const args = name === "study" ? ["tasks/study.ts", "latent"] : ["tasks/distill.ts"];
      const run = await task([...args, "--out", out, "--limit", "32"]);
      assertEquals(run.code, 2, run.text);
      assertStringIncludes(run.text, `pid ${child.pid} on host ${Deno.hostname()}`);
    }
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
  // Its holder gone, the lock is stale: --resume goes on, and leaves no lock behind.
  const resumed = await trainRun({ ...base, epochs: 2, resume: true });
  resumed.model.dispose();
  assertEquals(resumed.history.length, 2);
  assert(!(await Deno.stat(join(out, "run.lock")).then(() => true, () => false)));
  await Deno.remove(out, { recursive: true });
});

Deno.test("a sweep job that a live process runs is left to it; a killed one's is run again", async () => {
  const out = await Deno.makeTempDir();
  await Deno.mkdir(join(out, "jobs"));
  const jobs = ["mnist-c0-s0", "mnist-c1-s0"].map((id, normal) => ({
    id,
    dataset: "mnist" as const,
    normal,
    seed: 0,
    widths: [4],
    methods: ["pkdgan" as const],
  }));
  const child = await liveLock(join(out, "jobs", "mnist-c0-s0.running"));
  // A killed job's lock: its pid no longer runs.
  const dead = new Deno.Command("true").spawn();
  await dead.status;
  await Deno.writeTextFile(
    join(out, "jobs", "mnist-c1-s0.running"),
    JSON.stringify({ pid: dead.pid, host: Deno.hostname(), started_at: "2026-01-01T00:00:00Z" }),
  );
  const ran: string[] = [];
  try {
    const summary = await runSweep({
      jobs,
      out,
      run: (job) => {
        ran.push(job.id);
        return Promise.resolve({
          dataset: "mnist",
          normal_class: job.normal,
          seed: 0,
          teacher: { width: 64, params: 1, mflops: 1, auc: 0.9 },
          students: [],
        });
      },
    });
    assertEquals(ran, ["mnist-c1-s0"]);
    assertEquals(summary.busy, [
      { id: "mnist-c0-s0", holder: `pid ${child.pid} on host ${Deno.hostname()}` },
    ]);
    assertEquals(summary.rerunKilled, ["mnist-c1-s0"]);
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
  await Deno.remove(out, { recursive: true });
});

Deno.test("two `train --resume` processes on one --out: the second is refused naming the first, the first finishes", async () => {
  const out = await Deno.makeTempDir();
  const args = [
    "tasks/train.ts",
    ...["--normal", "1", "--epochs", "4", "--batch-size", "8", "--width", "4", "--limit", "128"],
    ...["--test-limit", "40", "--backend", "wasm", "--out", out, "--resume", "--no-report"],
  ];
  const first = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { EDEGAN_NO_PROGRESS: "1" },
  }).spawn();
  const firstOutput = first.output();
  const lock = join(out, "run.lock");
  for (let i = 0; i < 600 && !(await Deno.stat(lock).then(() => true, () => false)); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const second = await task(args); // a requeued job while the first still runs
  const done = await firstOutput;
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  assertEquals(done.code, 0, decode(done.stdout) + decode(done.stderr));
  assertEquals(second.code, 2, second.text);
  assertStringIncludes(second.text, `--out ${out}: another process writes here (pid ${first.pid}`);
  const manifest = JSON.parse(await Deno.readTextFile(join(out, "run.json")));
  assertEquals([manifest.status, manifest.history.length], ["finished", 4]);
  await Deno.remove(out, { recursive: true });
});
