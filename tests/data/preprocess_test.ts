import { assertEquals, assertThrows } from "@std/assert";
import {
  convertChannels,
  prepareImageSet,
  resizeBilinear,
  subsetImageSet,
} from "../../lib/data/preprocess.ts";

Deno.test("resizeBilinear 28->32 uses half-pixel centres like PIL/torchvision", () => {
  // A horizontal ramp: row values 0, 10, 20, ... 270 clipped to 255.
  const src = new Uint8Array(28 * 28);
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) src[y * 28 + x] = Math.min(x * 9, 255);
  const out = resizeBilinear(src, 1, 28, 28, 1, 32, 32);
  // Output x=0 maps to source 0.4375-0.5 < 0: the edge pixel; x=1 maps to 0.8125:
  // 0.1875*src[0] + 0.8125*src[1] = 7.3125 -> 7; x=30 maps to 26.1875; x=31 to 27.0625, past
  // the last centre: the edge pixel again.
  assertEquals(out[0], 0);
  assertEquals(out[1], 7);
  assertEquals(out[2], Math.round(9 * (2.5 * 0.875 - 0.5)));
  assertEquals(out[30], Math.round(234 * 0.8125 + 243 * 0.1875));
  assertEquals(out[31], 243);
  // Rows are all equal, so every output row equals the first.
  for (let y = 1; y < 32; y++) assertEquals(out.subarray(y * 32, y * 32 + 32), out.subarray(0, 32));
});

Deno.test("resizeBilinear shrinking averages (antialiased) and keeps channels apart", () => {
  // A 4x4 checkerboard shrunk to 2x2 turns grey (point sampling would keep 0 or 200): PIL's
  // triangle of support 2 gives weights (3, 3, 1)/7 and (1, 3, 3)/7, so out(0,0) =
  // (3*600 + 3*800 + 600)/49 = 97.96.
  const src = new Uint8Array(16);
  for (let i = 0; i < 16; i++) src[i] = ((i >> 2) + (i & 3)) % 2 ? 200 : 0;
  const out = resizeBilinear(src, 1, 4, 4, 1, 2, 2);
  assertEquals([...out], [98, 102, 102, 98]);
  // Two images of 2 channels: red constant 10, green constant 250.
  const rg = new Uint8Array(2 * 3 * 3 * 2);
  for (let i = 0; i < rg.length; i += 2) rg[i] = 10, rg[i + 1] = 250;
  const big = resizeBilinear(rg, 2, 3, 3, 2, 5, 5);
  assertEquals(big.length, 2 * 5 * 5 * 2);
  for (let i = 0; i < big.length; i += 2) assertEquals([big[i], big[i + 1]], [10, 250]);
});

Deno.test("convertChannels: BT.601 luma to grey, repetition to RGB", () => {
  assertEquals([...convertChannels(Uint8Array.of(255, 255, 255, 0, 255, 0, 0, 0, 255), 3, 3, 1)], [
    255,
    150,
    29,
  ]);
  assertEquals([...convertChannels(Uint8Array.of(7, 200), 2, 1, 3)], [7, 7, 7, 200, 200, 200]);
  assertThrows(() => convertChannels(new Uint8Array(4), 1, 4, 1), Error, "expected 1 or 3");
});

Deno.test("prepareImageSet and subsetImageSet keep labels, names and source indices", () => {
  const set = {
    pixels: Uint8Array.from({ length: 3 * 2 * 2 * 3 }, (_, i) => i),
    labels: Int32Array.of(4, 5, 6),
    count: 3,
    height: 2,
    width: 2,
    channels: 3,
    names: ["a", "b", "c"],
  };
  const grey = prepareImageSet(set, 4, 1);
  assertEquals([grey.count, grey.height, grey.width, grey.channels], [3, 4, 4, 1]);
  assertEquals(grey.pixels.length, 48);
  const sub = subsetImageSet(grey, [2, 0]);
  assertEquals([...sub.labels], [6, 4]);
  assertEquals(sub.names, ["c", "a"]);
  assertEquals([...sub.indices!], [2, 0]);
  assertEquals(subsetImageSet(sub, [1]).indices, Int32Array.of(0));
  assertEquals(sub.pixels.subarray(16, 32), grey.pixels.subarray(0, 16));
  assertThrows(() => subsetImageSet(set, [3]), Error, "indices: 3 out of range, expected 0..2");
});
