import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { FLAGS, parseFlags } from "../../lib/cli/flags.ts";
import { listDatasets } from "../../lib/data/list.ts";
import { loadOneClass, oneClassOptionsOf } from "../../lib/data/protocol.ts";
import {
  BUILT_IN_DATASETS,
  DATASET_CLASS_COUNTS,
  DATASET_NAMES,
  registerDataset,
} from "../../lib/data/registry.ts";
import { parseDatasets } from "../../lib/sweep/grid.ts";
import { TINY_DATASET, tinyBytes } from "./_tiny_dataset.ts";

Deno.test("the registry holds the built-in datasets, in order, and derives names and class counts", () => {
  assertEquals(DATASET_NAMES, ["mnist", "fashion-mnist", "cifar10", "folder"]);
  assertEquals(BUILT_IN_DATASETS.map((d) => d.name), DATASET_NAMES);
  assertEquals(DATASET_CLASS_COUNTS, { mnist: 10, "fashion-mnist": 10, cifar10: 10, folder: 1 });
  assertEquals(BUILT_IN_DATASETS.map((d) => d.imageShape?.join("x")), [
    "28x28x1",
    "28x28x1",
    "32x32x3",
    undefined,
  ]);
});

Deno.test("a new dataset is one file: registered, it loads, splits and records a manifest end to end", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/tiny.bin`, tinyBytes(10, 4));
  try {
    // Before: unknown to every part.
    assertThrows(() => parseFlags("t", ["--dataset", "tiny"], { dataset: "mnist" }, ""));
    await assertRejects(
      () => loadOneClass({ dataset: "tiny", dataDir: dir, normal: 1 }),
      Error,
      'dataset: "tiny" unknown, expected one of mnist, fashion-mnist, cifar10, folder',
    );

    registerDataset(TINY_DATASET);

    // Flags, the sweep and the dataset list know it without an edit.
    assertEquals(DATASET_NAMES.at(-1), "tiny");
    assertEquals(DATASET_CLASS_COUNTS.tiny, 3);
    assert(FLAGS.dataset.choices?.includes("tiny"));
    assertEquals(
      FLAGS.dataset.help,
      "dataset: mnist (built in), fashion-mnist, cifar10, folder, tiny",
    );
    assertEquals(parseFlags("t", ["--dataset", "tiny"], { dataset: "mnist" }, "")?.dataset, "tiny");
    assertEquals(parseDatasets("mnist,tiny"), ["mnist", "tiny"]);
    const rows = await listDatasets({ tiny: dir });
    assertEquals(rows.at(-1), { dataset: "tiny", location: dir, present: true, note: "tiny.bin" });
    assertEquals((await listDatasets()).at(-1), {
      dataset: "tiny",
      present: false,
      note: "write tiny.bin with tinyBytes()",
    });

    // Loaded through the protocol: resized to 8x8, class 1 normal, 10% held out.
    const s = await loadOneClass({ dataset: "tiny", dataDir: dir, normal: 1, imageSize: 8 });
    assertEquals([s.train.count, s.val.count, s.test.count], [9, 1, 12]);
    assertEquals([s.train.height, s.train.width, s.train.channels], [8, 8, 1]);
    assert(s.train.labels.every((l) => l === 1) && s.val.labels.every((l) => l === 1));
    assertEquals([...s.testIsAnomaly], [...s.test.labels].map((l) => l === 1 ? 0 : 1));
    assertEquals(s.manifest, {
      dataset: "tiny",
      source: dir,
      protocol: "one-class",
      normalClass: 1,
      classNames: ["low", "mid", "high"],
      splitSeed: 0,
      valFraction: 0.1,
      imageSize: 8,
      channels: 1,
      counts: { train: 9, val: 1, test: 12, testAnomalous: 8 },
      sourceImages: { sizes: [{ width: 4, height: 4, count: 42 }], channels: 1 },
    });

    // The manifest loads the same split again; leave-one-out and a test subset work too.
    const again = await loadOneClass(oneClassOptionsOf(s.manifest));
    assertEquals(again.manifest, s.manifest);
    assertEquals(again.train.indices, s.train.indices);
    const loo = await loadOneClass({
      dataset: "tiny",
      dataDir: dir,
      normal: 2,
      protocol: "leave-one-out",
      testLimit: 6,
    });
    assertEquals([loo.train.count + loo.val.count, loo.test.count], [20, 6]);
    assertEquals(loo.manifest.counts.testAnomalous, 2);

    // Its errors name it: a class out of range, no --data-dir (it has no default location).
    await assertRejects(
      () => loadOneClass({ dataset: "tiny", dataDir: dir, normal: 3 }),
      Error,
      "normal: class index 3 out of range, expected an integer 0..2 (tiny: low, mid, high)",
    );
    await assertRejects(
      () => loadOneClass({ dataset: "tiny", normal: 0 }),
      Error,
      "dataDir: the tiny dataset needs --data-dir (a folder with tiny.bin)",
    );
    assertThrows(() => registerDataset(TINY_DATASET), Error, '"tiny" is already registered');
    assertThrows(
      () => registerDataset({ ...TINY_DATASET, name: "Tiny Two" }),
      Error,
      'name "Tiny Two" invalid',
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
