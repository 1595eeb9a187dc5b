// `deno task distill` as a user runs it. Refused (README: "A run refused by these checks leaves no
// new folder behind"): a bad --normal before any teacher is looked for, a --model that cannot be
// the teacher (another dataset's shipped teacher, an export) and a student wider than the teacher
// before anything is written; the folders the run made go again, and a folder that was there
// before stays. Its --help says which flags size a teacher trained here only.

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { exists } from "../../lib/util/atomic.ts";
import { runTask } from "../_helpers.ts";

/** `deno task distill ARGS` from the repository root (each case fails in seconds). */
const distill = (...args: string[]) => runTask("distill", ["--backend", "cpu", ...args]);

Deno.test("deno task distill --normal 11: refused by the dataset's classes before any teacher line, no folder made", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "new", "bad14");
    const { code, stdout, stderr } = await distill("--normal", "11", "--out", out);
    assertEquals(code, 2);
    assertStringIncludes(
      stderr,
      "error: --normal: class index 11 out of range, expected an integer 0..9 (mnist: 0, 1,",
    );
    assert(!stdout.includes("teacher:"), stdout);
    assertEquals(await exists(join(dir, "new")), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task distill --model refused (another dataset's shipped teacher, an export): no new folder, an old one kept", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const fashion = await distill(
      ...["--model", "shipped:fashion-mnist-0", "--out", join(dir, "new", "d1")],
    );
    assertEquals(fashion.code, 2, fashion.stderr);
    assertStringIncludes(
      fashion.stderr,
      'error: --model shipped:fashion-mnist-0: the teacher was trained with dataset "fashion-mnist", ' +
        'this experiment uses "mnist"',
    );
    // Neither the run folder nor the parent made for it.
    assertEquals(await exists(join(dir, "new")), false);

    // An export (deno task export --format tfjs) holds no trainable networks.
    const exported = join(dir, "exp");
    await Deno.mkdir(exported);
    await Deno.writeTextFile(
      join(exported, "edegan-export.json"),
      JSON.stringify({
        format: "edegan-export",
        modelFormat: "tfjs-graph-model",
        source: "runs/a",
      }),
    );
    await Deno.writeTextFile(
      join(exported, "model.json"),
      JSON.stringify({ format: "graph-model" }),
    );
    // A folder that was there before (empty) stays after the refusal.
    const old = join(dir, "old");
    await Deno.mkdir(old);
    const exportRun = await distill("--model", exported, "--preset", "ci", "--out", old);
    assertEquals(exportRun.code, 2, exportRun.stderr);
    assertStringIncludes(
      exportRun.stderr,
      `error: --model ${exported}: ${exported} is an exported model (tfjs-graph-model), for ` +
        "inference only; expected a run or model folder with its trainable networks (it was " +
        "exported from runs/a)",
    );
    assertEquals(await exists(old), true);
    assertEquals([...Deno.readDirSync(old)], [], "nothing written into it (no run.json, jobs/)");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task distill --students wider than the shipped teacher: refused before training, naming its width, no folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "s1");
    const { code, stderr } = await distill("--students", "128", "--preset", "ci", "--out", out);
    assertEquals(code, 2, stderr);
    assertStringIncludes(
      stderr,
      "error: --students 128: a student of width 128 is wider than the teacher (width 64",
    );
    assertEquals(await exists(out), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task distill --help: --teacher-width, --epochs and --ema size a teacher trained here only", async () => {
  const { code, stdout } = await distill("--help");
  assertEquals(code, 0);
  const line = (flag: string) => stdout.split("\n").find((l) => l.startsWith(`  --${flag} `)) ?? "";
  assertStringIncludes(
    line("teacher-width"),
    "width of a teacher trained here (--teacher train, or no shipped teacher matches); given, " +
      "only a shipped teacher of this width is taken [default: 32]",
  );
  assertStringIncludes(
    line("epochs"),
    "training epochs of a teacher trained here (--teacher train, or no shipped teacher matches)",
  );
  assertStringIncludes(line("ema"), "the weight average of a teacher trained here");
  assertStringIncludes(stdout, "--students must be smaller than the teacher");
});
