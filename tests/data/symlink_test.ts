// Issue 30: symbolic links are images too. A dataset built with `ln -s` is read like a copy; a
// dangling link or a link loop is skipped and counted with its reason, never dropped silently.

import { assertEquals } from "@std/assert";
import { join } from "@std/path";
import { loadFolder } from "../../lib/data/folder.ts";
import { loadImageFolder } from "../../lib/score/images.ts";
import { folderFingerprint } from "../../lib/data/_files.ts";
import { greyPng } from "./_fixtures.ts";

const png = (v: number) => greyPng(new Uint8Array(16).map((_, i) => (i * 17 + v) % 256), 4, 4);

Deno.test("a folder dataset of symbolic links trains on every linked image; broken links are counted", async () => {
  const root = await Deno.makeTempDir();
  const store = join(root, "store");
  await Deno.mkdir(store);
  for (let i = 0; i < 8; i++) await Deno.writeFile(join(store, `${i}.png`), png(i * 9));
  const data = join(root, "data");
  for (const sub of ["train", "test/normal", "test"]) {
    await Deno.mkdir(join(data, sub), { recursive: true });
  }
  for (let i = 0; i < 6; i++) {
    await Deno.symlink(join(store, `${i}.png`), join(data, `train/${i}.png`));
  }
  await Deno.symlink(join(store, "gone.png"), join(data, "train/gone.png"));
  await Deno.symlink(join(data, "train/loop-b.png"), join(data, "train/loop-a.png"));
  await Deno.symlink(join(data, "train/loop-a.png"), join(data, "train/loop-b.png"));
  await Deno.symlink(join(data, "train"), join(data, "train/again")); // a folder above: a loop
  await Deno.symlink(join(store, "6.png"), join(data, "test/normal/6.png"));
  // A linked folder of anomalous images.
  await Deno.mkdir(join(root, "bad"));
  await Deno.writeFile(join(root, "bad", "7.png"), png(200));
  await Deno.symlink(join(root, "bad"), join(data, "test/anomalous"));

  const set = await loadFolder(data);
  assertEquals(set.train.count, 6); // before issue 30: "no PNG or JPEG images in .../train"
  assertEquals(set.test.names, ["test/normal/6.png", "test/anomalous/7.png"]);
  assertEquals(set.skipped, [
    {
      reason: "a symbolic link whose target does not exist",
      count: 1,
      examples: ["train/gone.png"],
    },
    {
      reason: "a symbolic link loop (links pointing at each other, or at a folder above them)",
      count: 3,
      examples: ["train/again", "train/loop-a.png", "train/loop-b.png"],
    },
  ]);
  // The cache key sees a linked image's target change.
  const before = await folderFingerprint(data);
  await Deno.writeFile(join(store, "0.png"), png(77));
  const later = new Date(Date.now() + 5000);
  await Deno.utime(join(store, "0.png"), later, later);
  assertEquals((await folderFingerprint(data)) === before, false);
  await Deno.remove(root, { recursive: true });
});

Deno.test("score --images reads 5 links and 1 file as 6 images", async () => {
  const root = await Deno.makeTempDir();
  const images = join(root, "images");
  await Deno.mkdir(images);
  for (let i = 0; i < 5; i++) {
    await Deno.writeFile(join(root, `${i}.png`), png(i * 20));
    await Deno.symlink(join(root, `${i}.png`), join(images, `link${i}.png`));
  }
  await Deno.writeFile(join(images, "real.png"), png(3));
  await Deno.symlink(join(root, "nothing.png"), join(images, "broken.png"));
  const set = await loadImageFolder(images, 4, 1);
  assertEquals(set.count, 6); // before issue 30: 1
  assertEquals(set.skipped.map((s) => [s.reason, s.count]), [
    ["a symbolic link whose target does not exist", 1],
  ]);
  await Deno.remove(root, { recursive: true });
});
