// Issue 30: a run's data folder never leaks into another dataset. `score --dataset X` on a run
// trained on a folder reads X from X's own default location, and an error about a data file says
// where its folder came from.

import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { runDeno, useBackend, withEnv } from "../_helpers.ts";
import { writeDigitFolder } from "../data/_fixtures.ts";
import { trainRun } from "../../lib/train/run.ts";
import { readScoresCsv } from "../../lib/score/csv.ts";
import { loadOneClass } from "../../lib/data/protocol.ts";
import jpeg from "jpeg-js";

const score = (args: string[]) => runDeno(["tasks/score.ts", "--backend", "wasm", ...args]);

Deno.test("score --dataset X on a folder-trained run reads X from its own location, errors say where a folder came from, conversions are noted", async () => {
  await useBackend("wasm");
  const root = await Deno.makeTempDir();
  const data = join(root, "digits");
  await writeDigitFolder(data, {
    normal: 1,
    anomalous: 7,
    train: 24,
    testNormal: 6,
    testAnomalous: 6,
  });
  const run = join(root, "run");
  await trainRun({
    dataset: "folder",
    dataDir: data,
    normal: 0,
    epochs: 1,
    batchSize: 8,
    seed: 0,
    model: { width: 4, latentSize: 8 },
    out: run,
    warn: () => {},
  }).then((r) => r.model.dispose());

  // Another dataset: its own default location, not the run's folder (before issue 30:
  // "fashion-mnist: file not found: <digits>/train-images-idx3-ubyte").
  const out = join(root, "fm.csv");
  const other = await score([
    "--model",
    run,
    "--dataset",
    "fashion-mnist",
    "--normal",
    "3",
    "--split",
    "val",
    "--bn-stats",
    "moving",
    "--out",
    out,
  ]);
  assertEquals(other.code, 0, other.text);
  assertEquals((await readScoresCsv(out)).scores.length, 600, "10% of class 3's 6000");

  // Colour images scored by this grey model: the score JSON says they were converted.
  const images = join(root, "colour");
  await Deno.mkdir(images);
  const rgba = new Uint8Array(28 * 28 * 4).map((_, i) => (i % 4 === 0 ? 220 : 30));
  await Deno.writeFile(
    join(images, "red.jpg"),
    jpeg.encode({ data: rgba, width: 28, height: 28 }, 95).data,
  );
  const json = join(root, "colour.json");
  const colour = await score([
    "--model",
    run,
    "--images",
    images,
    "--out",
    join(root, "colour.csv"),
    "--json",
    json,
  ]);
  assertEquals(colour.code, 0, colour.text);
  const written = JSON.parse(await Deno.readTextFile(json));
  assertEquals(written.images.model, { size: 32, channels: 1 });
  assertEquals(written.images.source.channels, 3);
  assertStringIncludes(
    written.images.notes.join("\n"),
    "colour (RGB) images are converted to grey",
  );
  assertStringIncludes(colour.text, "note: colour (RGB) images are converted to grey");

  // A folder that lacks the files: the error names the file and where its folder came from.
  const flagged = await score([
    "--model",
    run,
    "--dataset",
    "mnist",
    "--normal",
    "3",
    "--data-dir",
    root,
  ]);
  assertEquals(flagged.code, 2, flagged.text);
  assertStringIncludes(flagged.text, `(data folder: --data-dir ${root})`);
  await Deno.rename(data, join(root, "moved"));
  const recorded = await score(["--model", run]);
  assertEquals(recorded.code, 2, recorded.text);
  assertStringIncludes(recorded.text, `(data folder: the data folder recorded in ${run}/`);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a missing data file's error says where its folder came from: --data-dir or the default location", async () => {
  const empty = await Deno.makeTempDir();
  let error = await assertRejects(() =>
    loadOneClass({ dataset: "fashion-mnist", dataDir: empty, normal: 0 })
  );
  assertStringIncludes(error.message, `fashion-mnist: file not found: ${empty}/`);
  assertStringIncludes(error.message, `(data folder: --data-dir ${empty})`);
  await withEnv({ EDEGAN_CACHE_DIR: empty }, async () => {
    error = await assertRejects(() => loadOneClass({ dataset: "cifar10", normal: 0 }));
    assertStringIncludes(error.message, `${empty}/cifar-10-batches-bin/`);
    assertStringIncludes(
      error.message,
      "(data folder: cifar10's default location; --data-dir sets another)",
    );
  });
  await Deno.remove(empty, { recursive: true });
});
