import { assert, assertEquals, assertNotEquals } from "@std/assert";
import * as tf from "../../lib/tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { selectBackend } from "../../lib/backend/select.ts";
import { address } from "../../lib/backend/wasm_kernels/_simd.ts";
import { heapAddresses } from "../../lib/backend/onednn/kernels.ts";
import { dnnlContext } from "../../lib/backend/onednn/_context.ts";
import { DNNL } from "../../lib/backend/onednn/_ffi.ts";
import {
  copyFilter,
  FILTER_COPY_LAYOUTS,
  filterCopyKernels,
  filterCopyLoops,
  type FilterLayout,
  type FilterShape,
  matchFilterLayout,
} from "../../lib/backend/onednn/filter_copy.ts";
import { dnnlAvailable, skipUnless } from "../_helpers.ts";

const skip = () => skipUnless(dnnlAvailable(), "oneDNN (apt-get install libdnnl2)");

/** The teacher's filters (HWIO): its encoders' and discriminator's layers, the latent ones last. */
const TEACHER: FilterShape[] = [
  [4, 4, 1, 64],
  [4, 4, 64, 128],
  [4, 4, 128, 256],
  [4, 4, 256, 100],
  [
    4,
    4,
    256,
    1,
  ],
];

/** What oneDNN's reorder writes from `src` (layout `fromTag`) into a new tensor of `size`. */
function onednnReorder(
  backend: BackendWasm,
  shape: FilterShape,
  fromTag: number,
  toTag: number,
  src: tf.Tensor,
): Uint32Array {
  const [h, w, i, o] = shape;
  const c = dnnlContext();
  const fromMd = c.md([o, i, h, w], fromTag), toMd = c.md([o, i, h, w], toTag);
  const from = c.memory(fromMd, null), to = c.memory(toMd, null);
  const reorder = c.reorder(Deno.UnsafePointer.of(fromMd), from, Deno.UnsafePointer.of(toMd), to);
  const out = tf.zeros([h * w * i * o]);
  c.run(
    { user: [from, to], steps: [reorder], implementation: "reorder" },
    heapAddresses(backend, [src, out]),
    "reorder",
  );
  const bits = new Uint32Array(out.dataSync().buffer);
  out.dispose();
  return bits;
}

/** The candidate's copy of `src` (HWIO when `toBlocked`, else blocked) into a new tensor. */
function ours(
  backend: BackendWasm,
  layout: FilterLayout,
  shape: FilterShape,
  src: tf.Tensor,
  toBlocked: boolean,
  bulk = false,
): Uint32Array {
  const out = tf.zeros(src.shape);
  const [plain, blocked] = toBlocked ? [src, out] : [out, src];
  copyFilter(
    filterCopyKernels(backend),
    layout,
    shape,
    address(backend, plain),
    address(backend, blocked),
    toBlocked,
    bulk,
  );
  const bits = new Uint32Array(out.dataSync().buffer);
  out.dispose();
  return bits;
}

/** A filter's worth of random floats, with a NaN of a payload and -0 among them. */
function randomFilter(shape: FilterShape, seed: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b);
  const values = tf.randomNormal([size], 0, 1, "float32", seed).dataSync() as Float32Array;
  const bits = new Uint32Array(values.buffer);
  bits[size >> 1] = 0x7fc01234; // a NaN with a payload
  bits[size - 1] = 0x80000000; // -0
  return tf.tensor1d(values);
}

Deno.test("the candidate filter copy writes oneDNN's reorder's bytes exactly, for every layout and teacher filter, both ways", async () => {
  if (skip()) return;
  await selectBackend("onednn", { threads: 1 });
  const backend = tf.backend() as BackendWasm;
  const lib = dnnlContext().lib;
  const matched: string[] = [];
  for (const [s, shape] of TEACHER.entries()) {
    const [h, w, i, o] = shape;
    for (const layout of FILTER_COPY_LAYOUTS) {
      // The descriptor oneDNN makes for this tag, as a convolution's chosen weights would be.
      const desc = dnnlContext().md([o, i, h, w], layout.tag);
      const found = matchFilterLayout(lib, Deno.UnsafePointer.of(desc), shape);
      if (o % layout.outBlock !== 0 || i % layout.inBlock !== 0) {
        // Padded: left to oneDNN's reorder.
        assertEquals(found, undefined, `${layout.name} ${shape}`);
        continue;
      }
      assertEquals(found?.name, layout.name);
      matched.push(`${layout.name} ${shape.join("x")}`);
      const src = randomFilter(shape, 10 * s + 1);
      const blocked = onednnReorder(backend, shape, DNNL.hwio, layout.tag, src);
      assertEquals(ours(backend, layout, shape, src, true), blocked, `${layout.name} to`);
      if (layout.kind !== "tiles") {
        assertEquals(ours(backend, layout, shape, src, true, true), blocked, `${layout.name} bulk`);
      }
      // Back: from a blocked filter (the same random bytes read as blocked) to HWIO.
      const back = onednnReorder(backend, shape, layout.tag, DNNL.hwio, src);
      assertEquals(ours(backend, layout, shape, src, false), back, `${layout.name} from`);
      src.dispose();
    }
  }
  // The layouts oneDNN chose for the teacher at batch 1 and 64 on AVX-512 (ONEDNN_VERBOSE=1).
  for (
    const chosen of [
      "Acdb64a 4x4x1x64",
      "Acdb16a 4x4x1x64",
      "Acdb64a 4x4x64x128",
      "ABcd16a16b 4x4x64x128",
      "ABcd16b16a 4x4x64x128",
      "Acdb64a 4x4x128x256",
      "Acdb32a 4x4x128x256",
      "ABcd16a16b 4x4x128x256",
      "ABcd16b16a 4x4x128x256",
    ]
  ) assert(matched.includes(chosen), chosen);
});

Deno.test("a copy with one index wrong differs from oneDNN's reorder", async () => {
  if (skip()) return;
  await selectBackend("onednn", { threads: 1 });
  const backend = tf.backend() as BackendWasm;
  const kernels = filterCopyKernels(backend);
  const shape: FilterShape = [4, 4, 64, 128];
  const src = randomFilter(shape, 5);
  for (const name of ["Acdb64a", "ABcd16b16a", "ABcd16a16b"]) {
    const layout = FILTER_COPY_LAYOUTS.find((l) => l.name === name)!;
    const expected = onednnReorder(backend, shape, DNNL.hwio, layout.tag, src);
    assertEquals(ours(backend, layout, shape, src, true), expected);
    // The same loops with the innermost loop's stride in the HWIO filter off by one float.
    const { loops, runFloats } = filterCopyLoops(layout, shape);
    const last = loops.findLastIndex(([n]) => n > 1);
    const wrong = loops.map(([n, p, b], k) => [n, k === last ? p + 4 : p, b]).flat();
    const out = tf.zeros(src.shape);
    const [from, to] = [address(backend, src), address(backend, out)];
    if (layout.kind === "tiles") kernels.copyTiles(from, to, 16, 16, 4 * 128, 4 * 16, ...wrong);
    else kernels.copyRuns64(from, to, 4 * runFloats, ...wrong);
    assertNotEquals(new Uint32Array(out.dataSync().buffer), expected, name);
    out.dispose();
  }
  src.dispose();
});

Deno.test("a layout the candidate does not know is left to oneDNN's reorder", async () => {
  if (skip()) return;
  await selectBackend("onednn", { threads: 1 });
  const c = dnnlContext();
  const shape: FilterShape = [4, 4, 64, 128];
  // HWIO itself, OIhw (`dnnl_abcd`, 5), `aBcd16b` (69, inputs blocked) and `ABcd4b4a` (79, a block
  // too small for the copy's vectors): not layouts of the list.
  for (const tag of [DNNL.hwio, 5, 69, 79]) {
    const desc = c.md([128, 64, 4, 4], tag);
    assertEquals(matchFilterLayout(c.lib, Deno.UnsafePointer.of(desc), shape), undefined);
  }
  // A known tag for other dimensions than the filter's is not that filter's layout.
  const other = c.md([128, 64, 3, 3], FILTER_COPY_LAYOUTS[0].tag);
  assertEquals(matchFilterLayout(c.lib, Deno.UnsafePointer.of(other), shape), undefined);
});
