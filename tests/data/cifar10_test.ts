import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { decodeCifar10Batch, loadCifar10 } from "../../lib/data/cifar10.ts";
import { loadOneClass } from "../../lib/data/protocol.ts";
import { cifarRecords, fakeCifarFiles } from "./_fixtures.ts";

async function writeFakeCifar(perBatch: number, nTest: number): Promise<string> {
  const dir = await Deno.makeTempDir();
  for (const [name, bytes] of fakeCifarFiles(perBatch, nTest)) {
    await Deno.writeFile(`${dir}/${name}`, bytes);
  }
  return dir;
}

Deno.test("CIFAR-10 loader: five training batches and the test batch, CHW records to NHWC", async () => {
  const dir = await writeFakeCifar(20, 30);
  const d = await loadCifar10(dir);
  assertEquals([d.train.count, d.test.count], [100, 30]);
  assertEquals([d.train.height, d.train.width, d.train.channels], [32, 32, 3]);
  assertEquals(d.source, dir);
  assertEquals(d.classNames[3], "cat");
  // Batch b holds labels (i + b) % 10; batch 2 starts at image 20.
  assertEquals([d.train.labels[0], d.train.labels[20], d.test.labels[29]], [1, 2, 9]);
  // Pixel (y=5, x=7) of test image 4: planes R, G, B at offsets 1, 1025, 2049 of its record.
  const rec = cifarRecords(30, 99).subarray(4 * 3073, 5 * 3073);
  const p = 5 * 32 + 7;
  const o = 4 * 3072 + p * 3;
  assertEquals([...d.test.pixels.subarray(o, o + 3)], [rec[1 + p], rec[1025 + p], rec[2049 + p]]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("CIFAR-10 through the protocol: one-class and leave-one-out, RGB or grey", async () => {
  const dir = await writeFakeCifar(20, 30);
  const s = await loadOneClass({ dataset: "cifar10", dataDir: dir, normal: 3, valFraction: 0.2 });
  // Labels 3 in the training batches: (i + b) % 10 == 3 twice per batch of 20.
  assertEquals(s.train.count + s.val.count, 10);
  assertEquals(s.val.count, 2);
  assertEquals(s.manifest.counts.testAnomalous, 27);
  assertEquals([s.train.height, s.train.channels, s.manifest.channels], [32, 3, 3]);
  assert(s.train.labels.every((l) => l === 3));
  const grey = await loadOneClass({
    dataset: "cifar10",
    dataDir: dir,
    normal: 3,
    protocol: "leave-one-out",
    channels: 1,
    imageSize: 16,
  });
  assertEquals(grey.train.count + grey.val.count, 90);
  assertEquals(grey.manifest.counts.testAnomalous, 3);
  assertEquals([grey.test.height, grey.test.width, grey.test.channels], [16, 16, 1]);
  assertEquals(grey.test.pixels.length, 30 * 16 * 16);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("CIFAR-10 corrupt input: truncated batch, bad label, missing file name the file", async () => {
  const dir = await writeFakeCifar(4, 4);
  const b3 = `${dir}/data_batch_3.bin`;
  const good = await Deno.readFile(b3);
  await Deno.writeFile(b3, good.subarray(0, good.length - 10));
  let err = await assertRejects(() => loadCifar10(dir));
  assertStringIncludes(err.message, `${b3}: 12282 bytes is not a whole number of CIFAR-10 records`);
  const bad = good.slice();
  bad[2 * 3073] = 10;
  await Deno.writeFile(b3, bad);
  err = await assertRejects(() => loadCifar10(dir));
  assertStringIncludes(err.message, `${b3}: label 10 of record 2 out of range, expected 0..9`);
  await Deno.remove(`${dir}/test_batch.bin`);
  await Deno.writeFile(b3, good);
  err = await assertRejects(() => loadCifar10(dir));
  assertStringIncludes(err.message, `file not found: ${dir}/test_batch.bin`);
  assertStringIncludes(err.message, "deno task data cifar10");
  const e4 = (() => {
    try {
      decodeCifar10Batch(new Uint8Array(0), "empty.bin");
    } catch (e) {
      return e as Error;
    }
  })();
  assertStringIncludes(e4!.message, "empty.bin: 0 bytes is not a whole number");
  await Deno.remove(dir, { recursive: true });
});
