/**
 * What the campaign tests share: `deno task sweep --spec` as a process, its output as text, and a
 * campaign killed (the sweep and its training, SIGKILL) once a run's first checkpoint is written.
 *
 * @module
 */

import { assert } from "@std/assert";
import { join } from "@std/path";
import { processAlive } from "../../lib/util/run_lock.ts";

const root = new URL("../../", import.meta.url).pathname;

/** `deno task sweep --spec SPEC --out OUT` as a process. */
export function sweep(spec: string, out: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(root, "tasks/sweep.ts"), "--spec", spec, "--out", out],
    stdout: "piped",
    stderr: "piped",
    env: { EDEGAN_NO_PROGRESS: "1" },
  }).spawn();
}

/** A finished process's exit code and its stdout and stderr as one text. */
export async function finish(child: Deno.ChildProcess): Promise<{ code: number; all: string }> {
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, all: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

/**
 * Runs the campaign `spec` into `out` and kills it with SIGKILL, the sweep process and the training
 * that holds `run`'s lock, as soon as `run/model/trainer.json` (the first checkpoint) exists;
 * returns once the training process is gone (its lock is then stale, taken over at once).
 *
 * @throws {AssertionError} when no checkpoint comes within two minutes, or the training is still
 * alive 10 s after SIGKILL.
 */
export async function killAtFirstCheckpoint(spec: string, out: string, run: string): Promise<void> {
  const first = sweep(spec, out);
  const deadline = Date.now() + 120_000;
  while (!await Deno.stat(join(run, "model", "trainer.json")).then(() => true, () => false)) {
    assert(Date.now() < deadline, "no checkpoint within two minutes");
    await new Promise((r) => setTimeout(r, 10));
  }
  first.kill("SIGKILL");
  const trainer = JSON.parse(await Deno.readTextFile(join(run, "run.lock"))).pid;
  Deno.kill(trainer, "SIGKILL");
  await first.status;
  const gone = Date.now() + 10_000;
  while (processAlive(trainer)) {
    assert(Date.now() < gone, `pid ${trainer} still alive 10 s after SIGKILL`);
    await new Promise((r) => setTimeout(r, 20));
  }
  await first.stdout.cancel();
  await first.stderr.cancel();
}
