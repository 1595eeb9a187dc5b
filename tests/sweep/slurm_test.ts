/**
 * The documented Slurm workflow (docs/slurm/sweep.sbatch, docs/sweeps.md) on a real one-node Slurm
 * started here: munged, slurmctld and slurmd run as root from a temporary folder, with their own
 * key, socket, ports and spool, so nothing of the machine's own Slurm or MUNGE is touched; all are
 * stopped at the end, also when the test fails.
 *
 * A 2-job grid at the smallest size runs as a 2-task array, submitted as docs/sweeps.md says
 * (`mkdir -p OUT/logs`, then `sbatch --array=0-1 --output=OUT/logs/%A_%a.out ... --out OUT`):
 * 1. task 1 is cancelled mid-job (scancel), task 0 finishes;
 * 2. resubmitted: task 0 skips its finished job, task 1 reruns the killed one; it is requeued
 *    mid-job (scontrol requeue) and its second attempt finishes, both attempts in one log
 *    (--open-mode=append); `deno task merge` builds the tables, checked against the job files;
 * 3. resubmitted again: both tasks skip, job files and tables stay the same byte for byte; the GPU
 *    variant is submitted beside it to a node with a (stand-in) GPU GRES: it gets its GPU and
 *    either trains on tensorflow-gpu or fails at once naming `deno task setup:native gpu`.
 *
 * Needs Debian's slurm-wlm and munge, and root. Outside CI it is skipped when they are missing;
 * under CI=true it fails instead.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { dirname, fromFileUrl, join } from "@std/path";
import { skipUnless } from "../_helpers.ts";

const ROOT = fromFileUrl(new URL("../../", import.meta.url));
const TOOLS = [
  "mungekey",
  "munged",
  "slurmctld",
  "slurmd",
  "sbatch",
  "scontrol",
  "scancel",
  "sinfo",
];
/** The smallest sweep: 2 jobs (classes 0 and 1), one student, one method, a few seconds each. */
const GRID = [
  "--dataset",
  "mnist",
  "classes=0,1",
  "--students",
  "2",
  "--methods",
  "scratch",
  "--teacher-width",
  "8",
  "--epochs",
  "1",
  "--distill-epochs",
  "1,0",
  "--limit",
  "64",
  "--test-limit",
  "100",
];
/** The whole test stops waiting after this long. */
const DEADLINE_MS = 4 * 60_000;
const decoder = new TextDecoder();

function findTool(name: string): string | undefined {
  const dirs = [...(Deno.env.get("PATH") ?? "").split(":"), "/usr/sbin", "/sbin"];
  for (const dir of dirs.filter((d) => d !== "")) {
    try {
      if (Deno.statSync(join(dir, name)).isFile) return join(dir, name);
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

const tools = Object.fromEntries(TOOLS.map((t) => [t, findTool(t)]));
const missing = TOOLS.filter((t) => tools[t] === undefined);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function tail(path: string, lines = 15): Promise<string> {
  try {
    return `${path}:\n${(await Deno.readTextFile(path)).split("\n").slice(-lines).join("\n")}`;
  } catch {
    return `${path}: (none)`;
  }
}

/** One array task as `scontrol -o show job` reports it. */
interface TaskState {
  task: string;
  state: string;
  exitCode: string;
  restarts: number;
}

const FINAL_STATES = [
  "COMPLETED",
  "FAILED",
  "CANCELLED",
  "TIMEOUT",
  "NODE_FAIL",
  "OUT_OF_MEMORY",
  "BOOT_FAIL",
  "DEADLINE",
  "PREEMPTED",
];

/** A one-node Slurm of our own, in a temporary folder. */
class OneNodeSlurm {
  private daemons: { name: string; process: Deno.ChildProcess }[] = [];
  readonly env: Record<string, string>;

  private constructor(readonly dir: string) {
    // sbatch hands its environment to the tasks: the deno running this test is the one they use.
    const path = `${dirname(Deno.execPath())}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`;
    this.env = { SLURM_CONF: join(dir, "slurm.conf"), PATH: path };
  }

  static async start(deadline: number): Promise<OneNodeSlurm> {
    const dir = await Deno.makeTempDir({ prefix: "edegan-slurm-" });
    // munged wants its socket's folder open to all (execute), its key readable by itself only.
    await Deno.chmod(dir, 0o755);
    const slurm = new OneNodeSlurm(dir);
    try {
      await slurm.boot(deadline);
    } catch (error) {
      await slurm.stop();
      throw error;
    }
    return slurm;
  }

  private async boot(deadline: number): Promise<void> {
    const dir = this.dir;
    const socket = join(dir, "munge.sock");
    await this.command("mungekey", ["--create", "--keyfile", join(dir, "munge.key")]);
    this.spawn("munged", [
      "--foreground",
      `--socket=${socket}`,
      `--key-file=${join(dir, "munge.key")}`,
      `--log-file=${join(dir, "munged.log")}`,
      `--pid-file=${join(dir, "munged.pid")}`,
      `--seed-file=${join(dir, "munged.seed")}`,
    ]);
    await Deno.mkdir(join(dir, "state"));
    await Deno.mkdir(join(dir, "spool"));
    const [ctldPort, dPort] = [freePort(), freePort()];
    // config_overrides: the node is what this file says (8 CPUs, 64 GiB, one GPU), whatever the
    // machine has, so that the documented --mem and the GPU variant's --gres=gpu:1 are accepted.
    // cred_expire is also how long a requeued job waits before it may start again (default 120 s).
    await Deno.writeTextFile(
      join(dir, "slurm.conf"),
      [
        "ClusterName=edegantest",
        "SlurmctldHost=localhost(127.0.0.1)",
        `SlurmctldPort=${ctldPort}`,
        `SlurmdPort=${dPort}`,
        "SlurmUser=root",
        "SlurmdUser=root",
        "AuthType=auth/munge",
        "CredType=cred/munge",
        `AuthInfo=socket=${socket},cred_expire=10`,
        `StateSaveLocation=${join(dir, "state")}`,
        `SlurmdSpoolDir=${join(dir, "spool")}`,
        `SlurmctldPidFile=${join(dir, "slurmctld.pid")}`,
        `SlurmdPidFile=${join(dir, "slurmd.pid")}`,
        `SlurmctldLogFile=${join(dir, "slurmctld.log")}`,
        `SlurmdLogFile=${join(dir, "slurmd.log")}`,
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "JobAcctGatherType=jobacct_gather/none",
        "JobCompType=jobcomp/none",
        "AccountingStorageType=accounting_storage/none",
        "MpiDefault=none",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_CPU",
        "SchedulerType=sched/builtin",
        "ReturnToService=2",
        "MinJobAge=600",
        "SlurmdParameters=config_overrides",
        "GresTypes=gpu",
        "NodeName=localhost NodeAddr=127.0.0.1 CPUs=8 RealMemory=65536 Gres=gpu:1 State=UNKNOWN",
        "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
        "",
      ].join("\n"),
    );
    // A stand-in GPU: Slurm only hands out the device file, nothing here uses it.
    await Deno.writeTextFile(
      join(dir, "gres.conf"),
      "NodeName=localhost Name=gpu File=/dev/null\n",
    );
    await this.waitFor(deadline, "munged's socket", async () => {
      try {
        return (await Deno.stat(socket)).isSocket === true;
      } catch {
        return false;
      }
    });
    this.spawn("slurmctld", ["-D", "-f", this.env.SLURM_CONF]);
    this.spawn("slurmd", ["-D", "-f", this.env.SLURM_CONF, "-N", "localhost"]);
    await this.waitFor(deadline, "the node to be idle", async () => {
      const out = await this.command("sinfo", ["-h", "-N", "-o", "%T"], true);
      return out.trim() === "idle";
    });
  }

  private spawn(name: string, args: string[]): void {
    const process = new Deno.Command(tools[name]!, {
      args,
      cwd: this.dir,
      env: this.env,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    this.daemons.push({ name, process });
  }

  /** Runs a Slurm or MUNGE command with this cluster's config; its stdout. */
  async command(name: string, args: string[], quiet = false): Promise<string> {
    const result = await new Deno.Command(tools[name] ?? name, {
      args,
      cwd: ROOT,
      env: this.env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = decoder.decode(result.stdout);
    if (!result.success && !quiet) {
      throw new Error(
        `${name} ${args.join(" ")} exited ${result.code}: ${decoder.decode(result.stderr)}` +
          `\n${await this.logs()}`,
      );
    }
    return stdout;
  }

  async waitFor(deadline: number, what: string, ready: () => Promise<boolean>): Promise<void> {
    while (!(await ready())) {
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}\n${await this.logs()}`);
      }
      await sleep(250);
    }
  }

  /** The array job's tasks, one per task once Slurm has split them. */
  async tasks(jobId: string): Promise<TaskState[]> {
    const out = await this.command("scontrol", ["-o", "show", "job", jobId]);
    return out.split("\n").filter((line) => line.includes("JobId=")).map((line) => {
      const field = (key: string) => new RegExp(`(?:^| )${key}=(\\S*)`).exec(line)?.[1] ?? "";
      return {
        task: field("ArrayTaskId"),
        state: field("JobState"),
        exitCode: field("ExitCode"),
        restarts: Number(field("Restarts")),
      };
    }).sort((a, b) => a.task.localeCompare(b.task));
  }

  /** Waits until every task of the array job has ended; their states by task id. */
  async waitDone(jobId: string, tasks: number, deadline: number): Promise<TaskState[]> {
    let last: TaskState[] = [];
    await this.waitFor(deadline, `array job ${jobId} to end`, async () => {
      last = await this.tasks(jobId);
      return last.length === tasks && last.every((t) => FINAL_STATES.includes(t.state));
    });
    return last;
  }

  async logs(): Promise<string> {
    const files = ["slurmctld.log", "slurmd.log", "munged.log"];
    return (await Promise.all(files.map((f) => tail(join(this.dir, f))))).join("\n");
  }

  /** Cancels every job, waits for them to end, stops the daemons, removes the folder. */
  async stop(): Promise<void> {
    if (this.daemons.some((d) => d.name === "slurmctld")) {
      await this.command("scancel", ["--user=root"], true).catch(() => "");
      const until = Date.now() + 20_000;
      while (Date.now() < until) {
        const left = await this.command("squeue", ["-h", "-o", "%i"], true).catch(() => "");
        if (left.trim() === "") break;
        await sleep(250);
      }
    }
    // slurmd before slurmctld before munged: each needs the next to shut down cleanly.
    for (const name of ["slurmd", "slurmctld", "munged"]) {
      for (const d of this.daemons.filter((d) => d.name === name)) {
        try {
          d.process.kill("SIGTERM");
        } catch {
          // already gone
        }
        const killed = setTimeout(() => {
          try {
            d.process.kill("SIGKILL");
          } catch {
            // already gone
          }
        }, 10_000);
        await d.process.status;
        clearTimeout(killed);
      }
    }
    this.daemons = [];
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/** `mkdir -p OUT/logs && sbatch --array=0-(n-1) --output=OUT/logs/%A_%a.out SCRIPT GRID --out OUT`. */
async function submit(
  slurm: OneNodeSlurm,
  script: string,
  tasks: number,
  out: string,
): Promise<string> {
  await Deno.mkdir(join(out, "logs"), { recursive: true });
  const id = await slurm.command("sbatch", [
    "--parsable",
    `--array=0-${tasks - 1}`,
    // Two per task, so that the log can show that the allocation is passed on.
    "--cpus-per-task=2",
    `--output=${join(out, "logs", "%A_%a.out")}`,
    script,
    ...GRID,
    "--out",
    out,
  ]);
  return id.trim().split(";")[0];
}

async function readLog(out: string, jobId: string, task: number): Promise<string> {
  return await Deno.readTextFile(join(out, "logs", `${jobId}_${task}.out`)).catch(() => "");
}

async function filesOf(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile) files[entry.name] = await Deno.readTextFile(join(dir, entry.name));
  }
  return files;
}

async function merge(out: string): Promise<void> {
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["task", "merge", "--out", out],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = decoder.decode(result.stdout) + decoder.decode(result.stderr);
  assertEquals(result.code, 0, `deno task merge --out ${out} failed:\n${text}`);
}

const ignore = skipUnless(
  missing.length === 0,
  `Slurm and MUNGE (${missing.join(", ")}; apt-get install slurm-wlm munge)`,
) || skipUnless(Deno.uid() === 0, "root (this test starts its own slurmd and munged)");

Deno.test({
  name: "slurm: the documented sbatch script on a real one-node Slurm: cancel, requeue, resubmit",
  ignore,
  async fn() {
    const deadline = Date.now() + DEADLINE_MS;
    const slurm = await OneNodeSlurm.start(deadline);
    const out = await Deno.makeTempDir({ prefix: "edegan-slurm-sweep-" });
    try {
      const jobsDir = join(out, "jobs");
      // Shard 1/2 holds mnist-c0-s0, shard 2/2 mnist-c1-s0 (the sorted job list, round-robin).
      const [done0, done1] = ["mnist-c0-s0", "mnist-c1-s0"].map((id) =>
        join(jobsDir, `${id}.json`)
      );
      const marker1 = join(jobsDir, "mnist-c1-s0.running");
      const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

      // 1. Task 1 cancelled mid-job; task 0 finishes.
      const first = await submit(slurm, "docs/slurm/sweep.sbatch", 2, out);
      await slurm.waitFor(deadline, "task 1's job to start", () => exists(marker1));
      await slurm.command("scancel", [`${first}_1`]);
      const states1 = await slurm.waitDone(first, 2, deadline);
      const log10 = await readLog(out, first, 0);
      const log11 = await readLog(out, first, 1);
      assertEquals(states1.map((t) => [t.task, t.state]), [["0", "COMPLETED"], [
        "1",
        "CANCELLED",
      ]], `${log10}\n${log11}`);
      assertEquals(states1[0].exitCode, "0:0");
      assertMatch(log10, /edegan sweep: shard 1\/2 on .*EDEGAN_THREADS=2, attempt 1/);
      assertStringIncludes(log10, "done: 1 ran, 0 finished before, 0 rerun after a kill, 0 failed");
      // The allocation reaches the backend where it takes threads (oneDNN); wasm runs one.
      const backend = /^backend: (\S+) .*$/m.exec(log10);
      if (backend === null) throw new Error(`no backend line in\n${log10}`);
      if (backend[1] === "onednn") assertStringIncludes(backend[0], "2 thread(s)");
      assertMatch(log11, /edegan sweep: shard 2\/2 on /);
      assert(await exists(done0), log10);
      assert(!(await exists(done1)), `task 1 finished before it was cancelled:\n${log11}`);
      assert(await exists(marker1), "a job killed mid-way leaves its .running marker");

      // 2. Resubmitted: task 0 skips, task 1 reruns the killed job, is requeued mid-way, and its
      // second attempt finishes; --open-mode=append keeps both attempts in one log.
      const second = await submit(slurm, "docs/slurm/sweep.sbatch", 2, out);
      await slurm.waitFor(deadline, "task 1 to rerun the killed job", async () => {
        return (await readLog(out, second, 1)).includes("left unfinished by an earlier run");
      });
      await slurm.command("scontrol", ["requeue", `${second}_1`]);
      const states2 = await slurm.waitDone(second, 2, deadline);
      const log20 = await readLog(out, second, 0);
      const log21 = await readLog(out, second, 1);
      assertEquals(states2.map((t) => [t.task, t.state, t.exitCode]), [
        ["0", "COMPLETED", "0:0"],
        ["1", "COMPLETED", "0:0"],
      ], `${log20}\n${log21}\n${await slurm.logs()}`);
      assertEquals(states2[1].restarts, 1);
      assertStringIncludes(log20, "mnist-c0-s0: finished before");
      assertStringIncludes(log20, "done: 0 ran, 1 finished before");
      assertMatch(
        log21,
        /shard 2\/2 on .*attempt 1,[^]*DUE TO JOB REQUEUE[^]*shard 2\/2 .*attempt 2,/,
      );
      assertStringIncludes(log21, "done: 1 ran, 0 finished before, 1 rerun after a kill, 0 failed");
      assert(!(await exists(marker1)), "the marker is gone once the job finished");

      // The tables against the job files.
      await merge(out);
      const results = [done0, done1].map((f) => JSON.parse(Deno.readTextFileSync(f)));
      const tables = JSON.parse(await Deno.readTextFile(join(out, "tables.json")));
      assertEquals(tables.jobs, 2);
      assertEquals(tables.warnings, []);
      assertEquals(tables.presets, [
        "quick --teacher-width 8 --epochs 1 --distill-epochs 1,0 --limit 64 --test-limit 100",
      ]);
      const mnist = tables.datasets[0];
      assertEquals([mnist.dataset, mnist.classes, mnist.seeds], ["mnist", [0, 1], [0]]);
      assertEquals(mnist.teacher.width, 8);
      assertEquals(
        mnist.teacher.per_class.map((c: { mean: number }) => c.mean),
        results.map((r) => r.teacher.auc),
      );
      const scratch = results.map((r) => r.students[0].auc.scratch);
      assertEquals(mnist.students[0].width, 2);
      assertEquals(mnist.students[0].methods.scratch.average.mean, (scratch[0] + scratch[1]) / 2);
      const markdown = await Deno.readTextFile(join(out, "tables.md"));
      const teacherRow = results.map((r) => (r.teacher.auc * 100).toFixed(2)).join(" | ");
      assertStringIncludes(markdown, `| AUC | ${teacherRow} |`);

      // 3. Resubmitted again, the GPU variant beside it: nothing reruns, nothing changes.
      const jobsBefore = await filesOf(jobsDir);
      const tablesBefore = [await Deno.readFile(join(out, "tables.md")), markdown];
      const tablesJsonBefore = await Deno.readFile(join(out, "tables.json"));
      const third = await submit(slurm, "docs/slurm/sweep.sbatch", 2, out);
      const gpuOut = join(out, "gpu");
      const gpu = await submit(slurm, "docs/slurm/sweep-gpu.sbatch", 1, gpuOut);
      const states3 = await slurm.waitDone(third, 2, deadline);
      for (const task of [0, 1]) {
        const log = await readLog(out, third, task);
        assertEquals([states3[task].state, states3[task].exitCode], ["COMPLETED", "0:0"], log);
        assertStringIncludes(log, "done: 0 ran, 1 finished before, 0 rerun after a kill, 0 failed");
      }
      assertEquals(await filesOf(jobsDir), jobsBefore);
      await merge(out);
      assertEquals(await Deno.readFile(join(out, "tables.md")), tablesBefore[0]);
      assertEquals(await Deno.readFile(join(out, "tables.json")), tablesJsonBefore);

      const [gpuState] = await slurm.waitDone(gpu, 1, deadline);
      const gpuLog = await readLog(gpuOut, gpu, 0);
      const job = await slurm.command("scontrol", ["-o", "show", "job", gpu]);
      assertMatch(job, /gres[/:]gpu[=:]1/, "the GPU variant asks for one GPU");
      assertMatch(gpuLog, /shard 1\/1 on .*EDEGAN_BACKEND=tensorflow-gpu, GPU \S+, attempt 1/);
      if (/^backend: tensorflow-gpu/m.test(gpuLog)) {
        assertEquals(gpuState.state, "COMPLETED", gpuLog); // a machine with the GPU build set up
      } else {
        assertEquals(gpuState.state, "FAILED", gpuLog);
        assertStringIncludes(gpuLog, "backend 'tensorflow-gpu' cannot start");
        assertStringIncludes(gpuLog, "deno task setup:native gpu");
      }
    } finally {
      await slurm.stop();
      await Deno.remove(out, { recursive: true }).catch(() => {});
    }
  },
});
