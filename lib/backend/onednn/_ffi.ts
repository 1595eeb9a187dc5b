/**
 * The part of oneDNN's C API (v2.x, Debian's `libdnnl2`) that edegan calls, bound with
 * `Deno.dlopen`, and the loading of the library with a clear error when it is missing.
 *
 * The constants below are the values of `dnnl_types.h` of oneDNN 2.6 (`libdnnl-dev`); the struct
 * sizes are those of that version (`dnnl_memory_desc_t` 696 bytes, `dnnl_convolution_desc_t` 5976),
 * rounded up, since the C API takes these descriptors by pointer and fills them itself.
 *
 * @module
 */

/** oneDNN's constants used here (`dnnl_types.h`, oneDNN 2.6). */
export const DNNL = {
  success: 0,
  f32: 3,
  /** `dnnl_nhwc` (= `acdb`): tfjs's activation layout; oneDNN's logical dims are N, C, H, W. */
  nhwc: 20,
  /** `dnnl_hwio` (= `cdba`): tfjs's filter layout; oneDNN's logical dims are O, I, H, W. */
  hwio: 30,
  forwardTraining: 64,
  backwardData: 160,
  backwardWeights: 192,
  convolutionDirect: 1,
  cpu: 1,
  streamDefaultFlags: 1,
  argSrc: 1,
  argDst: 17,
  argWeights: 33,
  argDiffSrc: 129,
  argDiffDst: 145,
  argDiffWeights: 161,
  queryImplInfoStr: 8,
  querySrcMd: 129,
  queryDiffSrcMd: 130,
  queryWeightsMd: 131,
  queryDiffWeightsMd: 132,
  queryDstMd: 133,
  queryDiffDstMd: 134,
  /** `dnnl_format_tag_any`: let the primitive choose (a blocked layout for weights). */
  any: 1,
  /** `dnnl_a`: a plain vector. */
  vector: 2,
  backward: 128,
  argMean: 49,
  argVariance: 50,
  argScale: 51,
  argShift: 52,
  argDiffScale: 255,
  argDiffShift: 256,
  /** Batch normalisation flags: `dnnl_use_scale`, `dnnl_use_shift`. */
  useScale: 8,
  useShift: 16,
  /** `dnnl_eltwise_relu` (alpha: the negative slope) and its variant whose gradient reads y. */
  eltwiseRelu: 31,
  eltwiseReluUseDst: 256,
} as const;

/** `DNNL_MEMORY_ALLOCATE`: the library allocates the memory object's buffer itself. */
export const MEMORY_ALLOCATE = Deno.UnsafePointer.create(0xffffffffffffffffn);

/** Bytes reserved for a `dnnl_memory_desc_t` (696 in oneDNN 2.6). */
export const MEMORY_DESC_BYTES = 1024;
/** Bytes reserved for a `dnnl_convolution_desc_t` (5976 in oneDNN 2.6). */
export const OP_DESC_BYTES = 8192;
/** `dnnl_dims_t`: 12 int64 values. */
export const DIMS_BYTES = 12 * 8;

const STATUS_NAMES = [
  "success",
  "out of memory",
  "invalid arguments",
  "unimplemented",
  "iterator ends",
  "runtime error",
  "not required",
];

const symbols = {
  dnnl_version: { parameters: [], result: "pointer" },
  dnnl_get_effective_cpu_isa: { parameters: [], result: "i32" },
  dnnl_cpu_isa2str: { parameters: ["i32"], result: "pointer" },
  dnnl_engine_create: { parameters: ["buffer", "i32", "usize"], result: "i32" },
  dnnl_stream_create: { parameters: ["buffer", "pointer", "u32"], result: "i32" },
  dnnl_stream_wait: { parameters: ["pointer"], result: "i32" },
  dnnl_memory_desc_init_by_tag: {
    parameters: ["buffer", "i32", "buffer", "i32", "i32"],
    result: "i32",
  },
  dnnl_memory_create: { parameters: ["buffer", "pointer", "pointer", "pointer"], result: "i32" },
  dnnl_memory_set_data_handle: { parameters: ["pointer", "pointer"], result: "i32" },
  dnnl_memory_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_convolution_forward_desc_init: {
    parameters: [
      "buffer",
      "i32",
      "i32",
      "buffer",
      "buffer",
      "pointer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
  dnnl_convolution_backward_data_desc_init: {
    parameters: ["buffer", "i32", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  dnnl_convolution_backward_weights_desc_init: {
    parameters: [
      "buffer",
      "i32",
      "buffer",
      "buffer",
      "pointer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
  dnnl_batch_normalization_forward_desc_init: {
    parameters: ["buffer", "i32", "buffer", "f32", "u32"],
    result: "i32",
  },
  dnnl_batch_normalization_backward_desc_init: {
    parameters: ["buffer", "i32", "buffer", "buffer", "f32", "u32"],
    result: "i32",
  },
  dnnl_eltwise_forward_desc_init: {
    parameters: ["buffer", "i32", "i32", "buffer", "f32", "f32"],
    result: "i32",
  },
  dnnl_eltwise_backward_desc_init: {
    parameters: ["buffer", "i32", "buffer", "buffer", "f32", "f32"],
    result: "i32",
  },
  dnnl_primitive_desc_create: {
    parameters: ["buffer", "buffer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  dnnl_primitive_desc_query: {
    parameters: ["pointer", "i32", "i32", "buffer"],
    result: "i32",
  },
  dnnl_primitive_desc_query_md: { parameters: ["pointer", "i32", "i32"], result: "pointer" },
  dnnl_memory_desc_equal: { parameters: ["pointer", "pointer"], result: "i32" },
  dnnl_memory_desc_get_size: { parameters: ["pointer"], result: "usize" },
  dnnl_reorder_primitive_desc_create: {
    parameters: ["buffer", "pointer", "pointer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  dnnl_primitive_desc_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_create: { parameters: ["buffer", "pointer"], result: "i32" },
  dnnl_primitive_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_execute: {
    parameters: ["pointer", "pointer", "i32", "buffer"],
    result: "i32",
  },
} as const satisfies Deno.ForeignLibraryInterface;

/** The bound library. */
export type DnnlSymbols = Deno.DynamicLibrary<typeof symbols>["symbols"];

/**
 * Where {@link loadDnnl} looks for the library, in order; only `EDEGAN_DNNL_LIBRARY` when it is set.
 *
 * @example
 * ```ts
 * import { dnnlLibraryCandidates } from "./_ffi.ts";
 * if (Deno.env.get("EDEGAN_DNNL_LIBRARY") === undefined && dnnlLibraryCandidates()[0] !== "libdnnl.so.2") {
 *   throw new Error();
 * }
 * ```
 */
export function dnnlLibraryCandidates(): string[] {
  const env = Deno.env.get("EDEGAN_DNNL_LIBRARY");
  if (env) return [env];
  return [
    "libdnnl.so.2",
    "/usr/lib/x86_64-linux-gnu/libdnnl.so.2",
    "/usr/lib/aarch64-linux-gnu/libdnnl.so.2",
    "/usr/local/lib/libdnnl.so.2",
  ];
}

/** The error thrown when oneDNN cannot be loaded or a call into it fails. */
export class DnnlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DnnlError";
  }
}

/** A loaded oneDNN: its symbols, version and the path it came from. */
export interface DnnlLibrary {
  symbols: DnnlSymbols;
  version: string;
  path: string;
  /** oneDNN's CPU threading runtime: `omp`, `tbb`, `seq` or `threadpool`. */
  runtime: string;
  /**
   * The instruction set oneDNN's kernels use here, in its own words (`avx2`, `avx512_core`, ...:
   * `dnnl_get_effective_cpu_isa`): the CPU's best, or less where `ONEDNN_MAX_CPU_ISA` caps it.
   * Results come back bit for bit only where this agrees (results/README.md, "Which results come
   * back").
   */
  isa: string;
  /** The environment's cap on {@link isa} (`ONEDNN_MAX_CPU_ISA=AVX2`), where one is set. */
  cap?: string;
}

let loaded: DnnlLibrary | null = null;

/**
 * The values oneDNN reads from `ONEDNN_MAX_CPU_ISA` (or `DNNL_MAX_CPU_ISA`), any case: 2.6's and
 * the later 2.x releases' (a release that does not know a name ignores it, and the backend's
 * description then names the set its kernels use all the same).
 */
export const MAX_CPU_ISA_VALUES = [
  "ALL",
  "SSE41",
  "AVX",
  "AVX2",
  "AVX2_VNNI",
  "AVX512_MIC",
  "AVX512_MIC_4OPS",
  "AVX512_CORE",
  "AVX512_CORE_VNNI",
  "AVX512_CORE_BF16",
  "AVX512_CORE_AMX",
  "AVX2_VNNI_2",
  "AVX512_CORE_FP16",
  "AVX512_CORE_AMX_FP16",
] as const;

/**
 * The cap on oneDNN's instruction set that the environment sets (`ONEDNN_MAX_CPU_ISA`, else the
 * older `DNNL_MAX_CPU_ISA`), as `NAME=VALUE`; undefined when neither is set. oneDNN ignores a value
 * it does not know without a word, so such a value is refused here, naming the variable.
 *
 * @throws {DnnlError} naming the variable, its value and the values oneDNN accepts.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { maxCpuIsaCap } from "./_ffi.ts";
 * assertEquals(maxCpuIsaCap({ ONEDNN_MAX_CPU_ISA: "avx2" }), "ONEDNN_MAX_CPU_ISA=avx2");
 * assertEquals(maxCpuIsaCap({}), undefined);
 * assertThrows(() => maxCpuIsaCap({ DNNL_MAX_CPU_ISA: "avx3" }), Error, "DNNL_MAX_CPU_ISA");
 * ```
 */
export function maxCpuIsaCap(env: Record<string, string | undefined>): string | undefined {
  for (const name of ["ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA"]) {
    const value = env[name];
    if (value === undefined) continue;
    if (!(MAX_CPU_ISA_VALUES as readonly string[]).includes(value.toUpperCase())) {
      throw new DnnlError(
        `${name}=${value} is not an instruction set oneDNN knows (it would ignore it); expected ` +
          `one of ${MAX_CPU_ISA_VALUES.join(", ")}`,
      );
    }
    return `${name}=${value}`;
  }
  return undefined;
}

/**
 * Opens `libdnnl.so.2` (once per process) and checks it is oneDNN 2.x, whose C API this module
 * binds. Throws a {@link DnnlError} naming every path tried and the fix (`apt-get install
 * libdnnl2`) when none loads, or naming the version found when it is not 2.x.
 *
 * @example
 * ```ts
 * import { loadDnnl } from "./_ffi.ts";
 * try {
 *   console.log(loadDnnl().version); // e.g. 2.6.3
 * } catch (error) {
 *   console.log((error as Error).message); // names the paths tried and `apt-get install libdnnl2`
 * }
 * ```
 */
export function loadDnnl(): DnnlLibrary {
  if (loaded !== null) return loaded;
  // OpenMP threads that spin while they wait for work take the cores from everything else: the
  // wasm kernels between two oneDNN calls, other jobs on the machine (a sweep's other shard). With
  // the machine shared, spinning made training 3x slower than one thread; sleeping waiters (set
  // before libgomp loads; a user's own setting wins) cost a little latency when it is quiet.
  if (Deno.env.get("OMP_WAIT_POLICY") === undefined) Deno.env.set("OMP_WAIT_POLICY", "PASSIVE");
  const cap = maxCpuIsaCap(Deno.env.toObject());
  const failures: string[] = [];
  for (const path of dnnlLibraryCandidates()) {
    let lib: Deno.DynamicLibrary<typeof symbols>;
    try {
      lib = Deno.dlopen(path, symbols);
    } catch (error) {
      failures.push(`${path}: ${(error as Error).message.split("\n")[0]}`);
      continue;
    }
    const view = new Deno.UnsafePointerView(lib.symbols.dnnl_version()!);
    const [major, minor, patch] = [view.getInt32(0), view.getInt32(4), view.getInt32(8)];
    // dnnl_version_t: int major, minor, patch; const char *hash; unsigned cpu_runtime, gpu_runtime
    const runtimeCode = view.getUint32(24);
    const version = `${major}.${minor}.${patch}`;
    if (major !== 2) {
      lib.close();
      failures.push(`${path}: oneDNN ${version}, but edegan binds the oneDNN 2.x C API`);
      continue;
    }
    const runtime = { 0: "none", 1: "seq", 2: "omp", 4: "tbb", 8: "threadpool" }[runtimeCode] ??
      `code ${runtimeCode}`;
    const isaName = lib.symbols.dnnl_cpu_isa2str(lib.symbols.dnnl_get_effective_cpu_isa());
    const isa = isaName === null
      ? "unknown"
      : new Deno.UnsafePointerView(isaName).getCString().replace(/^cpu_isa_/, "");
    loaded = { symbols: lib.symbols, version, path, runtime, isa, ...(cap ? { cap } : {}) };
    return loaded;
  }
  throw new DnnlError(
    `oneDNN (libdnnl.so.2) could not be loaded; on Debian/Ubuntu: apt-get install libdnnl2 ` +
      `(or set EDEGAN_DNNL_LIBRARY to its path). Tried:\n  ${failures.join("\n  ")}`,
  );
}

/** Throws a {@link DnnlError} naming the call and oneDNN's status when `status` is not success. */
export function check(status: number, call: string): void {
  if (status !== DNNL.success) {
    throw new DnnlError(`${call} failed: ${STATUS_NAMES[status] ?? `status ${status}`}`);
  }
}

/** Reads the pointer a C call wrote into an 8-byte out-parameter. */
export function outPointer(cell: BigUint64Array): Deno.PointerValue {
  return Deno.UnsafePointer.create(cell[0]);
}

/** A `dnnl_dims_t` holding `values`. */
export function dims(values: number[]): BigInt64Array {
  const out = new BigInt64Array(12);
  values.forEach((v, i) => out[i] = BigInt(v));
  return out;
}
