/**
 * results/queue.sh, the time-boxed worker of results/queue.txt: a deadline it cannot read or one
 * already passed is refused before anything runs; a malformed line, a job that would end after the
 * deadline and a job whose dependency is neither there nor being made are skipped, each saying
 * why, and nothing runs; a job whose dependency is being made is passed over until it is there,
 * and results/queue.txt names only jobs of its specs, each dependency a job above it. (The jobs it
 * runs are `deno task sweep --spec --only`, tested in select_test.ts and campaign_test.ts.)
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";

const root = new URL("../../", import.meta.url).pathname;
const queue = join(root, "results/queue.sh");

/** `bash SCRIPT ARGS` (default results/queue.sh): exit code and stdout + stderr. */
async function run(args: string[], env: Record<string, string> = {}, script = queue) {
  const { code, stdout, stderr } = await new Deno.Command("bash", {
    args: [script, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  return { code, text };
}

Deno.test("queue.sh: a deadline it cannot read, or one passed, stops it at once", async () => {
  const bad = await run(["nonsense"]);
  assertEquals(bad.code, 2);
  assertStringIncludes(bad.text, "DEADLINE 'nonsense' is not a time date -d reads");
  const passed = await run(["-1 min"]);
  assertEquals(passed.code, 2);
  assertStringIncludes(passed.text, "has passed");
  const none = await run([]);
  assertEquals(none.code, 2);
  assertStringIncludes(none.text, "usage: bash results/queue.sh DEADLINE");
});

Deno.test("queue.sh: malformed, too long and blocked jobs are skipped, saying why", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const list = join(dir, "queue.txt");
    await Deno.writeTextFile(
      list,
      [
        "# comment",
        "abc results/x y",
        "999 results/constraint/campaign.json late-job   # a trailing comment",
        `5 results/design/chosen.json blocked-job ${dir}/no-such-record.json`,
        // Of two dependencies, the missing one is named.
        `5 results/design/chosen.json two-needs ${list},${dir}/no-part.json`,
        "",
      ].join("\n"),
    );
    const { code, text } = await run(["+30 min", list]);
    assertEquals(code, 0, text);
    assertStringIncludes(text, "skip line 'abc results/x y': expected MINUTES SPEC ID [NEEDS]");
    assertStringIncludes(
      text,
      "skip late-job: 999 min would end after the deadline",
    );
    assertStringIncludes(text, `skip blocked-job: ${dir}/no-such-record.json is not there`);
    assertStringIncludes(text, `skip two-needs: ${dir}/no-part.json is not there`);
    assertStringIncludes(text, "queue done");
    assert(!text.includes("--only"), `nothing ran:\n${text}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("queue.sh: a job whose teacher is being made is passed over, not waited on; a dead lock is no teacher", async () => {
  const dir = await Deno.makeTempDir();
  const hostname = new TextDecoder().decode(
    (await new Deno.Command("hostname", { stdout: "piped" }).output()).stdout,
  ).trim();
  try {
    const list = join(dir, "queue.txt");
    // A live lock (this test's own process) and a stale one (a pid that is no process).
    const lock = (pid: number) => JSON.stringify({ pid, host: hostname, started_at: "x" });
    await Deno.writeTextFile(join(dir, "live.running"), lock(Deno.pid));
    await Deno.writeTextFile(join(dir, "dead.running"), lock(2 ** 22 + 12345));
    await Deno.writeTextFile(
      list,
      [
        `5 results/design/chosen.json waiting-job ${dir}/live.json`,
        // Needs what the job above makes: waits with it (a gathering job after its parts).
        `5 results/design/chosen.json after-job ${dir}/live.json,${dir}/waiting-job.json`,
        `5 results/design/chosen.json stale-job ${dir}/dead.json`,
        // The last line without a newline is read too.
        "999 results/constraint/campaign.json late-job",
      ].join("\n"),
    );
    // The live lock goes away after the worker has passed the job over, as when its job ends
    // without a record; then nothing is left.
    const child = new Deno.Command("bash", {
      args: [queue, "+30 min", list],
      env: { QUEUE_POLL_SECONDS: "1" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    setTimeout(() => Deno.remove(join(dir, "live.running")).catch(() => {}), 3000);
    const { code, stdout } = await child.output();
    const text = new TextDecoder().decode(stdout);
    assertEquals(code, 0, text);
    const order = [
      `skip stale-job: ${dir}/dead.json is not there`,
      "skip late-job: 999 min would end after the deadline",
      "waiting-job (and any other job left) waits for the job its dependency comes from",
      `skip waiting-job: ${dir}/live.json is not there`,
      `skip after-job: ${dir}/live.json is not there`,
      "queue done",
    ].map((line) => text.indexOf(line));
    assert(order.every((at) => at >= 0), text);
    assertEquals([...order].sort((a, b) => a - b), order, text);
    assert(!text.includes("--only"), `nothing ran:\n${text}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("queue.sh: a bare HH:MM already past today is tomorrow's", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const list = join(dir, "queue.txt");
    await Deno.writeTextFile(list, "# nothing to run\n");
    const past = new Date(Date.now() - 5 * 60_000);
    const hhmm = past.toISOString().slice(11, 16);
    const { code, text } = await run([hhmm, list]);
    assertEquals(code, 0, text);
    const end = /that end by (\S+)/.exec(text)?.[1];
    // Today's HH:MM five minutes ago, a day on (or today's, if the five minutes crossed midnight).
    const expected = new Date(Date.parse(`${past.toISOString().slice(0, 10)}T${hhmm}:00Z`));
    if (expected.getTime() <= Date.now()) expected.setUTCDate(expected.getUTCDate() + 1);
    assertEquals(end, expected.toISOString().slice(0, 16) + "Z", text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (const list of ["results/queue.txt", "results/students/queue.txt"]) {
  Deno.test(`${list}: every line a job of its spec, every dependency a job above it`, async () => {
    const { campaignJobs, parseCampaignSpec } = await import("../../lib/sweep/campaign.ts");
    const text = await Deno.readTextFile(join(root, list));
    const made = new Map<string, string>(); // a job's record file -> its id
    let count = 0;
    for (const raw of text.split("\n")) {
      const line = raw.replace(/#.*/, "").trim();
      if (line === "") continue;
      const [minutes, spec, id, needs, ...extra] = line.split(/\s+/);
      assert(/^\d+$/.test(minutes) && extra.length === 0, `malformed: ${raw}`);
      const parsed = parseCampaignSpec(await Deno.readTextFile(join(root, spec)), spec);
      const ids = campaignJobs(parsed, spec).map((j) => j.id);
      assert(ids.includes(id), `${spec} has no job ${id}`);
      for (const dep of needs ? needs.split(",") : []) {
        assert(made.has(dep), `${id} needs ${dep}, which no line above makes`);
      }
      made.set(`${parsed.out}/jobs/${id}.json`, id);
      count++;
    }
    assert(count > 0);
  });
}

Deno.test("start.sh: checks the deadline before installing, and starts no second pair of workers", async () => {
  const start = join(root, "results/start.sh");
  const runStart = (args: string[], cwd?: string) =>
    run(args, {}, cwd ? join(cwd, "results/start.sh") : start);
  const none = await runStart([]);
  assertEquals(none.code, 2);
  assertStringIncludes(none.text, "usage: bash results/start.sh DEADLINE");
  const bad = await runStart(["nonsense"]);
  assertEquals(bad.code, 2);
  assertStringIncludes(bad.text, "DEADLINE 'nonsense' is not a time date -d reads");
  const passed = await runStart(["-5 min"]);
  assertEquals(passed.code, 2);
  assertStringIncludes(passed.text, "has passed");
  // A checkout whose worker runs (a stand-in queue.sh that sleeps): nothing is installed or started.
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(join(dir, "results"));
  await Deno.copyFile(start, join(dir, "results/start.sh"));
  await Deno.copyFile(join(root, "results/_deadline.sh"), join(dir, "results/_deadline.sh"));
  await Deno.writeTextFile(join(dir, "results/queue.sh"), "sleep 30\n");
  const worker = new Deno.Command("bash", { args: ["results/queue.sh"], cwd: dir }).spawn();
  try {
    await new Promise((r) => setTimeout(r, 300));
    const again = await runStart(["+10 min"], dir);
    assertEquals(again.code, 0, again.text);
    assertStringIncludes(
      again.text,
      `a worker of results/queue.sh runs here already (pid ${worker.pid})`,
    );
  } finally {
    worker.kill();
    await worker.status;
    await Deno.remove(dir, { recursive: true });
  }
});
