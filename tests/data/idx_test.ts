import { assertEquals, assertRejects, assertStringIncludes, assertThrows } from "@std/assert";
import { parseIdx, readIdxImageSet } from "../../lib/data/idx.ts";
import { loadFashionMnist } from "../../lib/data/fashion_mnist.ts";
import { loadMnist } from "../../lib/data/mnist.ts";
import { gzip, idxBytes, randomBytes, writeIdxDataset } from "./_fixtures.ts";

Deno.test("parseIdx reads dims and data of images and labels", () => {
  const px = randomBytes(2 * 3 * 4, 1);
  const idx = parseIdx(idxBytes([2, 3, 4], px), "img", 0x803);
  assertEquals(idx.dims, [2, 3, 4]);
  assertEquals([...idx.data], [...px]);
});

Deno.test("parseIdx: wrong magic, wrong type, truncated header and data name the file", () => {
  const px = new Uint8Array(12);
  const e1 = assertThrows(() => parseIdx(idxBytes([3], px, 0x801), "f.idx", 0x803));
  assertStringIncludes(
    (e1 as Error).message,
    "f.idx: wrong magic number 0x00000801, expected 0x00000803",
  );
  const e2 = assertThrows(() => parseIdx(idxBytes([3], px, 0x0d01), "g"));
  assertStringIncludes((e2 as Error).message, "g: IDX data type 0xd unsupported");
  const e3 = assertThrows(() => parseIdx(Uint8Array.of(0, 0, 8, 3, 0, 0), "h"));
  assertStringIncludes((e3 as Error).message, "h: truncated IDX header");
  const full = idxBytes([2, 2, 3], px);
  const e4 = assertThrows(() => parseIdx(full.subarray(0, full.length - 1), "k", 0x803));
  assertStringIncludes(
    (e4 as Error).message,
    "k: truncated IDX file, header [2x2x3] needs 12 data bytes, found 11",
  );
});

Deno.test("IDX dataset: raw and gzip files read alike", async () => {
  const raw = await Deno.makeTempDir(), gz = await Deno.makeTempDir();
  await writeIdxDataset(raw, { nTrain: 30, nTest: 20 });
  await writeIdxDataset(gz, { nTrain: 30, nTest: 20, gz: true });
  const a = await loadFashionMnist(raw), b = await loadFashionMnist(gz);
  assertEquals(a.train.count, 30);
  assertEquals(a.test.count, 20);
  assertEquals([a.train.height, a.train.width, a.train.channels], [28, 28, 1]);
  assertEquals(a.train.pixels, b.train.pixels);
  assertEquals([...a.test.labels.slice(0, 12)], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
  assertEquals(a.source, raw);
  await Deno.remove(raw, { recursive: true });
  await Deno.remove(gz, { recursive: true });
});

Deno.test("IDX dataset: each corrupt input is an error naming the file and the expectation", async () => {
  const dir = await Deno.makeTempDir();
  const fresh = async () => {
    for await (const e of Deno.readDir(dir)) await Deno.remove(`${dir}/${e.name}`);
    await writeIdxDataset(dir, { nTrain: 10, nTest: 10 });
  };
  const imgs = `${dir}/train-images-idx3-ubyte`, labels = `${dir}/train-labels-idx1-ubyte`;

  // Missing file.
  await fresh();
  await Deno.remove(`${dir}/t10k-labels-idx1-ubyte`);
  let err = await assertRejects(() => loadMnist(dir));
  assertStringIncludes(
    err.message,
    `file not found: ${dir}/t10k-labels-idx1-ubyte (or t10k-labels-idx1-ubyte.gz)`,
  );

  // Wrong magic number: a labels file where images belong.
  await fresh();
  await Deno.copyFile(labels, imgs);
  err = await assertRejects(() => loadMnist(dir));
  assertStringIncludes(err.message, `${imgs}: wrong magic number 0x00000801, expected 0x00000803`);

  // Truncated images file.
  await fresh();
  const bytes = await Deno.readFile(imgs);
  await Deno.writeFile(imgs, bytes.subarray(0, bytes.length - 100));
  err = await assertRejects(() => loadMnist(dir));
  assertStringIncludes(err.message, `${imgs}: truncated IDX file`);

  // Truncated gzip file.
  await fresh();
  const gz = gzip(bytes);
  await Deno.remove(imgs);
  await Deno.writeFile(`${imgs}.gz`, gz.subarray(0, gz.length >> 1));
  err = await assertRejects(() => loadMnist(dir));
  assertStringIncludes(err.message, `${imgs}.gz is not a complete gzip file`);

  // Image/label count mismatch.
  await fresh();
  await Deno.writeFile(labels, idxBytes([9], new Uint8Array(9)));
  err = await assertRejects(() => loadMnist(dir));
  assertStringIncludes(err.message, `${labels}: 9 labels but ${imgs} holds 10 images`);

  // Label out of range.
  await fresh();
  await Deno.writeFile(labels, idxBytes([10], Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 10)));
  err = await assertRejects(() => readIdxImageSet(imgs, labels, 10));
  assertStringIncludes(err.message, `${labels}: label 10 of item 9 out of range, expected 0..9`);

  await Deno.remove(dir, { recursive: true });
});
