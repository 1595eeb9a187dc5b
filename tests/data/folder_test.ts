import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import type { Buffer } from "node:buffer";
import { PNG } from "pngjs";
import jpeg from "jpeg-js";
import { listLabelledImages, loadFolder } from "../../lib/data/folder.ts";
import { loadOneClass } from "../../lib/data/protocol.ts";
import { namingFlags } from "../../lib/data/options.ts";
import { loadImageFolder } from "../../lib/score/images.ts";
import { writeDigitFolder } from "./_fixtures.ts";

interface PngLike {
  data: Uint8Array;
}
const PngCtor = PNG as unknown as {
  new (o: { width: number; height: number }): PngLike;
  sync: { write(p: PngLike): Buffer };
};

/** A PNG of size w x h whose pixel (x, y) is rgb(x*10 + v, y*10 + v, v). */
function png(w: number, h: number, v: number, grey = false): Uint8Array {
  const p = new PngCtor({ width: w, height: h });
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      p.data[i] = grey ? v : x * 10 + v;
      p.data[i + 1] = grey ? v : y * 10 + v;
      p.data[i + 2] = v;
      p.data[i + 3] = 255;
    }
  }
  return new Uint8Array(PngCtor.sync.write(p));
}

/** A flat-coloured JPEG (quality 100). */
function jpg(w: number, h: number, r: number, g: number, b: number): Uint8Array {
  const data = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set([r, g, b, 255], i * 4);
  return new Uint8Array(jpeg.encode({ data, width: w, height: h }, 100).data);
}

async function write(root: string, files: Record<string, Uint8Array | string>) {
  for (const [name, content] of Object.entries(files)) {
    const path = `${root}/${name}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    if (typeof content === "string") await Deno.writeTextFile(path, content);
    else await Deno.writeFile(path, content);
  }
}

Deno.test("folder with normal/ and anomalous/ test folders, PNG and JPEG", async () => {
  const root = await Deno.makeTempDir();
  await write(root, {
    "train/a.png": png(16, 16, 5),
    "train/b.jpg": jpg(16, 16, 200, 100, 50),
    "train/sub/c.png": png(16, 16, 7),
    "train/notes.txt": "ignored",
    "test/normal/n1.png": png(16, 16, 9),
    "test/anomalous/x1.jpeg": jpg(16, 16, 10, 250, 10),
    "test/anomalous/x2.png": png(16, 16, 90),
  });
  const d = await loadFolder(root);
  assertEquals([d.train.count, d.test.count], [3, 3]);
  assertEquals([d.train.height, d.train.width, d.train.channels], [16, 16, 3]);
  assertEquals(d.train.names, ["train/a.png", "train/b.jpg", "train/sub/c.png"]);
  assertEquals(d.test.names, [
    "test/normal/n1.png",
    "test/anomalous/x1.jpeg",
    "test/anomalous/x2.png",
  ]);
  assertEquals([...d.test.labels], [0, 1, 1]);
  assertEquals([...d.train.labels], [0, 0, 0]);
  // PNG pixels are exact: (x=3, y=2) of a.png is rgb(35, 25, 5).
  const o = (2 * 16 + 3) * 3;
  assertEquals([...d.train.pixels.subarray(o, o + 3)], [35, 25, 5]);
  // JPEG at quality 100 is within a few levels of its flat colour.
  const j = 16 * 16 * 3 + 40 * 3;
  const rgb = [...d.train.pixels.subarray(j, j + 3)];
  [200, 100, 50].forEach((v, k) => assert(Math.abs(rgb[k] - v) <= 3, `jpeg ${rgb}`));

  const s = await loadOneClass({
    dataset: "folder",
    dataDir: root,
    normal: 0,
    imageSize: 8,
    valFraction: 0.34,
  });
  assertEquals([s.train.count, s.val.count, s.test.count], [2, 1, 3]);
  assertEquals([...s.testIsAnomaly], [0, 1, 1]);
  assertEquals([s.test.height, s.test.width, s.test.channels], [8, 8, 3]);
  assertEquals(s.manifest.classNames, ["normal", "anomalous"]);
  assertEquals(s.manifest.source, root);
  assertEquals(s.test.names, d.test.names);
  await Deno.remove(root, { recursive: true });
});

Deno.test("folder with a labels CSV; grey images load as 1 channel", async () => {
  const root = await Deno.makeTempDir();
  await write(root, {
    "train/a.png": png(12, 10, 40, true),
    "train/b.png": png(12, 10, 60, true),
    "test/t1.png": png(12, 10, 80, true),
    "test/t2.png": png(12, 10, 100, true),
    "test/t3.png": png(12, 10, 120, true),
    "test/t4.png": png(12, 10, 140, true),
    "test/labels.csv": "file,label\nt1.png,0\nt2.png,anomalous\n\nt3.png,normal\nt4.png,1\n",
  });
  const d = await loadFolder(root);
  assertEquals(d.test.channels, 1);
  assertEquals([d.test.height, d.test.width], [10, 12]);
  assertEquals([...d.test.labels], [0, 1, 0, 1]);
  assertEquals(d.test.names, ["test/t1.png", "test/t2.png", "test/t3.png", "test/t4.png"]);
  assertEquals([d.test.pixels[0], d.test.pixels[120], d.test.pixels[3 * 120 + 119]], [
    80,
    100,
    140,
  ]);
  const s = await loadOneClass({ dataset: "folder", dataDir: root, normal: 0, channels: 3 });
  assertEquals([s.test.height, s.test.channels, s.manifest.counts.testAnomalous], [32, 3, 2]);
  assertEquals([s.train.count, s.val.count], [1, 1]);
  // The CSV may also sit beside train/ and test/.
  await Deno.rename(`${root}/test/labels.csv`, `${root}/labels.csv`);
  assertEquals([...(await loadFolder(root)).test.labels], [0, 1, 0, 1]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("folder errors name the file or option and what was expected", async () => {
  const root = await Deno.makeTempDir();
  const base = {
    "train/a.png": png(8, 8, 1),
    "test/normal/n.png": png(8, 8, 2),
    "test/anomalous/x.png": png(8, 8, 3),
  };
  const expectError = async (files: Record<string, Uint8Array | string>, message: string) => {
    await Deno.remove(root, { recursive: true }).catch(() => {});
    await write(root, files);
    const err = await assertRejects(() => loadFolder(root));
    assertStringIncludes(err.message, message);
  };
  await expectError(
    { ...base, "train/b.png": png(9, 8, 1) },
    `${root}/train/b.png: image is 9x8, expected 8x8 like ${root}/train/a.png`,
  );
  await expectError(
    { ...base, "test/anomalous/y.jpg": jpg(8, 6, 1, 2, 3) },
    `${root}/test/anomalous/y.jpg: image is 8x6, expected 8x8`,
  );
  await expectError(
    { ...base, "train/c.png": "not an image" },
    `${root}/train/c.png: unreadable image, expected a PNG or JPEG file`,
  );
  await expectError(
    { ...base, "train/d.png": png(8, 8, 1).subarray(0, 40) },
    `${root}/train/d.png: unreadable PNG image`,
  );
  await expectError(
    { "train/a.png": png(8, 8, 1), "test/t.png": png(8, 8, 1) },
    "needs normal/ and anomalous/ subfolders or a labels.csv",
  );
  await expectError(
    { "train/a.png": png(8, 8, 1), "test/t.png": png(8, 8, 1), "test/labels.csv": "t.png,2\n" },
    `${root}/test/labels.csv:1: label "2" of t.png, expected 0, 1, normal or anomalous`,
  );
  await expectError(
    {
      "train/a.png": png(8, 8, 1),
      "test/t.png": png(8, 8, 1),
      "test/labels.csv": "t.png,1\nu.png,0\n",
    },
    `${root}/test/labels.csv: lists u.png, but ${root}/test/u.png does not exist`,
  );
  await expectError({ "test/normal/n.png": png(8, 8, 1) }, `folder: ${root}/train not found`);
  await expectError(
    { ...base, "train/a.png": "x", "train/a.txt": "y" },
    `${root}/train/a.png: unreadable image`,
  );

  await Deno.remove(root, { recursive: true });
  await write(root, base);
  let err = await assertRejects(() =>
    loadOneClass({ dataset: "folder", dataDir: root, normal: 1 })
  );
  assertStringIncludes(err.message, "normal: 1 invalid, the folder dataset's normal class is 0");
  // The library names its option; a task names the flag typed (`deno task score --normal 1`).
  assertEquals(
    namingFlags(err).message,
    "--normal: 1 invalid, the folder dataset's normal class is 0",
  );
  err = await assertRejects(() =>
    loadOneClass({ dataset: "folder", dataDir: root, normal: 0, protocol: "leave-one-out" })
  );
  assertStringIncludes(err.message, "protocol: leave-one-out needs a labelled multi-class dataset");
  await Deno.remove(root, { recursive: true });
});

Deno.test("hidden files and folders are not data; the split's manifest counts what was skipped", async () => {
  const root = await Deno.makeTempDir();
  await writeDigitFolder(root, {
    normal: 1,
    anomalous: 7,
    train: 12,
    testNormal: 40,
    testAnomalous: 20,
  });
  const real = await Deno.readFile(`${root}/test/normal/d1-0.png`);
  // AppleDouble files are not images at all; a checkpoint copy is a readable duplicate.
  const appleDouble = Uint8Array.of(0x00, 0x05, 0x16, 0x07, 0, 2, 0, 0);
  await write(root, {
    "test/normal/.ipynb_checkpoints/d1-0-checkpoint.png": real,
    "test/anomalous/._d7-0.png": appleDouble,
    "train/__MACOSX/._d1-0.png": appleDouble,
    "train/.DS_Store": "x",
    "train/README.txt": "digits",
  });
  const d = await loadFolder(root);
  assertEquals([d.train.count, d.test.count], [12, 60]);
  assertEquals([...d.test.labels].filter((l) => l === 1).length, 20);
  assert(d.test.names!.every((n) => !n.includes("/.") && !n.includes("__MACOSX")), "no hidden");
  const s = await loadOneClass({ dataset: "folder", dataDir: root, normal: 0 });
  assertEquals([s.manifest.counts.test, s.manifest.counts.testAnomalous], [60, 20]);
  assertEquals(s.manifest.skipped?.map((k) => [k.reason.split(" ")[0], k.count]), [
    ["hidden", 4],
    ["not", 1],
  ]);
  assertEquals(s.manifest.skipped?.[1].examples, ["train/README.txt"]);
  // Scoring a folder skips them too, and keeps the labels of its normal/ and anomalous/.
  const images = await loadImageFolder(`${root}/test`, 32, 1);
  assertEquals(images.count, 60);
  assertEquals(images.skipped.map((k) => k.count), [2]);
  assertEquals([...images.isAnomaly!], [...s.testIsAnomaly]);
  assertEquals(images.names, s.test.names!.map((n) => n.slice("test/".length)));
  // A labels CSV may not name a hidden file.
  await write(root, { "test/labels.csv": "normal/d1-0.png,0\nanomalous/._d7-0.png,1\n" });
  const err = await assertRejects(() => loadFolder(root));
  assertStringIncludes(err.message, "anomalous/._d7-0.png, a hidden file");
  await Deno.remove(root, { recursive: true });
});

Deno.test("PNGs whose shapes live only in alpha are composited onto white, with a note", async () => {
  const root = await Deno.makeTempDir();
  const spec = { normal: 1, anomalous: 7, train: 4, testNormal: 2, testAnomalous: 2 };
  await writeDigitFolder(`${root}/grey`, spec);
  await writeDigitFolder(`${root}/alpha`, { ...spec, alphaOnly: true });
  const grey = await loadFolder(`${root}/grey`);
  const alpha = await loadFolder(`${root}/alpha`);
  assertEquals(alpha.train.channels, 1);
  // Digit v over a transparent background: 255 - v on white (not 0 everywhere).
  assertEquals([...alpha.train.pixels], [...grey.train.pixels].map((v) => 255 - v));
  assert(alpha.train.pixels.some((v) => v < 128) && alpha.train.pixels.some((v) => v > 128));
  assertEquals(grey.notes, undefined);
  assertStringIncludes(alpha.notes?.[0] ?? "", "8 of 8 images have transparent pixels");
  const s = await loadOneClass({ dataset: "folder", dataDir: `${root}/alpha`, normal: 0 });
  assertStringIncludes(s.manifest.notes?.[0] ?? "", "composited onto white");
  // Scoring a folder decodes the same way.
  const images = await loadImageFolder(`${root}/alpha/train`, 28, 1);
  assertEquals([...images.pixels], [...alpha.train.pixels]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a class of 2-4 images still holds one out for calibration", async () => {
  const root = await Deno.makeTempDir();
  await writeDigitFolder(root, {
    normal: 1,
    anomalous: 7,
    train: 4,
    testNormal: 2,
    testAnomalous: 2,
  });
  const s = await loadOneClass({ dataset: "folder", dataDir: root, normal: 0 });
  assertEquals([s.train.count, s.val.count], [3, 1]);
  const limited = await loadOneClass({ dataset: "folder", dataDir: root, normal: 0, limit: 1 });
  assertEquals([limited.train.count, limited.val.count], [1, 1]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("with a labels CSV, unlisted test images are counted as skipped and a twice-listed file is an error", async () => {
  const root = await Deno.makeTempDir();
  await write(root, {
    "train/a.png": png(8, 8, 1, true),
    "train/b.png": png(8, 8, 2, true),
    "test/t1.png": png(8, 8, 3, true),
    "test/t2.png": png(8, 8, 4, true),
    "test/extra.png": png(8, 8, 5, true),
    "test/._t1.png": "AppleDouble",
    "test/labels.csv": "file,label\nt1.png,normal\n./t2.png,anomalous\n",
  });
  const d = await loadFolder(root);
  assertEquals(d.test.names, ["test/t1.png", "test/t2.png"]);
  assertEquals(d.skipped?.map((k) => [k.reason, k.count, k.examples]), [
    ["hidden (.*, ._*, .ipynb_checkpoints, __MACOSX)", 1, ["test/._t1.png"]],
    ["not listed in test/labels.csv", 1, ["test/extra.png"]],
  ]);
  await write(root, { "test/labels.csv": "t1.png,0\nt2.png,1\n./t1.png,1\n" });
  const error = await assertRejects(() => loadFolder(root));
  assertStringIncludes(error.message, "labels.csv: lists t1.png twice");
  await Deno.remove(root, { recursive: true });
});

Deno.test("score --images reads a labelled folder as the folder dataset's test split does: labels, order, what is skipped", async () => {
  const root = await Deno.makeTempDir();
  await write(root, {
    "train/a.png": png(8, 8, 1, true),
    "train/b.png": png(8, 8, 2, true),
    "test/normal/n1.png": png(8, 8, 3, true),
    "test/normal/n2.png": png(8, 8, 4, true),
    "test/anomalous/x1.png": png(8, 8, 200, true),
    "test/loose.png": png(8, 8, 5, true),
    "test/README.txt": "not data",
  });
  // One reader for both: the same files, in the same order, with the same labels.
  const d = await loadFolder(root);
  const images = await loadImageFolder(`${root}/test`, 8, 1);
  assertEquals(d.test.names, ["test/normal/n1.png", "test/normal/n2.png", "test/anomalous/x1.png"]);
  assertEquals(images.names, ["normal/n1.png", "normal/n2.png", "anomalous/x1.png"]);
  assertEquals([...d.test.labels], [0, 0, 1]);
  assertEquals([...images.labels], [0, 0, 1]);
  assertEquals([...images.isAnomaly!], [0, 0, 1]);
  assertEquals([...images.pixels], [...d.test.pixels]);
  // An image beside normal/ and anomalous/ is not read, and not silently: it is counted.
  assertEquals(d.skipped?.map((k) => [k.reason, k.count, k.examples]), [
    ["not a PNG or JPEG file", 1, ["test/README.txt"]],
    ["not under test/normal/ or test/anomalous/", 1, ["test/loose.png"]],
  ]);
  assertEquals(images.skipped.map((k) => [k.reason, k.count, k.examples]), [
    ["not a PNG or JPEG file", 1, ["README.txt"]],
    ["not under normal/ or anomalous/", 1, ["loose.png"]],
  ]);
  // A folder with a labels.csv: its files and labels, in its order.
  await write(root, { "test/labels.csv": "file,label\nloose.png,anomalous\nnormal/n2.png,0\n" });
  const csv = await loadImageFolder(`${root}/test`, 8, 1);
  assertEquals(csv.names, ["loose.png", "normal/n2.png"]);
  assertEquals([...csv.isAnomaly!], [1, 0]);
  const withCsv = await loadFolder(root);
  assertEquals(withCsv.test.names, ["test/loose.png", "test/normal/n2.png"]);
  assertEquals([...withCsv.test.labels], [...csv.isAnomaly!]);
  // A plain folder (only normal/, no CSV) stays unlabelled, as before.
  await Deno.remove(`${root}/test/labels.csv`);
  await Deno.remove(`${root}/test/anomalous`, { recursive: true });
  assertEquals(await listLabelledImages(`${root}/test`, root), undefined);
  const plain = await loadImageFolder(`${root}/test`, 8, 1);
  assertEquals(plain.names, ["loose.png", "normal/n1.png", "normal/n2.png"]);
  assertEquals(plain.isAnomaly, undefined);
  assertEquals([...plain.labels], [-1, -1, -1]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a dataset's missing file, in a folder of images: the error says to pass --dataset folder", async () => {
  const root = await Deno.makeTempDir();
  await write(root, { "train/a.png": png(8, 8, 1, true), "test/normal/b.png": png(8, 8, 2, true) });
  let err = await assertRejects(() => loadOneClass({ dataset: "mnist", dataDir: root, normal: 0 }));
  assertStringIncludes(err.message, `mnist: file not found: ${root}/`);
  assertStringIncludes(
    err.message,
    `(data folder: --data-dir ${root}) (${root} holds image folders: pass --dataset folder)`,
  );
  // Loose images: where --dataset folder would read them.
  err = await assertRejects(() =>
    loadOneClass({ dataset: "fashion-mnist", dataDir: `${root}/test/normal`, normal: 0 })
  );
  assertStringIncludes(
    err.message,
    `(${root}/test/normal holds PNG/JPEG images: --dataset folder reads them from ` +
      `${root}/test/normal/train/ and ${root}/test/normal/test/)`,
  );
  // A folder with neither: no hint.
  const empty = await Deno.makeTempDir();
  err = await assertRejects(() => loadOneClass({ dataset: "mnist", dataDir: empty, normal: 0 }));
  assertStringIncludes(err.message, `(data folder: --data-dir ${empty})`);
  assert(!err.message.includes("--dataset folder"), err.message);
  await Deno.remove(root, { recursive: true });
  await Deno.remove(empty, { recursive: true });
});
