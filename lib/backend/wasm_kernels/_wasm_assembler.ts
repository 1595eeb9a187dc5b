/**
 * A minimal WebAssembly assembler for the SIMD loops of `_simd.ts`: LEB128 numbers, the opcodes
 * the loops use, a counted loop, a while loop, a multiply-add (fused or not) and a module with
 * one imported memory. Each generator (`_simd_*.ts`, beside the kernel that calls it) returns a
 * {@link WasmFunction}; {@link wasmModule} puts them into one module.
 *
 * @module
 */

/** WebAssembly bytes, as a plain array while they are put together. */
export type Bytes = number[];

/** One function of the module: its i32 parameters, its locals as [count, type], its code. */
export interface WasmFunction {
  /** Number of parameters, all i32. */
  params: number;
  /** Local declarations after the parameters: [count, value type]. */
  locals: Bytes[];
  /** The instructions, without the final `end`. */
  body: Bytes;
}

/**
 * Unsigned LEB128.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { uleb } from "./_wasm_assembler.ts";
 * assertEquals(uleb(624485), [0xe5, 0x8e, 0x26]);
 * ```
 */
export function uleb(n: number): Bytes {
  const out: Bytes = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/**
 * Signed LEB128.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { sleb } from "./_wasm_assembler.ts";
 * assertEquals(sleb(-16), [0x70]);
 * ```
 */
export function sleb(n: number): Bytes {
  const out: Bytes = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const section = (id: number, body: Bytes): Bytes => [id, ...uleb(body.length), ...body];
const vec = (items: Bytes[]): Bytes => [...uleb(items.length), ...items.flat()];

/** Value types. */
export const I32 = 0x7f, V128 = 0x7b;

/** local.get of local i. */
export const get = (i: number): Bytes => [0x20, ...uleb(i)];
/** local.set of local i. */
export const set = (i: number): Bytes => [0x21, ...uleb(i)];
/** local.tee of local i. */
export const tee = (i: number): Bytes => [0x22, ...uleb(i)];
/** i32.const v. */
export const i32 = (v: number): Bytes => [0x41, ...sleb(v)];
/** i32 arithmetic; SHL2 multiplies by 4 (floats to bytes). */
export const ADD = [0x6a], SUB = [0x6b], MUL = [0x6c], SHL2 = [0x41, 2, 0x74], AND = [0x71];
/** i32 comparisons. */
export const LT_S = [0x48], GE_S = [0x4e], LT_U = [0x49], GT_S = [0x4a], LE_S = [0x4c];
/** f32 memory access (align 4, offset 0) and arithmetic. */
export const F32_LOAD = [0x2a, 2, 0], F32_STORE = [0x38, 2, 0], F32_ADD = [0x92];
/** f32 arithmetic. */
export const F32_SUB = [0x93], F32_MUL = [0x94], F32_DIV = [0x95], F32_SQRT = [0x91];
/** f32.const 0. */
export const F32_ZERO = [0x43, 0, 0, 0, 0];
/** v128.load at a byte offset. */
export const V_LOAD = (offset = 0): Bytes => [0xfd, 0x00, 0, ...uleb(offset)];
/** v128.store at a byte offset. */
export const V_STORE = (offset = 0): Bytes => [0xfd, 0x0b, 0, ...uleb(offset)];
/** v128.load32_splat. */
export const V_SPLAT_LOAD = [0xfd, 0x09, 0, 0];
/** v128.const 0. */
export const V_ZERO = [0xfd, 0x0c, ...new Array(16).fill(0)];
/** f32x4 arithmetic. */
export const F4_ADD = [0xfd, 0xe4, 0x01], F4_MUL = [0xfd, 0xe6, 0x01];
/** f32x4 arithmetic. */
export const F4_SUB = [0xfd, 0xe5, 0x01], F4_DIV = [0xfd, 0xe7, 0x01], F4_SQRT = [0xfd, 0xe3, 0x01];
/** f32x4.extract_lane l. */
export const lane = (l: number): Bytes => [0xfd, 0x1f, l];
/** Structured control. */
export const BLOCK = [0x02, 0x40], LOOP = [0x03, 0x40], IF = [0x04, 0x40], ELSE = [0x05];
/** end of a block, loop, if or function. */
export const END = [0x0b];
/** br_if depth. */
export const brIf = (depth: number): Bytes => [0x0d, depth];

/** for (c = from; c < limit; c += step) body — `limit` is a list of instructions. */
export function loop(c: number, from: Bytes, limit: Bytes, step: number, body: Bytes): Bytes {
  return [
    ...from,
    ...set(c),
    ...BLOCK,
    ...get(c),
    ...limit,
    ...GE_S,
    ...brIf(0),
    ...LOOP,
    ...body,
    ...get(c),
    ...i32(step),
    ...ADD,
    ...tee(c),
    ...limit,
    ...LT_S,
    ...brIf(0),
    ...END,
    ...END,
  ];
}

/**
 * Zeroes `size` bytes (an i32 expression, a multiple of 4) from the address in local `ptr`: a
 * vector at a time, then the last floats one at a time. Uses locals `c`, `end` and `end16`.
 */
export const zeroFloats = (
  ptr: number,
  size: Bytes,
  c: number,
  end: number,
  end16: number,
): Bytes => [
  ...size,
  ...tee(end),
  ...i32(-16),
  ...AND,
  ...set(end16),
  ...loop(c, i32(0), get(end16), 16, [...get(ptr), ...get(c), ...ADD, ...V_ZERO, ...V_STORE()]),
  ...loop(c, get(c), get(end), 4, [...get(ptr), ...get(c), ...ADD, ...F32_ZERO, ...F32_STORE]),
];

/** while (!exit) { body } as block/loop; `exit` is an i32 test that ends the loop when true. */
export const whileNot = (exit: Bytes, body: Bytes): Bytes => [
  ...BLOCK,
  ...LOOP,
  ...exit,
  ...brIf(1),
  ...body,
  ...[0x0c, 0], // br 0: next iteration
  ...END,
  ...END,
];

/**
 * acc += x·y on f32x4 locals: one `f32x4.relaxed_madd` (one rounding) when `fused`, else a
 * multiply then an add. The binding tries the fused module first and falls back without.
 */
export const multiplyAdd = (fused: boolean) => (acc: number, x: Bytes, y: Bytes): Bytes =>
  fused
    ? [...x, ...y, ...get(acc), 0xfd, 0x85, 0x02, ...set(acc)] // f32x4.relaxed_madd
    : [...get(acc), ...x, ...y, ...F4_MUL, ...F4_ADD, ...set(acc)];

/**
 * A module that imports `env.memory` (shared, maximum 65536 pages, when `shared`, as tfjs's
 * threaded wasm build has it) and exports the functions under their names, in order.
 *
 * @example
 * ```ts
 * import { ADD, get, I32, set, wasmModule } from "./_wasm_assembler.ts";
 * // (a, b) => { c = a + b } (the loops return nothing; they write memory)
 * const add = { params: 2, locals: [[1, I32]], body: [...get(0), ...get(1), ...ADD, ...set(2)] };
 * const bytes = wasmModule([{ name: "add", ...add }], false);
 * if (!WebAssembly.validate(bytes)) throw new Error("invalid module");
 * ```
 */
export function wasmModule(
  functions: (WasmFunction & { name: string })[],
  shared: boolean,
): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [0x60, ...vec(new Array(f.params).fill([I32])), 0]);
  const memoryLimits = shared ? [0x03, 0, ...uleb(65536)] : [0x00, 0];
  const name = (
    text: string,
  ): Bytes => [...uleb(text.length), ...[...text].map((c) => c.charCodeAt(0))];
  const imports = vec([[...name("env"), ...name("memory"), 0x02, ...memoryLimits]]);
  const exports = vec(functions.map((f, index) => [
    ...name(f.name),
    0x00,
    ...uleb(index),
  ]));
  const codes = vec(functions.map((f) => {
    const fn = [...vec(f.locals.map(([count, type]) => [...uleb(count), type])), ...f.body, ...END];
    return [...uleb(fn.length), ...fn];
  }));
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(types)),
    ...section(2, imports),
    ...section(3, vec(functions.map((_, index) => uleb(index)))),
    ...section(7, exports),
    ...section(10, codes),
  ]);
}
