// The tasks as a user runs them: exit status and the error line, for the cases of issue 15.

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import * as tf from "../../lib/tf.ts";
import { EdeGan } from "../../lib/models/ede_gan/mod.ts";
import { saveModel } from "../../lib/train/checkpoint.ts";
import { exists } from "../../lib/util/atomic.ts";
import { greyPng, writeDigitFolder } from "../data/_fixtures.ts";
import { runTask } from "../_helpers.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** `deno run -A tasks/<name>.ts args` (tests/_helpers.ts). */
const task = runTask;

/** The commit checked out in this repository. */
function headCommit(): string {
  const { stdout } = new Deno.Command("git", { args: ["-C", ROOT, "rev-parse", "HEAD"] })
    .outputSync();
  return new TextDecoder().decode(stdout).trim();
}

/** A run folder holding an untrained width-2 model with a calibration. */
async function runWithModel(): Promise<string> {
  await tf.setBackend("cpu");
  const dir = await Deno.makeTempDir();
  const model = EdeGan.create({ width: 2, latentSize: 4 }, 0);
  await saveModel(join(dir, "model"), model, {
    calibration: { min: 0, max: 1, threshold: 0.5, fpr: 0.05, count: 10 },
  });
  model.dispose();
  return dir;
}

Deno.test("train: `--epochs -1` names --epochs and what it expects", async () => {
  const { code, stderr } = await task("train", ["--epochs", "-1"]);
  assertEquals(code, 2);
  assertStringIncludes(stderr, "error: --epochs: expected at least 1, got -1");
});

Deno.test("train: --out naming a file is refused before any data is loaded", async () => {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "not-a-folder");
  await Deno.writeTextFile(file, "x");
  const { code, stderr } = await task("train", ["--out", file, "--backend", "cpu"]);
  assertEquals(code, 2);
  assertStringIncludes(stderr, `error: --out ${file}: is a file, expected a folder`);
  assert(!stderr.includes("os error"), stderr);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("score: NaN weights fail at load naming weights.bin, and write no scores", async () => {
  const run = await runWithModel();
  const weights = join(run, "model", "weights.bin");
  const bytes = await Deno.readFile(weights);
  new Float32Array(bytes.buffer, 0, 8).fill(NaN);
  await Deno.writeFile(weights, bytes);
  const images = join(run, "images");
  await Deno.mkdir(images);
  await Deno.writeFile(join(images, "a.png"), greyPng(new Uint8Array(28 * 28).fill(9), 28, 28));
  const out = join(run, "scores.csv");
  const { code, stderr } = await task("score", [
    "--model",
    run,
    "--images",
    images,
    "--backend",
    "cpu",
    "--out",
    out,
  ]);
  assertEquals(code, 2);
  assertStringIncludes(stderr, `${weights}: 'encoder1/conv0/kernel' holds NaN at element 0`);
  assertEquals(await exists(out), false);
  await Deno.remove(run, { recursive: true });
});

Deno.test("score --out: a file that is no scores output is refused unchanged; a folder gets the default name", async () => {
  const run = await runWithModel();
  const images = join(run, "images");
  await Deno.mkdir(images);
  const png = greyPng(new Uint8Array(28 * 28).fill(9), 28, 28);
  for (const name of ["a.png", "b.png"]) await Deno.writeFile(join(images, name), png);
  const score = (out: string, ...more: string[]) =>
    task("score", ["--model", run, "--images", images, "--backend", "cpu", "--out", out, ...more]);

  const existing = join(run, "existing.txt");
  await Deno.writeTextFile(existing, "hello\n");
  const refused = await score(existing);
  assertEquals(refused.code, 2);
  assertStringIncludes(
    refused.stderr,
    `error: --out ${existing}: exists and is not a scores CSV of \`deno task score\``,
  );
  assertEquals(await Deno.readTextFile(existing), "hello\n");
  assertEquals(await exists(`${existing}.json`), false);
  assert(!refused.stdout.includes("backend:"), "refused after the backend started");

  // A folder, as score's own default is one: the scores go into it under the default name.
  const folder = join(run, "scored");
  await Deno.mkdir(folder);
  const first = await score(folder);
  assertEquals(first.code, 0, first.stderr);
  assertStringIncludes(first.stdout, `written to ${join(folder, "scores-images.csv")} and`);
  const csv = await Deno.readTextFile(join(folder, "scores-images.csv"));
  assertEquals(csv.split("\n")[0], "item,score,class,label,decision");
  assertEquals(
    JSON.parse(await Deno.readTextFile(join(folder, "scores-images.json"))).rows.length,
    2,
  );
  // An earlier output of score is replaced, as a rerun of the default does.
  const again = await score(join(folder, "scores-images.csv"));
  assertEquals(again.code, 0, again.stderr);

  // A JSON beside the CSV that is not score's, and a run's own scores.csv, are not replaced.
  await Deno.writeTextFile(join(run, "other.json"), '{"a": 1}\n');
  const json = await score(join(run, "other.csv"));
  assertEquals(json.code, 2);
  assertStringIncludes(json.stderr, `--out ${join(run, "other.json")}: exists and is not the`);
  const trained = await Deno.makeTempDir();
  await Deno.writeTextFile(join(trained, "run.json"), "{}");
  await Deno.writeTextFile(join(trained, "scores.csv"), csv);
  const own = await score(join(trained, "scores.csv"));
  assertEquals(own.code, 2);
  assertStringIncludes(own.stderr, "is the run's own scores (beside its run.json)");
  assertEquals(await Deno.readTextFile(join(trained, "scores.csv")), csv);
  await Deno.remove(trained, { recursive: true });
  await Deno.remove(run, { recursive: true });
});

Deno.test("score: an unreadable run.json is named, not taken for a missing one", async () => {
  const run = await runWithModel();
  await Deno.writeTextFile(join(run, "run.json"), '{"data": {"dataset": "mnist",');
  const { code, stderr } = await task("score", ["--model", run, "--backend", "cpu"]);
  assertEquals(code, 2);
  assertStringIncludes(stderr, `${join(run, "run.json")}: not valid JSON`);
  assert(!stderr.includes("--dataset and --normal: required"), stderr);
  await Deno.remove(run, { recursive: true });
});

Deno.test("eval --run: a scores CSV labelled normal/anomalous is evaluated", async () => {
  const dir = await Deno.makeTempDir();
  const csv = join(dir, "mine.csv");
  await Deno.writeTextFile(
    csv,
    "item,score,label\na.png,0.1,normal\nb.png,0.2,normal\nc.png,0.9,anomalous\nd.png,0.15,anomalous\n",
  );
  const json = join(dir, "metrics.json");
  const { code, stdout, stderr } = await task("eval", ["--run", csv, "--json", json]);
  assertEquals(code, 0, stderr);
  assertStringIncludes(stdout, "auc");
  const metrics = JSON.parse(await Deno.readTextFile(json));
  assertEquals([metrics.images, metrics.anomalous, metrics.auc], [4, 2, 0.75]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("eval: a shipped model by name, and the folder score writes (scores-test.csv)", async () => {
  const dir = await Deno.makeTempDir();
  const json = join(dir, "metrics.json");
  const shipped = await task("eval", ["shipped:mnist-2-311-pkdgan", "--json", json]);
  assertEquals(shipped.code, 0, shipped.stderr);
  const metrics = JSON.parse(await Deno.readTextFile(json));
  assertEquals(metrics.source, join(ROOT, "models", "mnist-2-311-pkdgan", "scores.csv"));
  assertEquals(metrics.images, 10000);
  const unknown = await task("eval", ["--run", "shipped:no-such"]);
  assertEquals(unknown.code, 2);
  assertStringIncludes(unknown.stderr, "error: --run shipped:no-such: no shipped model");

  // `deno task score --model shipped:NAME` writes runs/score-NAME/scores-test.csv.
  const scored = join(dir, "score-x");
  await Deno.mkdir(scored);
  const csv = "item,score,class,label,decision\n0,0.1,2,0,0\n1,0.9,7,1,1\n2,0.2,3,1,0\n";
  await Deno.writeTextFile(join(scored, "scores-test.csv"), csv);
  await Deno.writeTextFile(join(scored, "scores-val.csv"), csv);
  const folder = await task("eval", [scored, "--json", json]);
  assertEquals(folder.code, 0, folder.stderr);
  assertEquals(JSON.parse(await Deno.readTextFile(json)).source, join(scored, "scores-test.csv"));
  // Several of score's files and no test one: which to read is asked, not guessed.
  await Deno.rename(join(scored, "scores-test.csv"), join(scored, "scores-images.csv"));
  const several = await task("eval", [scored]);
  assertEquals(several.code, 2);
  assertStringIncludes(
    several.stderr,
    `error: --run ${scored}: holds several scores CSVs (scores-images.csv, scores-val.csv)`,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("study: an unknown study names all three, and the nearest", async () => {
  const unknown = await task("study", ["foo"]);
  assertEquals(unknown.code, 2);
  assertStringIncludes(
    unknown.stderr,
    "error: study: expected 'batch-size', 'latent' or 'score' as the first argument, got 'foo'",
  );
  const near = await task("study", ["scroe"]);
  assertEquals(near.code, 2);
  assertStringIncludes(near.stderr, "got 'scroe' (did you mean score?)");
});

Deno.test("notebooks: a name like 0009 is looked up as typed, not as the number 9", async () => {
  const { code, stderr } = await task("notebooks", ["0009"]);
  assertEquals(code, 2);
  assertStringIncludes(stderr, "error: no notebook '0009'");
  // A prefix of several notebooks is not silently the first of them.
  const ambiguous = await task("notebooks", ["0"]);
  assertEquals(ambiguous.code, 2);
  assertStringIncludes(ambiguous.stderr, "notebook '0' is ambiguous: 01-");
});

Deno.test("score --images: hidden files are not scored, and the JSON says how many were skipped", async () => {
  const run = await runWithModel();
  const images = join(run, "images");
  await Deno.mkdir(join(images, ".ipynb_checkpoints"), { recursive: true });
  const png = greyPng(new Uint8Array(28 * 28).fill(9), 28, 28);
  for (const name of ["a.png", "b.png", ".ipynb_checkpoints/a-checkpoint.png"]) {
    await Deno.writeFile(join(images, name), png);
  }
  await Deno.writeFile(join(images, "._a.png"), Uint8Array.of(0, 5, 22, 7));
  const out = join(run, "scores.csv");
  const { code, stdout, stderr } = await task("score", [
    "--model",
    run,
    "--images",
    images,
    "--backend",
    "cpu",
    "--out",
    out,
  ]);
  assertEquals(code, 0, stderr);
  assertStringIncludes(stdout, "skipped 2 file(s) under --images: hidden");
  const json = JSON.parse(await Deno.readTextFile(join(run, "scores.json")));
  assertEquals(json.rows.map((r: { item: string }) => r.item), ["a.png", "b.png"]);
  assertEquals(json.skipped[0].count, 2);
  assert(json.rows.every((r: { decision: number }) => r.decision === 0 || r.decision === 1));
  // The scores record the commit that made them, like every run.json.
  assertEquals(json.git.commit, headCommit());
  await Deno.remove(run, { recursive: true });
});

Deno.test("sweep: classes=0-12 on MNIST is refused at once, before any job", async () => {
  const out = await Deno.makeTempDir();
  const { code, stderr } = await task("sweep", ["classes=0-12", "--out", out, "--backend", "cpu"]);
  assertEquals(code, 2);
  assertStringIncludes(stderr, "error: classes: 10, 11, 12 out of range for mnist, expected 0-9");
  assertEquals(await exists(join(out, "jobs")), false);
  await Deno.remove(out, { recursive: true });
});

Deno.test("sweep: a bad --shard or a student as wide as the teachers is refused before --out is made", async () => {
  const dir = await Deno.makeTempDir();
  const out = join(dir, "new", "sw3");
  const shard = await task("sweep", ["--shard", "3/2", "--out", out, "--backend", "cpu"]);
  assertEquals(shard.code, 2);
  assertStringIncludes(
    shard.stderr,
    "error: --shard: i must be between 1 and 2 (1-based), got '3/2'",
  );
  const wide = await task("sweep", ["--students", "8,32", "--out", out, "--backend", "cpu"]);
  assertEquals(wide.code, 2);
  assertStringIncludes(
    wide.stderr,
    "error: --students 8,32: width 32 is not narrower than the sweep's teachers (width 32, from " +
      "--preset quick); expected student widths below 32",
  );
  assertEquals(await exists(join(dir, "new")), false);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("train at batch 1 scores with BatchNorm statistics chosen on validation and says so; batch 4 keeps moving", async () => {
  const dir = await Deno.makeTempDir();
  const out = join(dir, "b1");
  const args = ["--normal", "1", "--epochs", "1", "--limit", "8", "--test-limit", "40"];
  const sizes = ["--width", "2", "--backend", "wasm", "--out", out, "--no-report"];
  const b1 = await task("train", [...args, "--batch-size", "1", ...sizes]);
  assertEquals(b1.code, 0, b1.stderr);
  const run = JSON.parse(await Deno.readTextFile(join(out, "run.json")));
  assertEquals(run.scoring.asked, "auto");
  assertEquals(Object.keys(run.scoring.choice.validationObjective).length, 3);
  assertStringIncludes(b1.stdout, `BatchNorm at scoring: ${run.scoring.bnStats} (--bn-stats auto`);
  assertStringIncludes(
    b1.stdout,
    run.scoring.bnStats === "moving"
      ? `with per-image statistics`
      : `${run.scoring.movingAuc.toFixed(4)} with moving statistics (the epoch table's)`,
  );
  const b4 = await task("train", [
    ...args,
    "--batch-size",
    "4",
    ...sizes.slice(0, -2),
    join(dir, "b4"),
    "--no-report",
  ]);
  assertEquals(b4.code, 0, b4.stderr);
  const run4 = JSON.parse(await Deno.readTextFile(join(dir, "b4", "run.json")));
  assertEquals(run4.scoring.bnStats, "moving");
  // Both modes are printed: the run's own and per-image, what a batch-1 choice would take.
  assertStringIncludes(
    b4.stdout,
    `BatchNorm at scoring: moving (the default at --batch-size 4); test AUC ` +
      `${run4.metrics.auc.toFixed(4)} with them, ${run4.scoring.other.auc.toFixed(4)} with ` +
      "per-image statistics",
  );
  const all = await task("train", [
    ...args,
    "--bn-stats",
    "all",
    ...sizes.slice(0, -2),
    join(dir, "x"),
  ]);
  assertEquals(all.code, 2, all.stderr);
  assertStringIncludes(all.stderr, "--bn-stats: 'all' is not one of auto, moving");
  assertEquals(await exists(join(dir, "x")), false);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("train --preset paper averages the generator's weights by default (--ema auto); --ema off does not", async () => {
  const dir = await Deno.makeTempDir();
  const args = ["--preset", "paper", "--normal", "1", "--epochs", "1", "--limit", "24"];
  const sizes = ["--test-limit", "40", "--width", "2", "--batch-size", "4", "--backend", "wasm"];
  const auto = await task("train", [...args, ...sizes, "--out", join(dir, "auto"), "--no-report"]);
  assertEquals(auto.code, 0, auto.stderr);
  const run = JSON.parse(await Deno.readTextFile(join(dir, "auto", "run.json")));
  const steps = Math.floor(run.data.counts.train / 4);
  assertEquals(run.training.ema, 1 - 1 / steps);
  assertEquals(run.training.emaRule, "auto: 1 - 1/(steps per epoch)");
  assert(run.history[0].liveAuc !== undefined, "with an average each epoch records the live AUC");
  const off = await task("train", [
    ...args,
    ...sizes,
    "--ema",
    "off",
    "--out",
    join(dir, "off"),
    "--no-report",
  ]);
  assertEquals(off.code, 0, off.stderr);
  const plain = JSON.parse(await Deno.readTextFile(join(dir, "off", "run.json")));
  assertEquals(plain.training.ema, null);
  // The average never feeds back into training: the live curve is the plain run's.
  assertEquals(run.history[0].liveAuc, plain.history[0].auc);
  const quick = await task("train", ["--help"]);
  assertStringIncludes(quick.stdout, "or off [default: off]");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("train: a run below chance after 1 epoch (real MNIST digit 1) says 'below chance: train longer' on stderr and in run.json", async () => {
  const dir = await Deno.makeTempDir();
  const out = join(dir, "one-epoch");
  // Measured: test AUC 0.045 on wasm (EDE-GAN's early inversion); the next epochs rise past 0.9.
  const { code, stdout, stderr } = await task("train", [
    ...["--normal", "1", "--epochs", "1", "--width", "16", "--limit", "256"],
    ...["--test-limit", "300", "--backend", "wasm", "--out", out, "--no-report"],
  ]);
  assertEquals(code, 0, stderr);
  const run = JSON.parse(await Deno.readTextFile(join(out, "run.json")));
  assert(run.metrics.auc < 0.3, `test AUC ${run.metrics.auc}: expected well below chance`);
  assertEquals(run.status, "finished");
  const line = `test AUC ${run.metrics.auc.toFixed(4)} after 1 epoch is below chance: train longer`;
  assert(run.warnings.some((w: string) => w.startsWith(line)), JSON.stringify(run.warnings));
  assertStringIncludes(stderr, `warning: ${line}`);
  assert(stdout.includes("test AUC"), stdout);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("score follows the run's BatchNorm statistics: its test AUC is run.json's, at batch 16 (moving) and batch 1 (chosen on validation)", async () => {
  const dir = await Deno.makeTempDir();
  const data = join(dir, "digits");
  await writeDigitFolder(data, {
    normal: 1,
    anomalous: 7,
    train: 48,
    testNormal: 30,
    testAnomalous: 30,
  });
  for (const batch of ["16", "1"]) {
    const out = join(dir, `b${batch}`);
    const trained = await task("train", [
      ...["--dataset", "folder", "--data-dir", data, "--normal", "0", "--epochs", "1"],
      ...["--batch-size", batch, "--width", "2", "--backend", "wasm", "--out", out, "--no-report"],
    ]);
    assertEquals(trained.code, 0, trained.stderr);
    const run = JSON.parse(await Deno.readTextFile(join(out, "run.json")));
    assertEquals(run.scoring.bnStats, batch === "16" ? "moving" : run.scoring.choice.mode);
    const scored = await task("score", ["--model", out, "--backend", "wasm"]);
    assertEquals(scored.code, 0, scored.stderr);
    const json = JSON.parse(await Deno.readTextFile(join(out, "scores-test.json")));
    assertEquals(json.scoring.bnStats, run.scoring.bnStats);
    assertEquals(json.scoring.testAuc, run.metrics.auc);
    assertEquals(json.scoring.other.auc, run.scoring.other.auc);
    assertStringIncludes(
      scored.stdout,
      `test AUC ${run.metrics.auc.toFixed(4)} with BatchNorm ${run.scoring.bnStats} statistics, ` +
        `${run.scoring.other.auc.toFixed(4)} with ${run.scoring.other.bnStats}`,
    );
    // The threshold is the run's too: the same decisions as its scores.csv.
    assertEquals(json.calibration.threshold, run.calibration.threshold);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("every task of deno.json answers --help with its usage and exit 0, and runs nothing", async () => {
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const tasks = Object.entries(config.tasks as Record<string, string>);
  assert(tasks.length >= 14, `${tasks.length} tasks`);
  for (const [name, command] of tasks) {
    const file = command.match(/tasks\/(\w+)\.ts$/)?.[1];
    if (!file) throw new Error(`${name}: '${command}' is not 'deno run -A tasks/NAME.ts'`);
    const { code, stdout, stderr } = await task(file, ["--help"]);
    assertEquals(code, 0, `${name} --help: ${stderr}`);
    assertStringIncludes(stdout, `deno task ${name}`, `${name} --help`);
    // `deno task test --help` used to run the whole suite.
    assert(!stdout.includes("== deno check"), `${name} --help ran the checks`);
    // A flag the task refuses when missing (`--model: required`) says so in its help line
    // (`export --help` described --out as the generic "where the task writes").
    // A subcommand's help (`study score --help`, named in the task's) counts too.
    const source = await Deno.readTextFile(join(ROOT, "tasks", `${file}.ts`));
    const sub = stdout.match(new RegExp(`deno task ${name} (\\w+) --help`))?.[1];
    const help = stdout + (sub ? (await task(file, [sub, "--help"])).stdout : "");
    for (const [, flag] of source.matchAll(/"--([\w-]+): required/g)) {
      const line = help.split("\n").find((l) =>
        l.trimStart().startsWith(`--${flag} `) && l.includes("required")
      );
      assert(line?.includes("required"), `${name} --help, --${flag}: ${line}`);
    }
  }
});

Deno.test("eval takes the run as a positional argument; --epoch suggests --epochs", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    join(dir, "scores.csv"),
    "item,score,label\na.png,0.1,normal\nb.png,0.2,normal\nc.png,0.9,anomalous\nd.png,0.15,anomalous\n",
  );
  const positional = await task("eval", [dir]);
  assertEquals(positional.code, 0, positional.stderr);
  assertStringIncludes(positional.stdout, "0.75"); // AUC: 3 of the 4 pairs ranked right
  const two = await task("eval", [dir, "--run", dir]);
  assertEquals(two.code, 2);
  assertStringIncludes(two.stderr, "eval: one run expected");
  const typo = await task("train", ["--epoch", "1"]);
  assertEquals(typo.code, 2);
  assertStringIncludes(typo.stderr, "error: train: unknown flag --epoch (did you mean --epochs?)");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("tfjs's 'install our node backend' greeting never prints (deno task report used to)", async () => {
  // The cpu backend greets on the first tensor of each instance; tfjs makes a new instance when it
  // picks its default backend, which `deno task report` lets it do.
  const code = "import * as tf from './lib/tf.ts'; " +
    "import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu'; " +
    "tf.tensor([1, 2]).dispose(); tf.removeBackend('cpu'); " +
    "tf.registerBackend('cpu', () => new MathBackendCPU()); await tf.setBackend('cpu'); " +
    "tf.tensor([3]).dispose(); console.log('ran', tf.getBackend());";
  const { stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  assertStringIncludes(text, "ran cpu");
  assert(!text.includes("node backend"), text);
});
