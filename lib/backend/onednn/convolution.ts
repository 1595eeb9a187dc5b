/**
 * oneDNN convolution primitives over raw pointers: the forward convolution and its data and weight
 * gradients, in tfjs's layouts (activations NHWC, filters HWIO [kh, kw, Ci, Co]), float32, no
 * bias, no dilation. Primitives are created once per geometry and reused: creating one costs
 * milliseconds (JIT code generation), running one on the teacher's layers tens of microseconds.
 *
 * Activations are passed in place (NHWC is a layout oneDNN's AVX-512/AVX2 convolutions run on
 * directly). The filter is not: with a plain HWIO filter oneDNN falls back to its im2col+GEMM
 * convolution, 2-4x slower on these layers than the direct (`brgconv`/`jit`) kernels that want a
 * blocked filter, so the filter is reordered into the primitive's own layout (and the weight
 * gradient back out of it), which costs a copy of the filter per call: small beside the
 * convolution (the teacher's largest filter is 2 MB).
 *
 * The transposed convolution of the decoder is the data gradient of a forward convolution (tfjs
 * computes `conv2dTranspose` with `Conv2DBackpropInput`), so these three cover every convolution
 * of EDE-GAN's training step.
 *
 * Source: oneDNN 2.6 C API, `dnnl_convolution_{forward,backward_data,backward_weights}_desc_init`
 * and `dnnl_reorder_primitive_desc_create` (https://oneapi-src.github.io/oneDNN/v2.6/).
 *
 * @module
 */

import type { ConvGeometry } from "../wasm_kernels/_geometry.ts";
import {
  check,
  dims,
  DNNL,
  type DnnlLibrary,
  loadDnnl,
  MEMORY_ALLOCATE,
  MEMORY_DESC_BYTES,
  OP_DESC_BYTES,
  outPointer,
} from "./_ffi.ts";

/** Which convolution: y = x * f, dx from dy and f, or df from x and dy. */
export type ConvDirection = "forward" | "backwardData" | "backwardWeights";

/** One primitive execution: the primitive and its `dnnl_exec_arg_t[]`. */
interface Step {
  primitive: Deno.PointerValue;
  /** { int arg; dnnl_memory_t memory } per argument, 16 bytes each. */
  args: Uint8Array;
  count: number;
}

/** A convolution ready to run: the caller's three memories (data handles set per call) and steps. */
interface Plan {
  /** The caller's memories, in the order {@link ConvPrimitives.run} takes pointers. */
  user: Deno.PointerValue[];
  steps: Step[];
  /** oneDNN's name of the convolution implementation it chose (e.g. `brgconv:avx512_core`). */
  implementation: string;
}

/** The engine, the stream and the plan cache of one process. */
class ConvPrimitives {
  readonly lib: DnnlLibrary;
  readonly engine: Deno.PointerValue;
  readonly stream: Deno.PointerValue;
  readonly cache = new Map<string, Plan>();
  private readonly cell = new BigUint64Array(1);

  constructor() {
    this.lib = loadDnnl();
    check(this.lib.symbols.dnnl_engine_create(this.cell, DNNL.cpu, 0n), "dnnl_engine_create");
    this.engine = outPointer(this.cell);
    check(
      this.lib.symbols.dnnl_stream_create(this.cell, this.engine, DNNL.streamDefaultFlags),
      "dnnl_stream_create",
    );
    this.stream = outPointer(this.cell);
  }

  /** The plan for a geometry and direction, created on first use. */
  plan(direction: ConvDirection, g: ConvGeometry): Plan {
    const key = `${direction}:${geometryKey(g)}`;
    let p = this.cache.get(key);
    if (p === undefined) {
      p = this.create(direction, g);
      this.cache.set(key, p);
    }
    return p;
  }

  /**
   * Runs a convolution on the given addresses: forward (x, f, y), backwardData (dy, f, dx),
   * backwardWeights (x, dy, df). Synchronous: the outputs are written when it returns.
   */
  run(direction: ConvDirection, g: ConvGeometry, pointers: Deno.PointerValue[]): void {
    const p = this.plan(direction, g);
    const s = this.lib.symbols;
    for (let i = 0; i < 3; i++) {
      check(s.dnnl_memory_set_data_handle(p.user[i], pointers[i]), "dnnl_memory_set_data_handle");
    }
    for (const step of p.steps) {
      check(
        s.dnnl_primitive_execute(step.primitive, this.stream, step.count, step.args),
        direction,
      );
    }
    check(s.dnnl_stream_wait(this.stream), "dnnl_stream_wait");
  }

  private out(): Deno.PointerValue {
    return outPointer(this.cell);
  }

  private memory(desc: Deno.PointerValue, handle: Deno.PointerValue): Deno.PointerValue {
    check(
      this.lib.symbols.dnnl_memory_create(this.cell, desc, this.engine, handle),
      "dnnl_memory_create",
    );
    return this.out();
  }

  private primitive(pd: Deno.PointerValue, what: string): Deno.PointerValue {
    check(this.lib.symbols.dnnl_primitive_create(this.cell, pd), `dnnl_primitive_create ${what}`);
    return this.out();
  }

  /** A reorder step from memory `from` (layout `fromDesc`) to `to` (layout `toDesc`). */
  private reorder(
    fromDesc: Deno.PointerValue,
    from: Deno.PointerValue,
    toDesc: Deno.PointerValue,
    to: Deno.PointerValue,
  ): Step {
    const s = this.lib.symbols;
    check(
      s.dnnl_reorder_primitive_desc_create(
        this.cell,
        fromDesc,
        this.engine,
        toDesc,
        this.engine,
        null,
      ),
      "dnnl_reorder_primitive_desc_create",
    );
    const pd = this.out();
    const primitive = this.primitive(pd, "reorder");
    s.dnnl_primitive_desc_destroy(pd);
    return step(primitive, [[DNNL.argSrc, from], [DNNL.argDst, to]]);
  }

  private create(direction: ConvDirection, g: ConvGeometry): Plan {
    const s = this.lib.symbols;
    const what = `${direction} (${geometryKey(g)})`;
    const md = (values: number[], tag: number) => {
      const desc = new Uint8Array(MEMORY_DESC_BYTES);
      check(
        s.dnnl_memory_desc_init_by_tag(desc, 4, dims(values), DNNL.f32, tag),
        "dnnl_memory_desc_init_by_tag",
      );
      return desc;
    };
    const weightDims = [g.outChannels, g.inChannels, g.filterHeight, g.filterWidth];
    const src = md([g.batch, g.inChannels, g.inHeight, g.inWidth], DNNL.nhwc);
    const dst = md([g.batch, g.outChannels, g.outHeight, g.outWidth], DNNL.nhwc);
    const userWeights = md(weightDims, DNNL.hwio);
    const anyWeights = md(weightDims, DNNL.any);
    const strides = dims([g.strideHeight, g.strideWidth]);
    const padL = dims([g.padTop, g.padLeft]);
    const padR = dims([padAfter(g, "height"), padAfter(g, "width")]);

    const forwardDesc = new Uint8Array(OP_DESC_BYTES);
    check(
      s.dnnl_convolution_forward_desc_init(
        forwardDesc,
        DNNL.forwardTraining,
        DNNL.convolutionDirect,
        src,
        anyWeights,
        null,
        dst,
        strides,
        padL,
        padR,
      ),
      `dnnl_convolution_forward_desc_init ${what}`,
    );
    check(
      s.dnnl_primitive_desc_create(this.cell, forwardDesc, null, this.engine, null),
      `dnnl_primitive_desc_create ${what}`,
    );
    const forwardPd = this.out();
    let pd = forwardPd;
    if (direction !== "forward") {
      const desc = new Uint8Array(OP_DESC_BYTES);
      const status = direction === "backwardData"
        ? s.dnnl_convolution_backward_data_desc_init(
          desc,
          DNNL.convolutionDirect,
          src,
          anyWeights,
          dst,
          strides,
          padL,
          padR,
        )
        : s.dnnl_convolution_backward_weights_desc_init(
          desc,
          DNNL.convolutionDirect,
          src,
          anyWeights,
          null,
          dst,
          strides,
          padL,
          padR,
        );
      check(status, `dnnl_convolution_${direction}_desc_init ${what}`);
      check(
        s.dnnl_primitive_desc_create(this.cell, desc, null, this.engine, forwardPd),
        `dnnl_primitive_desc_create ${what}`,
      );
      pd = this.out();
    }
    const implementation = implementationName(this.lib, pd);
    const convolution = this.primitive(pd, what);
    const weightQuery = direction === "backwardWeights"
      ? DNNL.queryDiffWeightsMd
      : DNNL.queryWeightsMd;
    const chosenWeights = s.dnnl_primitive_desc_query_md(pd, weightQuery, 0);
    const userWeightsPtr = Deno.UnsafePointer.of(userWeights);
    const plain = s.dnnl_memory_desc_equal(chosenWeights, userWeightsPtr) !== 0;

    const none = null;
    const srcMem = this.memory(Deno.UnsafePointer.of(src), none);
    const dstMem = this.memory(Deno.UnsafePointer.of(dst), none);
    const userWeightsMem = this.memory(userWeightsPtr, none);
    // The primitive's own weights: the caller's memory when the layouts agree, else a buffer the
    // library allocates and the reorders fill or empty.
    const weightsMem = plain ? userWeightsMem : this.memory(chosenWeights, MEMORY_ALLOCATE);

    const steps: Step[] = [];
    let user: Deno.PointerValue[];
    if (direction === "forward") {
      if (!plain) {
        steps.push(this.reorder(userWeightsPtr, userWeightsMem, chosenWeights, weightsMem));
      }
      steps.push(step(convolution, [
        [DNNL.argSrc, srcMem],
        [DNNL.argWeights, weightsMem],
        [DNNL.argDst, dstMem],
      ]));
      user = [srcMem, userWeightsMem, dstMem];
    } else if (direction === "backwardData") {
      if (!plain) {
        steps.push(this.reorder(userWeightsPtr, userWeightsMem, chosenWeights, weightsMem));
      }
      steps.push(step(convolution, [
        [DNNL.argDiffDst, dstMem],
        [DNNL.argWeights, weightsMem],
        [DNNL.argDiffSrc, srcMem],
      ]));
      user = [dstMem, userWeightsMem, srcMem];
    } else {
      steps.push(step(convolution, [
        [DNNL.argSrc, srcMem],
        [DNNL.argDiffDst, dstMem],
        [DNNL.argDiffWeights, weightsMem],
      ]));
      if (!plain) {
        steps.push(this.reorder(chosenWeights, weightsMem, userWeightsPtr, userWeightsMem));
      }
      user = [srcMem, dstMem, userWeightsMem];
    }
    // The descriptors queried from `pd` live as long as it does: the plan keeps it (and the
    // memory descriptors, held by the closures' arrays) for the life of the process.
    retained.push(src, dst, userWeights, anyWeights);
    if (pd !== forwardPd) s.dnnl_primitive_desc_destroy(forwardPd);
    return { user, steps, implementation };
  }
}

/** Host memory that oneDNN objects point into, kept alive for the process. */
const retained: Uint8Array[] = [];

function step(primitive: Deno.PointerValue, args: [number, Deno.PointerValue][]): Step {
  const bytes = new Uint8Array(16 * args.length);
  const view = new DataView(bytes.buffer);
  args.forEach(([arg, memory], i) => {
    view.setInt32(16 * i, arg, true);
    view.setBigUint64(16 * i + 8, BigInt(Deno.UnsafePointer.value(memory)), true);
  });
  return { primitive, args: bytes, count: args.length };
}

function implementationName(lib: DnnlLibrary, pd: Deno.PointerValue): string {
  const cell = new BigUint64Array(1);
  const status = lib.symbols.dnnl_primitive_desc_query(
    pd,
    DNNL.queryImplInfoStr,
    0,
    new Uint8Array(cell.buffer),
  );
  const ptr = outPointer(cell);
  return status === DNNL.success && ptr !== null ? Deno.UnsafePointerView.getCString(ptr) : "?";
}

/** The padding after the input on one axis that makes oneDNN's size rule give tfjs's output. */
function padAfter(g: ConvGeometry, axis: "height" | "width"): number {
  const [inSize, outSize, kernel, stride, before] = axis === "height"
    ? [g.inHeight, g.outHeight, g.filterHeight, g.strideHeight, g.padTop]
    : [g.inWidth, g.outWidth, g.filterWidth, g.strideWidth, g.padLeft];
  return Math.max(0, (outSize - 1) * stride + kernel - inSize - before);
}

/**
 * A string naming a geometry, the cache key of its primitives.
 *
 * @example
 * ```ts
 * import { geometryKey } from "./convolution.ts";
 * import { convGeometry } from "../wasm_kernels/_geometry.ts";
 * const g = convGeometry([1, 32, 32, 1], [4, 4, 1, 64], { strides: 2, pad: "same" });
 * if (geometryKey(g) !== "1x32x32x1>16x16x64k4x4s2x2p1x1") throw new Error(geometryKey(g));
 * ```
 */
export function geometryKey(g: ConvGeometry): string {
  return `${g.batch}x${g.inHeight}x${g.inWidth}x${g.inChannels}` +
    `>${g.outHeight}x${g.outWidth}x${g.outChannels}` +
    `k${g.filterHeight}x${g.filterWidth}s${g.strideHeight}x${g.strideWidth}` +
    `p${g.padTop}x${g.padLeft}`;
}

let primitives: ConvPrimitives | null = null;

/**
 * The process's oneDNN engine, stream and primitive cache; loads the library on first use and
 * throws its `DnnlError` when it cannot.
 */
export function convPrimitives(): ConvPrimitives {
  return primitives ??= new ConvPrimitives();
}

/**
 * What the cache holds: how many convolutions were planned, and the implementations oneDNN chose.
 *
 * @example
 * ```ts
 * import { primitiveCacheSummary } from "./convolution.ts";
 * const { count, implementations } = primitiveCacheSummary();
 * console.log(count, implementations); // e.g. 9 [ "brgconv:avx512_core", "jit:avx512_core" ]
 * ```
 */
export function primitiveCacheSummary(): { count: number; implementations: string[] } {
  const p = primitives;
  if (p === null) return { count: 0, implementations: [] };
  const names = new Set([...p.cache.values()].map((x) => x.implementation));
  return { count: p.cache.size, implementations: [...names].sort() };
}
