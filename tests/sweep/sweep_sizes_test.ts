/**
 * `deno task sweep` with sizes given explicitly (`--teacher-width`, `--epochs`, `--limit`, ...):
 * they win over the preset's, and the job result says so in its preset label. One real job at the
 * smallest size (a few seconds on wasm), run as on a compute node without internet
 * (docs/sweeps.md): no network (`unshare -n`) and an empty DENO_DIR, only the clone with the
 * `node_modules/` that `deno install` filled.
 */

import { assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { skipUnless } from "../_helpers.ts";

const decoder = new TextDecoder();

// A network namespace of its own, without interfaces: root's `unshare -n`, else a user namespace.
function unshareArgs(): string[] | undefined {
  for (const args of [["-n"], ["-r", "-n"]]) {
    try {
      const probe = new Deno.Command("unshare", { args: [...args, "true"], stderr: "null" });
      if (probe.outputSync().success) return args;
    } catch {
      // no unshare here
    }
  }
  return undefined;
}
const unshare = unshareArgs();
const offline = !skipUnless(unshare !== undefined, "unshare -n (util-linux), to run offline");

async function sweep(args: string[], env: Record<string, string> = {}) {
  const deno = [Deno.execPath(), "run", "-A", "tasks/sweep.ts", ...args];
  const [command, ...rest] = offline && unshare ? ["unshare", ...unshare, ...deno] : deno;
  const result = await new Deno.Command(command, {
    args: rest,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: result.code, text: decoder.decode(result.stdout) + decoder.decode(result.stderr) };
}

Deno.test("sweep: explicit sizes win over the preset's, recorded with it; runs offline", async () => {
  const out = await Deno.makeTempDir({ prefix: "edegan-sweep-sizes-" });
  const denoDir = await Deno.makeTempDir({ prefix: "edegan-deno-dir-" });
  try {
    const run = await sweep([
      "--normal=0",
      "--students=2",
      "--methods=scratch",
      "--teacher-width=8",
      "--epochs=1",
      "--distill-epochs=1,0",
      "--limit=64",
      "--test-limit=100",
      "--backend=wasm",
      `--out=${out}`,
    ], { DENO_DIR: denoDir });
    assertEquals(run.code, 0, run.text);
    const result = JSON.parse(await Deno.readTextFile(join(out, "jobs", "mnist-c0-s0.json")));
    assertEquals(result.teacher.width, 8); // quick's teacher is 32
    assertEquals(
      result.preset,
      "quick --teacher-width 8 --epochs 1 --distill-epochs 1,0 --limit 64 --test-limit 100",
    );
    const teacher = JSON.parse(
      await Deno.readTextFile(join(out, "runs", "mnist-c0-s0", "teacher", "run.json")),
    );
    assertEquals(teacher.training.epochs, 1);
    assertEquals(teacher.data.counts.train, 64);
    assertEquals(teacher.data.counts.test, 100);
    // The job file, the distillation's run.json and the teacher's record the commit that made them.
    const { stdout } = new Deno.Command("git", {
      args: ["-C", new URL("../../", import.meta.url).pathname, "rev-parse", "HEAD"],
    }).outputSync();
    const head = new TextDecoder().decode(stdout).trim();
    const distill = JSON.parse(
      await Deno.readTextFile(join(out, "runs", "mnist-c0-s0", "run.json")),
    );
    assertEquals([result.git.commit, distill.git.commit, teacher.git.commit], [head, head, head]);
    assertEquals(typeof result.git.dirty, "boolean");
    const bad = await sweep(["--normal=0", "--limit=0", `--out=${out}`]);
    assertEquals(bad.code === 0, false);
    assertStringIncludes(bad.text, "--limit");
    const badEpochs = await sweep(["--normal=0", "--distill-epochs=3", `--out=${out}`]);
    assertEquals(badEpochs.code === 0, false);
    assertStringIncludes(badEpochs.text, "--distill-epochs");
  } finally {
    await Deno.remove(out, { recursive: true });
    await Deno.remove(denoDir, { recursive: true });
  }
});
