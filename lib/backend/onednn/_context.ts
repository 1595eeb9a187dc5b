/**
 * One oneDNN CPU engine and stream per process, and the small steps every primitive here is built
 * from: memory descriptors and objects, primitive descriptors, primitives, reorders, and plans that
 * run a list of primitives on the caller's pointers.
 *
 * @module
 */

import {
  check,
  dims,
  DNNL,
  type DnnlLibrary,
  loadDnnl,
  MEMORY_DESC_BYTES,
  outPointer,
} from "./_ffi.ts";

/** One primitive execution: the primitive and its `dnnl_exec_arg_t[]`. */
export interface Step {
  primitive: Deno.PointerValue;
  /** { int arg; dnnl_memory_t memory } per argument, 16 bytes each. */
  args: Uint8Array;
  count: number;
}

/** A computation ready to run: the memories whose data handles the caller sets, then steps. */
export interface Plan {
  /** The caller's memories, in the order {@link DnnlContext.run} takes pointers. */
  user: Deno.PointerValue[];
  steps: Step[];
  /** oneDNN's name of the main primitive's implementation (e.g. `brgconv:avx512_core`). */
  implementation: string;
}

/** The engine, the stream and helpers to build plans. */
export class DnnlContext {
  readonly lib: DnnlLibrary;
  readonly engine: Deno.PointerValue;
  readonly stream: Deno.PointerValue;
  readonly #cell = new BigUint64Array(1);
  /** Host memory that oneDNN objects point into, kept alive for the process. */
  readonly #retained: Uint8Array[] = [];

  constructor() {
    this.lib = loadDnnl();
    check(this.lib.symbols.dnnl_engine_create(this.#cell, DNNL.cpu, 0n), "dnnl_engine_create");
    this.engine = this.#out();
    check(
      this.lib.symbols.dnnl_stream_create(this.#cell, this.engine, DNNL.streamDefaultFlags),
      "dnnl_stream_create",
    );
    this.stream = this.#out();
  }

  #out(): Deno.PointerValue {
    return outPointer(this.#cell);
  }

  /** A float32 memory descriptor of `shape` (oneDNN's logical order) in layout `tag`. */
  md(shape: number[], tag: number): Uint8Array<ArrayBuffer> {
    const desc = new Uint8Array(MEMORY_DESC_BYTES);
    check(
      this.lib.symbols.dnnl_memory_desc_init_by_tag(desc, shape.length, dims(shape), DNNL.f32, tag),
      "dnnl_memory_desc_init_by_tag",
    );
    this.#retained.push(desc);
    return desc;
  }

  /** A memory object of layout `desc` over `handle` (null: set per call; MEMORY_ALLOCATE: own). */
  memory(
    desc: Uint8Array<ArrayBuffer> | Deno.PointerValue,
    handle: Deno.PointerValue,
  ): Deno.PointerValue {
    const ptr = desc instanceof Uint8Array ? Deno.UnsafePointer.of(desc) : desc;
    check(
      this.lib.symbols.dnnl_memory_create(this.#cell, ptr, this.engine, handle),
      "dnnl_memory_create",
    );
    return this.#out();
  }

  /** A primitive descriptor from an op descriptor (and the forward one, for backward ops). */
  primitiveDesc(
    opDesc: Uint8Array<ArrayBuffer>,
    hint: Deno.PointerValue,
    what: string,
  ): Deno.PointerValue {
    check(
      this.lib.symbols.dnnl_primitive_desc_create(this.#cell, opDesc, null, this.engine, hint),
      `dnnl_primitive_desc_create ${what}`,
    );
    this.#retained.push(opDesc);
    return this.#out();
  }

  /** The primitive of a primitive descriptor. */
  primitive(pd: Deno.PointerValue, what: string): Deno.PointerValue {
    check(this.lib.symbols.dnnl_primitive_create(this.#cell, pd), `dnnl_primitive_create ${what}`);
    return this.#out();
  }

  /** A reorder step from memory `from` (layout `fromDesc`) to `to` (layout `toDesc`). */
  reorder(
    fromDesc: Deno.PointerValue,
    from: Deno.PointerValue,
    toDesc: Deno.PointerValue,
    to: Deno.PointerValue,
  ): Step {
    const s = this.lib.symbols;
    check(
      s.dnnl_reorder_primitive_desc_create(
        this.#cell,
        fromDesc,
        this.engine,
        toDesc,
        this.engine,
        null,
      ),
      "dnnl_reorder_primitive_desc_create",
    );
    const pd = this.#out();
    const primitive = this.primitive(pd, "reorder");
    s.dnnl_primitive_desc_destroy(pd);
    return step(primitive, [[DNNL.argSrc, from], [DNNL.argDst, to]]);
  }

  /** oneDNN's name of the implementation a primitive descriptor chose. */
  implementation(pd: Deno.PointerValue): string {
    const cell = new BigUint64Array(1);
    const status = this.lib.symbols.dnnl_primitive_desc_query(
      pd,
      DNNL.queryImplInfoStr,
      0,
      new Uint8Array(cell.buffer),
    );
    const ptr = outPointer(cell);
    return status === DNNL.success && ptr !== null ? Deno.UnsafePointerView.getCString(ptr) : "?";
  }

  /** Runs a plan on the caller's pointers (in `plan.user`'s order); synchronous. */
  run(plan: Plan, pointers: Deno.PointerValue[], what: string): void {
    const s = this.lib.symbols;
    for (let i = 0; i < pointers.length; i++) {
      check(
        s.dnnl_memory_set_data_handle(plan.user[i], pointers[i]),
        "dnnl_memory_set_data_handle",
      );
    }
    for (let i = 0; i < plan.steps.length; i++) {
      const st = plan.steps[i];
      const status = s.dnnl_primitive_execute(st.primitive, this.stream, st.count, st.args);
      if (status !== DNNL.success) check(status, `${what}, step ${i + 1} of ${plan.steps.length}`);
    }
    check(s.dnnl_stream_wait(this.stream), "dnnl_stream_wait");
  }
}

/** One primitive execution with its arguments. */
export function step(primitive: Deno.PointerValue, args: [number, Deno.PointerValue][]): Step {
  const bytes = new Uint8Array(16 * args.length);
  const view = new DataView(bytes.buffer);
  args.forEach(([arg, memory], i) => {
    view.setInt32(16 * i, arg, true);
    view.setBigUint64(16 * i + 8, BigInt(Deno.UnsafePointer.value(memory)), true);
  });
  return { primitive, args: bytes, count: args.length };
}

let context: DnnlContext | null = null;

/** The process's oneDNN context; loads the library on first use and throws its `DnnlError`. */
export function dnnlContext(): DnnlContext {
  return context ??= new DnnlContext();
}

/** Plans by key, made on first use: creating a primitive costs milliseconds, running it microseconds. */
export class PlanCache {
  readonly plans = new Map<string, Plan>();

  /** The plan for `key`, made by `make` on first use. */
  get(key: string, make: () => Plan): Plan {
    let plan = this.plans.get(key);
    if (plan === undefined) {
      plan = make();
      this.plans.set(key, plan);
    }
    return plan;
  }
}
