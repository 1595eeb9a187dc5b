/**
 * `deno task sweep --spec FILE --status` (lib/sweep/campaign_status.ts): each job's state read
 * from the campaign's files (record, lock, landed folder, log), nothing run or written.
 */

import { assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { campaignJobs, parseCampaignSpec } from "../../lib/sweep/campaign.ts";
import { campaignStatus, stateCounts } from "../../lib/sweep/campaign_status.ts";
import { acquireLock } from "../../lib/util/run_lock.ts";
import { runDeno } from "../_helpers.ts";

Deno.test("campaign status: landed, finished, running with its progress, left unfinished, to run; parts", async () => {
  const dir = await Deno.makeTempDir();
  const out = join(dir, "runs");
  const spec = {
    task: "distill" as const,
    out,
    flags: { preset: "paper", methods: "scratch,one-step,pkdgan" },
    files: ["results.json"],
    groups: [{
      id: "{dataset}-{normal}",
      grid: { dataset: ["mnist"], normal: [1, 2, 3, 4, 5], seed: [0] },
      land: join(dir, "landed", "{dataset}-{normal}"),
      parts: { pkdgan: { methods: "pkdgan" }, alone: { methods: "scratch,one-step" } },
    }],
  };
  const file = join(dir, "campaign.json");
  await Deno.writeTextFile(file, JSON.stringify(spec));
  const jobs = campaignJobs(parseCampaignSpec(JSON.stringify(spec), file), file);
  await Deno.mkdir(join(out, "jobs"), { recursive: true });
  await Deno.mkdir(join(out, "runs"), { recursive: true });
  // mnist-1: landed (its parts with it).
  await Deno.mkdir(join(dir, "landed", "mnist-1"), { recursive: true });
  await Deno.writeTextFile(join(dir, "landed", "mnist-1", "results.json"), "{}");
  // mnist-2: its record (made with the spec's flags), but the landed folder removed.
  const record = (id: string, settings: Record<string, unknown>) =>
    Deno.writeTextFile(
      join(out, "jobs", `${id}.json`),
      JSON.stringify({ id, teacher: { auc: 0.9 }, students: [], settings }),
    );
  await record("mnist-2", jobs.find((j) => j.id === "mnist-2")!.flags);
  // mnist-3: the P-KDGAN part run by a live process (this one), its log with progress lines.
  const lock = await acquireLock(join(out, "jobs", "mnist-3.pkdgan.running"), "job");
  await Deno.writeTextFile(
    join(out, "runs", "mnist-3.pkdgan.log"),
    "distill --preset paper\nw3-l100-pkdgan 100/55180 epoch 1/10\rw3-l100-pkdgan 200/55180 " +
      "epoch 1/10\nnot progress\n",
  );
  // mnist-4: the alone part's process is gone.
  await Deno.writeTextFile(
    join(out, "jobs", "mnist-4.alone.running"),
    JSON.stringify({ pid: 2 ** 22 + 7, host: Deno.hostname(), started_at: "then" }),
  );
  try {
    const statuses = await campaignStatus(jobs, out);
    const state = Object.fromEntries(statuses.map((s) => [s.id, s.state]));
    assertEquals(state, {
      "mnist-1.pkdgan": "landed",
      "mnist-1.alone": "landed",
      "mnist-1": "landed",
      "mnist-2.pkdgan": "landed",
      "mnist-2.alone": "landed",
      "mnist-2": "finished",
      "mnist-3.pkdgan": "running",
      "mnist-3.alone": "to run",
      "mnist-3": "to run",
      "mnist-4.pkdgan": "to run",
      "mnist-4.alone": "left unfinished",
      "mnist-4": "to run",
      "mnist-5.pkdgan": "to run",
      "mnist-5.alone": "to run",
      "mnist-5": "to run",
    });
    // A record made with other flags (the spec edited since) is not finished: sweep would fail
    // the job; one that cannot be read runs again.
    await record("mnist-5", { ...jobs.find((j) => j.id === "mnist-5")!.flags, preset: "quick" });
    await Deno.writeTextFile(join(out, "jobs", "mnist-4.pkdgan.json"), "{");
    const later = await campaignStatus(jobs, out);
    const other = later.find((s) => s.id === "mnist-5")!;
    assertEquals(other.state, "other flags");
    assertStringIncludes(other.detail, "--preset quick -> paper");
    const torn = later.find((s) => s.id === "mnist-4.pkdgan")!;
    assertEquals([torn.state, torn.detail.endsWith("cannot be read: the job runs again")], [
      "to run",
      true,
    ]);
    await Deno.remove(join(out, "jobs", "mnist-5.json"));
    await Deno.remove(join(out, "jobs", "mnist-4.pkdgan.json"));
    const running = statuses.find((s) => s.id === "mnist-3.pkdgan")!;
    assertEquals(running.progress, "w3-l100-pkdgan 200/55180 epoch 1/10");
    assertStringIncludes(running.detail, `pid ${Deno.pid} on ${Deno.hostname()}`);
    assertStringIncludes(statuses.find((s) => s.id === "mnist-4.alone")!.detail, "pid");
    assertEquals(statuses.find((s) => s.id === "mnist-2.pkdgan")!.detail, "gathered into mnist-2");
    assertEquals(
      statuses.find((s) => s.id === "mnist-5")!.detail,
      "gathers mnist-5.pkdgan, mnist-5.alone",
    );
    assertEquals(
      stateCounts(statuses),
      "5 landed, 1 finished, 1 running, 1 left unfinished, 7 to run",
    );

    // The task: the same, as a table and a count line; nothing written.
    const before = await Array.fromAsync(Deno.readDir(join(out, "jobs")));
    const task = await runDeno([
      "tasks/sweep.ts",
      "--spec",
      file,
      "--status",
      "--only",
      "mnist-3*",
    ]);
    const text = task.text;
    assertEquals(task.code, 0, text);
    assertStringIncludes(text, "| mnist-3.pkdgan | running |");
    assertStringIncludes(text, `${file} (out ${out}): 1 running, 2 to run`);
    assertEquals(
      (await Array.fromAsync(Deno.readDir(join(out, "jobs")))).length,
      before.length,
      "nothing written",
    );
  } finally {
    await lock.release();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sweep: --status and --only without --spec say they need one, naming the flag", async () => {
  for (const flag of ["--status", "--only=mnist-1-*"]) {
    const task = await runDeno(["tasks/sweep.ts", flag]);
    assertEquals(task.code, 2, task.text);
    const name = flag.split("=")[0];
    assertStringIncludes(
      task.text,
      `error: ${name}: works on a campaign spec only; add --spec FILE`,
    );
  }
});
