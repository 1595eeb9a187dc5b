// Issue 30: the manifest records the images' sizes and channels as found, and a run says when
// bringing them to the model's size changes them much (a large upscale, a squashed aspect ratio)
// or converts their channels.

import { assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { loadOneClass } from "../../lib/data/protocol.ts";
import { checkRunData } from "../../lib/train/run.ts";
import { loadImageFolder } from "../../lib/score/images.ts";
import { greyPng } from "./_fixtures.ts";
import jpeg from "jpeg-js";

async function folderOf(width: number, height: number): Promise<string> {
  const root = await Deno.makeTempDir();
  const parts: [string, number][] = [["train", 12], ["test/normal", 3], ["test/anomalous", 3]];
  for (const [sub, n] of parts) {
    await Deno.mkdir(join(root, sub), { recursive: true });
    for (let i = 0; i < n; i++) {
      const grey = new Uint8Array(width * height).map((_, p) =>
        (p * 31 + i * 17 + sub.length) % 256
      );
      await Deno.writeFile(join(root, sub, `${i}.png`), greyPng(grey, width, height));
    }
  }
  return root;
}

Deno.test("1x1 images are recorded as 1x1 and the run warns that they are upscaled 32x", async () => {
  const root = await folderOf(1, 1);
  const data = await loadOneClass({ dataset: "folder", dataDir: root, normal: 0 });
  assertEquals(data.manifest.sourceImages, {
    sizes: [{ width: 1, height: 1, count: 18 }],
    channels: 1,
  });
  const warnings = checkRunData(data, { batchSize: 4 });
  assertEquals(
    warnings.filter((w) => w.includes("upscaled")),
    ["18 image(s) of 1x1 are upscaled 32x to 32x32: the model sees interpolated copies with no detail of their own"],
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("images of aspect 4:3 are noted as stretched to a square; MNIST's 28x28 gets no note", async () => {
  const root = await folderOf(40, 30);
  const data = await loadOneClass({ dataset: "folder", dataDir: root, normal: 0 });
  assertEquals(data.manifest.sourceImages?.sizes, [{ width: 40, height: 30, count: 18 }]);
  const notes = data.manifest.notes ?? [];
  assertEquals(notes.length, 1);
  assertStringIncludes(
    notes[0],
    "18 image(s) of 40x30 (aspect 1.33) are resized to the square 32x32",
  );
  await Deno.remove(root, { recursive: true });
  const mnist = await loadOneClass({ dataset: "mnist", normal: 1, limit: 16, testLimit: 20 });
  assertEquals(mnist.manifest.sourceImages, {
    sizes: [{ width: 28, height: 28, count: 70000 }],
    channels: 1,
  });
  assertEquals(mnist.manifest.notes, undefined);
});

Deno.test("colour images scored by a grey model are noted as converted", async () => {
  const dir = await Deno.makeTempDir();
  const rgba = new Uint8Array(8 * 8 * 4).map((_, i) => (i % 4 === 0 ? 200 : 40));
  await Deno.writeFile(
    join(dir, "red.jpg"),
    jpeg.encode({ data: rgba, width: 8, height: 8 }, 95).data,
  );
  const set = await loadImageFolder(dir, 32, 1);
  assertEquals(set.sourceImages.channels, 3);
  assertEquals(
    set.notes.filter((n) => n.startsWith("colour (RGB) images are converted to grey")).length,
    1,
  );
  assertEquals(set.notes.filter((n) => n.includes("upscaled 4x")).length, 1);
  await Deno.remove(dir, { recursive: true });
});
