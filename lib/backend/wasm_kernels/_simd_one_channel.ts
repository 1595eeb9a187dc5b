/**
 * Generator of the SIMD `oneChannel` loop that `conv2d_backprop_input.ts` calls.
 *
 * @module
 */

import {
  ADD,
  AND,
  BLOCK,
  brIf,
  type Bytes,
  ELSE,
  END,
  F32_ADD,
  F32_LOAD,
  F32_STORE,
  F4_ADD,
  GE_S,
  get,
  GT_S,
  I32,
  i32,
  IF,
  lane,
  LE_S,
  LOOP,
  loop,
  LT_S,
  LT_U,
  MUL,
  multiplyAdd,
  set,
  SHL2,
  SUB,
  tee,
  uleb,
  V128,
  V_LOAD,
  V_STORE,
  V_ZERO,
  type WasmFunction,
  zeroFloats,
} from "./_wasm_assembler.ts";

/**
 * The input gradient of a convolution with one input channel and kw % 4 = 0, Co % 4 = 0, added
 * straight into dx (zeroed here first): for each dy position, four taps (a, b..b+3) at a time are
 * the dot products of dy[n, i, j, :] with four filter rows f[a, b..b+3, 0, :] (filter as stored,
 * no transpose; dy loaded once for the four), reduced across lanes into one vector by shuffles
 * and added to the four adjacent pixels dx[n, i·sh + a - pt, j·sw + b - pl ..] with one vector
 * load-add-store (lane by lane at the image edges). No columns, no col2im, no temporary.
 * Parameters (dy, filter, dx, batch, outHeight, outWidth, height, width, filterHeight,
 * filterWidth, strideHeight, strideWidth, padTop, padLeft, channels), as
 * `conv2d_backprop_input.ts` calls it for one input channel.
 *
 * @example
 * ```ts
 * import { wasmModule } from "./_wasm_assembler.ts";
 * import { oneChannelFunction } from "./_simd_one_channel.ts";
 * const bytes = wasmModule([{ name: "f", ...oneChannelFunction(true) }], false);
 * if (!WebAssembly.validate(bytes)) throw new Error("invalid module");
 * ```
 */
export function oneChannelFunction(fused: boolean): WasmFunction {
  const madd = multiplyAdd(fused);
  const [dy, f, dx, batch, outHeight, outWidth, height, width] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [filterHeight, filterWidth, strideHeight, strideWidth, padTop, padLeft, channels] = [
    8,
    9,
    10,
    11,
    12,
    13,
    14,
  ];
  const [n, i, j, a, b, y, x, pd, pf, c, co4, base, end, end16] = [
    15,
    16,
    17,
    18,
    19,
    20,
    21,
    22,
    23,
    24,
    25,
    26,
    27,
    28,
  ];
  const pfq = (q: number): number => (q === 0 ? pf : 28 + q); // pf1..pf3: 29..31
  const acc = (r: number, q: number): number => 32 + 4 * r + q; // v128, two positions
  const [dv0, dv1, fv] = [40, 41, 42];
  const shuffle = (lanes: number[]): Bytes => [
    0xfd,
    0x0d,
    ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]),
  ];
  const pairSum = (p: number, q: number, lo: number[], hi: number[]): Bytes => [
    ...get(p),
    ...get(q),
    ...shuffle(lo),
    ...get(p),
    ...get(q),
    ...shuffle(hi),
    ...F4_ADD,
  ];
  // The four lane sums of acc(r, 0..3) as one vector, left in acc(r, 0).
  const reduce = (r: number): Bytes => [
    ...pairSum(acc(r, 0), acc(r, 1), [0, 4, 1, 5], [2, 6, 3, 7]),
    ...set(acc(r, 0)),
    ...pairSum(acc(r, 2), acc(r, 3), [0, 4, 1, 5], [2, 6, 3, 7]),
    ...set(acc(r, 1)),
    ...pairSum(acc(r, 0), acc(r, 1), [0, 1, 4, 5], [2, 3, 6, 7]),
    ...set(acc(r, 0)),
  ];
  // dx[n, y, x + r·sw ..+3] += acc(r, 0), lane by lane where a column is outside the image.
  const scatter = (r: number): Bytes => [
    ...get(x),
    ...(r === 0 ? [] : [...get(strideWidth), ...ADD, ...tee(x)]),
    ...get(n),
    ...get(height),
    ...MUL,
    ...get(y),
    ...ADD,
    ...get(width),
    ...MUL,
    ...ADD,
    ...SHL2,
    ...get(dx),
    ...ADD,
    ...set(base),
    ...get(x),
    ...i32(0),
    ...GE_S,
    ...get(x),
    ...i32(4),
    ...ADD,
    ...get(width),
    ...LE_S,
    ...AND,
    ...IF,
    ...get(base),
    ...get(base),
    ...V_LOAD(),
    ...get(acc(r, 0)),
    ...F4_ADD,
    ...V_STORE(),
    ...ELSE,
    ...[0, 1, 2, 3].flatMap((q) => [
      ...get(x),
      ...i32(q),
      ...ADD,
      ...get(width),
      ...LT_U, // unsigned: a negative column is out of range too
      ...IF,
      ...get(base),
      ...get(base),
      ...F32_LOAD.slice(0, 2),
      ...uleb(4 * q),
      ...get(acc(r, 0)),
      ...lane(q),
      ...F32_ADD,
      ...F32_STORE.slice(0, 2),
      ...uleb(4 * q),
      ...END,
    ]),
    ...END,
  ];
  // Taps (a, b..b+3) of R positions (j, j+1 of one dy row), added into dx row y.
  const fourTaps = (R: number): Bytes => [
    ...Array.from({ length: 4 * R }, (_, v) => [...V_ZERO, ...set(acc(v >> 2, v & 3))]).flat(),
    // pf = f + (a·kw + b)·co4; pf1..pf3 the next three filter rows
    ...get(a),
    ...get(filterWidth),
    ...MUL,
    ...get(b),
    ...ADD,
    ...get(co4),
    ...MUL,
    ...get(f),
    ...ADD,
    ...set(pf),
    ...[1, 2, 3].flatMap((q) => [...get(pfq(q - 1)), ...get(co4), ...ADD, ...set(pfq(q))]),
    ...loop(c, i32(0), get(co4), 16, [
      ...get(pd),
      ...get(c),
      ...ADD,
      ...tee(base),
      ...V_LOAD(),
      ...set(dv0),
      ...(R === 2 ? [...get(base), ...get(co4), ...ADD, ...V_LOAD(), ...set(dv1)] : []),
      ...[0, 1, 2, 3].flatMap((q) => [
        ...get(pfq(q)),
        ...get(c),
        ...ADD,
        ...V_LOAD(),
        ...set(fv),
        ...madd(acc(0, q), get(fv), get(dv0)),
        ...(R === 2 ? madd(acc(1, q), get(fv), get(dv1)) : []),
      ]),
    ]),
    ...reduce(0),
    ...(R === 2 ? reduce(1) : []),
    ...get(j),
    ...get(strideWidth),
    ...MUL,
    ...get(b),
    ...ADD,
    ...get(padLeft),
    ...SUB,
    ...set(x),
    ...scatter(0),
    ...(R === 2 ? scatter(1) : []),
  ];
  // R positions from (n, i, j): every kernel row that lands inside dx.
  const positions = (R: number): Bytes => [
    // pd = dy + ((n·Ho + i)·Wo + j)·co4
    ...get(n),
    ...get(outHeight),
    ...MUL,
    ...get(i),
    ...ADD,
    ...get(outWidth),
    ...MUL,
    ...get(j),
    ...ADD,
    ...get(co4),
    ...MUL,
    ...get(dy),
    ...ADD,
    ...set(pd),
    ...loop(a, i32(0), get(filterHeight), 1, [
      ...get(i),
      ...get(strideHeight),
      ...MUL,
      ...get(a),
      ...ADD,
      ...get(padTop),
      ...SUB,
      ...tee(y),
      ...get(height),
      ...LT_U,
      ...IF,
      ...loop(b, i32(0), get(filterWidth), 4, fourTaps(R)),
      ...END,
    ]),
  ];
  const row: Bytes = [
    ...i32(0),
    ...set(j),
    // pairs of positions, then the last one of an odd row
    ...BLOCK,
    ...LOOP,
    ...get(j),
    ...i32(2),
    ...ADD,
    ...get(outWidth),
    ...GT_S,
    ...brIf(1),
    ...positions(2),
    ...get(j),
    ...i32(2),
    ...ADD,
    ...set(j),
    ...[0x0c, 0],
    ...END,
    ...END,
    ...get(j),
    ...get(outWidth),
    ...LT_S,
    ...IF,
    ...positions(1),
    ...END,
  ];
  const body: Bytes = [
    // zero dx: vectors, then the last floats
    ...zeroFloats(
      dx,
      [...get(batch), ...get(height), ...MUL, ...get(width), ...MUL, ...SHL2],
      c,
      end,
      end16,
    ),
    ...get(channels),
    ...SHL2,
    ...set(co4),
    ...loop(n, i32(0), get(batch), 1, loop(i, i32(0), get(outHeight), 1, row)),
  ];
  return { params: 15, locals: [[17, I32], [11, V128]], body };
}
