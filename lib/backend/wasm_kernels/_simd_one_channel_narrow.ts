/**
 * Generator of the SIMD `oneChannelNarrow` loop that the scoring kernel `scoring.ts` calls.
 *
 * @module
 */

import {
  ADD,
  AND,
  type Bytes,
  ELSE,
  END,
  F32_ADD,
  F32_LOAD,
  F32_STORE,
  F4_ADD,
  F4_MUL,
  GE_S,
  get,
  GT_S,
  I32,
  i32,
  IF,
  lane,
  LE_S,
  loop,
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
  V_SPLAT_LOAD,
  V_STORE,
  type WasmFunction,
  zeroFloats,
} from "./_wasm_assembler.ts";

/** i32 shift left by 4: a count of vectors to bytes. */
const SHL4 = [0x41, 4, 0x74];

/**
 * The transposed convolution to one channel from a few channels (kw = 4, any Co: the decoder's
 * last layer of a width-2 or width-3 student, Co = 2 or 3), for scoring: for each dy position and
 * each kernel row a, the four taps b = 0..3 of that row are one vector, Σ_c dy[n, i, j, c] ·
 * fT[a, c, 0..3] (each dy value splatted, the filter rearranged as fT [kh, Co, 4] so that a row's
 * four taps lie side by side), added to the four adjacent pixels dx[n, y, x..x+3] (y = i·sh + a -
 * pt, x = j·sw - pl) with one vector load-add-store, lane by lane at the image's left and right
 * edges. No padding of the channels, no reduction across lanes, no columns and no col2im; dx is
 * zeroed here first. Parameters (dy, fT, dx, batch, outHeight, outWidth, height, width,
 * filterHeight, strideHeight, strideWidth, padTop, padLeft, channels), byte offsets and sizes.
 *
 * @example
 * ```ts
 * import { wasmModule } from "./_wasm_assembler.ts";
 * import { oneChannelNarrowFunction } from "./_simd_one_channel_narrow.ts";
 * const bytes = wasmModule([{ name: "f", ...oneChannelNarrowFunction(true) }], false);
 * if (!WebAssembly.validate(bytes)) throw new Error("invalid module");
 * ```
 */
export function oneChannelNarrowFunction(fused: boolean): WasmFunction {
  const madd = multiplyAdd(fused);
  const [dy, fT, dx, batch, outHeight, outWidth, height, width] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [filterHeight, strideHeight, strideWidth, padTop, padLeft, channels] = [
    8,
    9,
    10,
    11,
    12,
    13,
  ];
  const [n, i, j, a, c, y, x, pd, pf, rowBase, base, end, end16, co4, co16, rowDy] = [
    14,
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
    29,
  ];
  const acc = 30; // v128
  const fv = (q: number): number => 31 + q; // v128: fT[a, q, :] for q < 4, held through a row
  // dx[n, y, x..x+3] += acc: one vector where the four columns lie inside the row, else lane by
  // lane (the unsigned compare drops a negative column too).
  const scatter: Bytes = [
    ...get(rowBase),
    ...get(x),
    ...SHL2,
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
    ...get(acc),
    ...F4_ADD,
    ...V_STORE(),
    ...ELSE,
    ...[0, 1, 2, 3].flatMap((q) => [
      ...get(x),
      ...i32(q),
      ...ADD,
      ...get(width),
      ...LT_U,
      ...IF,
      ...get(base),
      ...get(base),
      ...F32_LOAD.slice(0, 2),
      ...uleb(4 * q),
      ...get(acc),
      ...lane(q),
      ...F32_ADD,
      ...F32_STORE.slice(0, 2),
      ...uleb(4 * q),
      ...END,
    ]),
    ...END,
  ];
  const splat = (q: number): Bytes => [...get(pd), ...V_SPLAT_LOAD.slice(0, 3), ...uleb(4 * q)];
  // One dy position j of row (n, i) into dx row y (rowBase) by kernel row a (fv, pf).
  const position: Bytes = [
    // pd = rowDy + j·Co·4; x = j·sw - pl
    ...get(j),
    ...get(co4),
    ...MUL,
    ...get(rowDy),
    ...ADD,
    ...set(pd),
    ...get(j),
    ...get(strideWidth),
    ...MUL,
    ...get(padLeft),
    ...SUB,
    ...set(x),
    // acc = Σ_c splat(dy[c]) · fT[a, c, :]: the first four channels from locals, any others
    // from memory
    ...splat(0),
    ...get(fv(0)),
    ...F4_MUL,
    ...set(acc),
    ...[1, 2, 3].flatMap((q) => [
      ...get(channels),
      ...i32(q),
      ...GT_S,
      ...IF,
      ...madd(acc, splat(q), get(fv(q))),
      ...END,
    ]),
    ...loop(c, i32(4), get(channels), 1, [
      ...madd(
        acc,
        [...get(pd), ...get(c), ...SHL2, ...ADD, ...V_SPLAT_LOAD],
        [...get(pf), ...get(c), ...SHL4, ...ADD, ...V_LOAD()],
      ),
    ]),
    ...scatter,
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
    ...tee(co4),
    ...SHL2,
    ...set(co16),
    ...loop(n, i32(0), get(batch), 1, [
      ...loop(i, i32(0), get(outHeight), 1, [
        // rowDy = dy + (n·Ho + i)·Wo·Co·4
        ...get(n),
        ...get(outHeight),
        ...MUL,
        ...get(i),
        ...ADD,
        ...get(outWidth),
        ...MUL,
        ...get(co4),
        ...MUL,
        ...get(dy),
        ...ADD,
        ...set(rowDy),
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
          // rowBase = dx + (n·H + y)·W·4; pf = fT + a·Co·16; fv(q) = fT[a, q, :]
          ...get(n),
          ...get(height),
          ...MUL,
          ...get(y),
          ...ADD,
          ...get(width),
          ...MUL,
          ...SHL2,
          ...get(dx),
          ...ADD,
          ...set(rowBase),
          ...get(a),
          ...get(co16),
          ...MUL,
          ...get(fT),
          ...ADD,
          ...set(pf),
          ...[0, 1, 2, 3].flatMap((q) => [
            ...get(channels),
            ...i32(q),
            ...GT_S,
            ...IF,
            ...get(pf),
            ...V_LOAD(16 * q),
            ...set(fv(q)),
            ...END,
          ]),
          // Every second position, then the others: the vectors of positions j and j + 1
          // overlap (stride 2), and a load of one just after the store of the other would wait
          // for that store (a store-forwarding stall, half of the loop's time).
          ...loop(j, i32(0), get(outWidth), 2, position),
          ...loop(j, i32(1), get(outWidth), 2, position),
          ...END,
        ]),
      ]),
    ]),
  ];
  return { params: 14, locals: [[16, I32], [5, V128]], body };
}
