// `deno task score --images DIR` on a folder laid out as a folder dataset's test split
// (DIR/normal/, DIR/anomalous/) writes its labels, so that `deno task eval` reads the CSV; the
// data flags' errors name the flags typed.

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { runDeno } from "../_helpers.ts";
import { writeDigitFolder } from "../data/_fixtures.ts";
import { readScoresCsv } from "../../lib/score/csv.ts";
import { loadImageFolder } from "../../lib/score/images.ts";

// A small shipped student (MNIST digit 2): scoring needs no training.
const MODEL = "shipped:mnist-2-24-pkdgan";
const score = (args: string[]) =>
  runDeno(["tasks/score.ts", "--model", MODEL, "--backend", "wasm", ...args]);

/** `deno task eval --run csv`'s metrics, read back from its --json. */
async function evaluate(csv: string): Promise<Record<string, number>> {
  const json = csv.replace(/\.csv$/, "-eval.json");
  const run = await runDeno(["tasks/eval.ts", "--run", csv, "--json", json]);
  assertEquals(run.code, 0, run.text);
  return JSON.parse(await Deno.readTextFile(json));
}

Deno.test("score --images on normal/ and anomalous/ writes their labels: eval's AUC equals the folder dataset's test split's", async () => {
  const root = await Deno.makeTempDir();
  const data = join(root, "digits");
  await writeDigitFolder(data, {
    normal: 2,
    anomalous: 7,
    train: 6,
    testNormal: 8,
    testAnomalous: 8,
  });

  const images = join(root, "images.csv");
  const fromImages = await score(["--images", join(data, "test"), "--out", images]);
  assertEquals(fromImages.code, 0, fromImages.text);
  assertStringIncludes(fromImages.text, "--images: labelled folder, 8 normal and 8 anomalous");
  const split = join(root, "split.csv");
  const fromSplit = await score([
    "--dataset",
    "folder",
    "--data-dir",
    data,
    "--split",
    "test",
    "--out",
    split,
  ]);
  assertEquals(fromSplit.code, 0, fromSplit.text);

  // The same images, labels and scores, named relative to the folder given.
  const a = await readScoresCsv(images), b = await readScoresCsv(split);
  assertEquals(a.items.length, 16);
  assertEquals(a.items, b.items.map((item) => item.replace(/^test\//, "")));
  assertEquals(a.labels, a.items.map((item) => (item.startsWith("anomalous/") ? 1 : 0)));
  assertEquals(a.labels, b.labels);
  assertEquals(a.classes, b.classes);
  assertEquals(a.scores, b.scores);
  const [evalImages, evalSplit] = [await evaluate(images), await evaluate(split)];
  assertEquals([evalImages.images, evalImages.anomalous], [16, 8]);
  assert(evalImages.auc > 0 && evalImages.auc <= 1, `AUC ${evalImages.auc}`);
  assertEquals(evalImages.auc, evalSplit.auc);
  // score prints the AUC of a labelled folder as of a test split.
  assertStringIncludes(fromImages.text, `AUC ${evalImages.auc.toFixed(4)} with BatchNorm`);
  assertStringIncludes(fromImages.text, "(16 labelled images under --images)");

  // A flat folder of images stays unlabelled.
  const flat = join(root, "flat.csv");
  const fromFlat = await score(["--images", join(data, "test", "anomalous"), "--out", flat]);
  assertEquals(fromFlat.code, 0, fromFlat.text);
  const c = await readScoresCsv(flat);
  assertEquals([c.items.length, c.labels], [8, []]);
  assert(c.classes.every(Number.isNaN), "no classes");
  await Deno.remove(root, { recursive: true });
});

Deno.test("score's data errors name the flag typed, and a folder of images given as another dataset says --dataset folder", async () => {
  const root = await Deno.makeTempDir();
  const data = join(root, "digits");
  await writeDigitFolder(data, {
    normal: 2,
    anomalous: 7,
    train: 2,
    testNormal: 1,
    testAnomalous: 1,
  });
  const out = join(root, "scores.csv");
  const normal = await score([
    "--dataset",
    "folder",
    "--data-dir",
    data,
    "--normal",
    "1",
    "--out",
    out,
  ]);
  assertEquals(normal.code, 2, normal.text);
  assertStringIncludes(
    normal.text,
    "error: --normal: 1 invalid, the folder dataset's normal class is 0",
  );
  // The model's run.json records mnist: --data-dir alone reads MNIST's files there.
  const forgotten = await score(["--data-dir", data, "--out", out]);
  assertEquals(forgotten.code, 2, forgotten.text);
  assertStringIncludes(forgotten.text, `error: mnist: file not found: ${data}/`);
  assertStringIncludes(forgotten.text, `(${data} holds image folders: pass --dataset folder)`);
  // train names the flag too, before anything is written.
  const trainOut = join(root, "run");
  const train = await runDeno([
    "tasks/train.ts",
    ...["--dataset", "folder", "--data-dir", data, "--normal", "1", "--epochs", "1"],
    ...["--backend", "wasm", "--out", trainOut],
  ]);
  assertEquals(train.code, 2, train.text);
  assertStringIncludes(
    train.text,
    "error: --normal: 1 invalid, the folder dataset's normal class is 0",
  );
  assert(!await Deno.stat(trainOut).then(() => true, () => false), "no run folder written");
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadImageFolder: a labels.csv of another kind is passed over with a note (normal/ and anomalous/ still label); a labels file's bad line is an error; an empty labelled layout says what it skipped", async () => {
  const root = await Deno.makeTempDir();
  await writeDigitFolder(join(root, "digits"), {
    normal: 2,
    anomalous: 7,
    train: 1,
    testNormal: 2,
    testAnomalous: 2,
  });
  const images = join(root, "digits", "test");
  // Another program's labels.csv beside normal/ and anomalous/: passed over, said so, and the
  // subfolders label the images.
  await Deno.writeTextFile(join(images, "labels.csv"), "id,species\n1,cat\n");
  const foreign = await loadImageFolder(images, 32, 1);
  assertEquals(foreign.count, 4);
  assertEquals([...foreign.isAnomaly!], [0, 0, 1, 1]);
  assertStringIncludes(foreign.notes[0], `${images}/labels.csv is not a labels file`);
  // The same beside images alone: unlabelled.
  const loose = join(root, "loose");
  await Deno.mkdir(loose);
  const normalFile = await firstFile(join(images, "normal"));
  await Deno.copyFile(join(images, "normal", normalFile), join(loose, "a.png"));
  await Deno.writeTextFile(join(loose, "labels.csv"), "id,species\n1,cat\n");
  const plain = await loadImageFolder(loose, 32, 1);
  assertEquals([plain.count, plain.isAnomaly], [1, undefined]);
  // A labels file whose second line lists a file that is not there: an error naming the line,
  // not the labels silently dropped.
  await Deno.writeTextFile(join(loose, "labels.csv"), "file,label\na.png,0\nA.PNG,1\n");
  const missing = await loadImageFolder(loose, 32, 1).then(() => "", (e: Error) => e.message);
  assertEquals(
    missing,
    `--images: ${loose}/labels.csv: lists A.PNG, but ${loose}/A.PNG does not exist`,
  );
  // A labels header without a file column, and a quote the CSV reader rejects: errors too.
  await Deno.writeTextFile(join(loose, "labels.csv"), "filename,label\na.png,0\n");
  const header = await loadImageFolder(loose, 32, 1).then(() => "", (e: Error) => e.message);
  assertStringIncludes(
    header,
    `${loose}/labels.csv:1: the header "filename,label" names a "label"`,
  );
  await Deno.writeTextFile(join(loose, "labels.csv"), 'file,label\na"b.png,0\n');
  const quote = await loadImageFolder(loose, 32, 1).then(() => "", (e: Error) => e.message);
  assertStringIncludes(quote, `--images: ${loose}/labels.csv`);
  // normal/ and anomalous/ with no image in them, one beside: an error that says so.
  const empty = join(root, "empty");
  await Deno.mkdir(join(empty, "normal"), { recursive: true });
  await Deno.mkdir(join(empty, "anomalous"));
  await Deno.copyFile(
    join(images, "normal", await firstFile(join(images, "normal"))),
    join(empty, "x.png"),
  );
  const error = await loadImageFolder(empty, 32, 1).then(() => undefined, (e: Error) => e.message);
  assertEquals(
    error,
    `--images: no PNG or JPEG files to score in ${empty}'s labelled layout (normal/ and ` +
      "anomalous/) (1 skipped: not under normal/ or anomalous/)",
  );
  await Deno.remove(root, { recursive: true });
});

async function firstFile(dir: string): Promise<string> {
  for await (const entry of Deno.readDir(dir)) if (entry.isFile) return entry.name;
  throw new Error(`${dir}: no file`);
}

Deno.test("score: a data option read from run.json is named as recorded there, not as a flag never typed", async () => {
  const root = await Deno.makeTempDir();
  try {
    // A copy of a shipped student whose run.json records a dataset this edegan does not know
    // (a plugin's, scored without EDEGAN_PLUGINS).
    const run = join(root, "run");
    await Deno.mkdir(run);
    const shipped = new URL("../../models/mnist-2-24-pkdgan/", import.meta.url).pathname;
    for (const f of ["run.json", "bn-recomputed.json"]) {
      await Deno.copyFile(join(shipped, f), join(run, f));
    }
    await Deno.mkdir(join(run, "model"));
    for await (const e of Deno.readDir(join(shipped, "model"))) {
      await Deno.copyFile(join(shipped, "model", e.name), join(run, "model", e.name));
    }
    const manifest = JSON.parse(await Deno.readTextFile(join(run, "run.json")));
    manifest.data.dataset = "tiny";
    await Deno.writeTextFile(join(run, "run.json"), JSON.stringify(manifest));
    const task = await runDeno([
      "tasks/score.ts",
      "--model",
      run,
      "--backend",
      "wasm",
      "--out",
      join(root, "s.csv"),
    ]);
    assertEquals(task.code, 2, task.text);
    assertStringIncludes(
      task.text,
      `error: dataset recorded in ${join(run, "model", "..", "run.json")}: "tiny" unknown`,
    );
    assertStringIncludes(task.text, "EDEGAN_PLUGINS");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
