/**
 * A candidate for issue 29's next lever, measured and not adopted: exact copies of a convolution
 * filter between tfjs's HWIO layout and the blocked layouts oneDNN's direct convolutions choose
 * on AVX-512 and AVX2 CPUs, as WebAssembly SIMD loops on the wasm heap
 * (`_simd_filter_copy.ts`), in place of oneDNN's reorder primitives (`jit:uni`). On the teacher's
 * filters they were no faster than oneDNN's reorders (`bench/filter_copy.ts`, BENCHMARKS.md
 * "The filters' reorders by our own copy"), so `lib/backend/onednn/convolution.ts` keeps oneDNN's.
 * Kept for that measurement and as the exact reference of the layouts for a later attempt.
 *
 * A layout is copied only when a weights descriptor is exactly (`dnnl_memory_desc_equal`) the
 * descriptor of one of the format tags in {@link FILTER_COPY_LAYOUTS} for the filter's
 * dimensions, with no padding (both channel counts multiples of the blocks); any other layout is
 * left to oneDNN's reorder ({@link matchFilterLayout} gives undefined). The copies move bytes
 * (loads, stores, lane shuffles), so they give oneDNN's reorder's bytes exactly
 * (tests/backend/onednn_filter_copy_test.ts).
 *
 * Layouts, oneDNN's logical filter dims being (O, I, H, W) = (a, b, c, d):
 * - `Acdb{B}a`: per block of B output channels, HWI order, B outputs contiguous: runs of B floats.
 * - `ABcd{Bi}b{Bo}a`: per block (Bo outputs, Bi inputs), HW order, then Bi rows of Bo outputs:
 *   runs of Bo floats.
 * - `ABcd{Bo}a{Bi}b`: as above with Bo rows of Bi inputs: each Bi × Bo tile of HWIO transposed.
 *
 * Source: oneDNN 2.6 `dnnl_types.h` (`dnnl_format_tag_t`, the tags' values) and its memory
 * format guide (https://oneapi-src.github.io/oneDNN/v2.6/dev_guide_understanding_memory_formats.html).
 *
 * @module
 */

import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { wasmModule } from "../wasm_kernels/_wasm_assembler.ts";
import { check, dims, DNNL, type DnnlLibrary, MEMORY_DESC_BYTES } from "./_ffi.ts";
import { copyRunsFunction, copyTilesFunction } from "./_simd_filter_copy.ts";

/** The copy loops, bound to a wasm backend's heap (addresses and strides in bytes). */
export interface FilterCopyKernels {
  /** Runs of `run` bytes (a multiple of 32) at each point of four (count, src, dst stride) loops. */
  copyRuns(src: number, dst: number, run: number, ...loops: number[]): void;
  /** As `copyRuns`, four vectors at a time: `run` a multiple of 64. */
  copyRuns64(src: number, dst: number, run: number, ...loops: number[]): void;
  /** As `copyRuns`, one `memory.copy` a run. */
  copyRunsBulk(src: number, dst: number, run: number, ...loops: number[]): void;
  /** rows × cols tiles transposed at each point of three loops (see `copyTilesFunction`). */
  copyTiles(
    src: number,
    dst: number,
    rows: number,
    cols: number,
    srcRow: number,
    dstRow: number,
    ...loops: number[]
  ): void;
}

const instances = new WeakMap<WebAssembly.Memory, FilterCopyKernels>();

/**
 * The copy loops bound to a wasm backend's memory (compiled once per memory).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "../../tf.ts";
 * import "@tensorflow/tfjs-backend-wasm";
 * import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
 * import { filterCopyKernels } from "./filter_copy.ts";
 * await tf.setBackend("wasm");
 * assertEquals(typeof filterCopyKernels(tf.backend() as BackendWasm).copyTiles, "function");
 * ```
 */
export function filterCopyKernels(backend: BackendWasm): FilterCopyKernels {
  const memory = (backend.wasm as unknown as { asm: { memory: WebAssembly.Memory } }).asm.memory;
  let kernels = instances.get(memory);
  if (kernels === undefined) {
    const shared = typeof SharedArrayBuffer !== "undefined" &&
      memory.buffer instanceof SharedArrayBuffer;
    const bytes = wasmModule([
      { name: "copyRuns", ...copyRunsFunction(2) },
      { name: "copyRuns64", ...copyRunsFunction(4) },
      { name: "copyRunsBulk", ...copyRunsFunction(0) },
      { name: "copyTiles", ...copyTilesFunction() },
    ], shared);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    kernels = instance.exports as unknown as FilterCopyKernels;
    instances.set(memory, kernels);
  }
  return kernels;
}

/** One blocked filter layout this module copies. */
export interface FilterLayout {
  /** oneDNN's format tag name, e.g. `Acdb64a`. */
  name: string;
  /** Its `dnnl_format_tag_t` value (oneDNN 2.6). */
  tag: number;
  /** `runsAcdb`: Acdb{B}a; `runs`: ABcd{Bi}b{Bo}a; `tiles`: ABcd{Bo}a{Bi}b. */
  kind: "runsAcdb" | "runs" | "tiles";
  /** Block of output channels (a). */
  outBlock: number;
  /** Block of input channels (b); 1 for `Acdb`. */
  inBlock: number;
}

/**
 * The layouts copied here: those oneDNN 2.6 picked for the teacher's filters on an AVX-512 Xeon
 * (`ONEDNN_VERBOSE=1`: the forward's `Acdb64a` and `Acdb32a`, the data gradient's `ABcd16a16b`,
 * the weight gradient's `ABcd16b16a` and `Acdb16a`), and their 8-blocked AVX2 counterparts. Tests
 * may empty it to check the fallback to oneDNN's reorder.
 */
export const FILTER_COPY_LAYOUTS: FilterLayout[] = [
  { name: "Acdb64a", tag: 299, kind: "runsAcdb", outBlock: 64, inBlock: 1 },
  { name: "Acdb32a", tag: 205, kind: "runsAcdb", outBlock: 32, inBlock: 1 },
  { name: "Acdb16a", tag: 202, kind: "runsAcdb", outBlock: 16, inBlock: 1 },
  { name: "Acdb8a", tag: 207, kind: "runsAcdb", outBlock: 8, inBlock: 1 },
  { name: "ABcd16b16a", tag: 70, kind: "runs", outBlock: 16, inBlock: 16 },
  { name: "ABcd8b8a", tag: 98, kind: "runs", outBlock: 8, inBlock: 8 },
  { name: "ABcd16a16b", tag: 66, kind: "tiles", outBlock: 16, inBlock: 16 },
  { name: "ABcd8a8b", tag: 91, kind: "tiles", outBlock: 8, inBlock: 8 },
];

/** A filter's dimensions in tfjs's HWIO order. */
export type FilterShape = [height: number, width: number, inChannels: number, outChannels: number];

/**
 * The layout of {@link FILTER_COPY_LAYOUTS} that the weights descriptor `desc` is exactly, for a
 * float32 filter of `shape`, or undefined (unknown, or padded: a channel count not a multiple of
 * its block).
 */
export function matchFilterLayout(
  lib: DnnlLibrary,
  desc: Deno.PointerValue,
  shape: FilterShape,
): FilterLayout | undefined {
  const [h, w, i, o] = shape;
  for (const layout of FILTER_COPY_LAYOUTS) {
    if (o % layout.outBlock !== 0 || i % layout.inBlock !== 0) continue;
    const mine = new Uint8Array(MEMORY_DESC_BYTES);
    check(
      lib.symbols.dnnl_memory_desc_init_by_tag(mine, 4, dims([o, i, h, w]), DNNL.f32, layout.tag),
      `dnnl_memory_desc_init_by_tag ${layout.name}`,
    );
    if (lib.symbols.dnnl_memory_desc_equal(desc, Deno.UnsafePointer.of(mine)) !== 0) return layout;
  }
  return undefined;
}

/** One of a copy's loops: count, stride in the HWIO filter, stride in the blocked one (bytes). */
type Loop = [count: number, plainStride: number, blockedStride: number];

/**
 * The loops of a copy between HWIO and `layout` for a filter of `shape` (see the module comment;
 * strides in bytes), outermost first, and the piece copied at each point: a run of `runFloats`
 * floats, or (tiles) a tile of inBlock rows of HWIO by outBlock columns.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { FILTER_COPY_LAYOUTS, filterCopyLoops } from "./filter_copy.ts";
 * const acdb64a = FILTER_COPY_LAYOUTS[0];
 * // [4, 4, 128, 256]: 4 blocks of 64 outputs, 16 taps, 128 inputs; a run is 64 floats
 * assertEquals(filterCopyLoops(acdb64a, [4, 4, 128, 256]).loops, [
 *   [4, 256, 524288], [16, 131072, 32768], [128, 1024, 256], [1, 0, 0],
 * ]);
 * ```
 */
export function filterCopyLoops(
  layout: FilterLayout,
  shape: FilterShape,
): { loops: Loop[]; runFloats: number } {
  const [h, w, i, o] = shape;
  const taps = h * w;
  const { outBlock: bo, inBlock: bi } = layout;
  if (layout.kind === "runsAcdb") {
    return {
      loops: [[o / bo, 4 * bo, 4 * taps * i * bo], [taps, 4 * i * o, 4 * i * bo], [
        i,
        4 * o,
        4 * bo,
      ], [1, 0, 0]],
      runFloats: bo,
    };
  }
  const blocks: Loop[] = [
    [o / bo, 4 * bo, 4 * i * taps * bo],
    [i / bi, 4 * bi * o, 4 * taps * bi * bo],
    [taps, 4 * i * o, 4 * bi * bo],
  ];
  if (layout.kind === "runs") return { loops: [...blocks, [bi, 4 * o, 4 * bo]], runFloats: bo };
  return { loops: blocks, runFloats: 0 };
}

/**
 * Copies a filter of `shape` between HWIO at byte offset `plain` and `layout` at byte offset
 * `blocked` of the wasm heap the `kernels` work on: into the blocked layout when `toBlocked`, else
 * back to HWIO (runs by `memory.copy` when `bulk`). Exact: every byte moved as it is.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "../../tf.ts";
 * import "@tensorflow/tfjs-backend-wasm";
 * import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
 * import { address } from "../wasm_kernels/_simd.ts";
 * import { copyFilter, FILTER_COPY_LAYOUTS, filterCopyKernels } from "./filter_copy.ts";
 * await tf.setBackend("wasm");
 * const backend = tf.backend() as BackendWasm;
 * // [1, 1, 16, 16] HWIO into ABcd16a16b: one 16 x 16 tile, transposed
 * const f = tf.range(0, 256), out = tf.zeros([256]); // f: 256 floats read as HWIO
 * const tiles = FILTER_COPY_LAYOUTS.find((l) => l.name === "ABcd16a16b")!;
 * copyFilter(filterCopyKernels(backend), tiles, [1, 1, 16, 16], address(backend, f), address(backend, out), true);
 * assertEquals(Array.from(out.dataSync()).slice(0, 3), [0, 16, 32]); // (o 0, i 0), (o 0, i 1), (o 0, i 2)
 * tf.dispose([f, out]);
 * ```
 */
export function copyFilter(
  kernels: FilterCopyKernels,
  layout: FilterLayout,
  shape: FilterShape,
  plain: number,
  blocked: number,
  toBlocked: boolean,
  bulk = false,
): void {
  const { loops, runFloats } = filterCopyLoops(layout, shape);
  // Source and destination strides of each loop, the destination's largest first: the writes
  // go forward through memory (the loops' order changes no value, only the order of the stores).
  const strides = loops.map(([n, p, b]) => toBlocked ? [n, p, b] : [n, b, p])
    .sort((x, y) => y[2] - x[2]).flat();
  const [src, dst] = toBlocked ? [plain, blocked] : [blocked, plain];
  if (layout.kind !== "tiles") {
    if (bulk) kernels.copyRunsBulk(src, dst, 4 * runFloats, ...strides);
    else if (runFloats % 16 === 0) kernels.copyRuns64(src, dst, 4 * runFloats, ...strides);
    else kernels.copyRuns(src, dst, 4 * runFloats, ...strides);
    return;
  }
  const o = shape[3];
  const { outBlock: bo, inBlock: bi } = layout;
  // HWIO's tile: rows of inputs (stride o floats), columns of outputs; the blocked one transposed.
  if (toBlocked) kernels.copyTiles(src, dst, bi, bo, 4 * o, 4 * bi, ...strides);
  else kernels.copyTiles(src, dst, bo, bi, 4 * bi, 4 * o, ...strides);
}
