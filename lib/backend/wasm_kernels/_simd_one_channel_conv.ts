/**
 * Generator of the SIMD `oneChannelConv` loop that the scoring kernel `scoring.ts` calls.
 *
 * @module
 */

import {
  ADD,
  AND,
  type Bytes,
  ELSE,
  END,
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
  V_SPLAT_LOAD,
  V_STORE,
  V_ZERO,
  type WasmFunction,
} from "./_wasm_assembler.ts";

/** i32 equality; a shift left by 1. */
const EQ = [0x46], SHL1 = [0x41, 1, 0x74];

/**
 * The convolution from one channel to at most four channels with a 4x4 kernel (the encoders'
 * first layer of a width-2 or width-3 student: 32x32 to 16x16, stride 2, Co = 2 or 3), for
 * scoring: each output position's Co channels are one vector, Σ_{a, b} splat(x[n, y, x]) ·
 * fT[a, b, 0..3] over y = i·sh + a - pt, x = j·sw + b - pl (the filter rearranged as fT [5, 4, 4]:
 * each tap's Co weights padded with zeros to four lanes, and a fifth row of zeros), the input
 * pixels splatted from memory, in two chains of multiply-adds (the even and the odd kernel
 * columns b, added at the end). Where the stride is 2 and both positions' taps lie inside the row,
 * positions j and j + 1 run together, each filter vector read once for both (a fifth fewer loads
 * than one at a time: 0.62 -> 0.50 ms for the students' [256, 32, 32, 1] -> [256, 16, 16, 2 or 3],
 * where oneDNN takes 0.62 ms). The four row pointers are set once per output row: a row outside the
 * image reads the image's row 0 against the zero row of fT, so that the positions' loop tests no
 * row; the taps outside the image's left and right edges are skipped lane by lane. The output
 * [N, Ho, Wo, Co] is written in order, one vector store a position (its lanes past Co are
 * overwritten by the next position's store), lane by lane for the tensor's last position. No
 * columns, no packing. Parameters (x, fT, y, batch, height, width, outHeight, outWidth,
 * strideHeight, strideWidth, padTop, padLeft, channels), byte offsets and sizes; channels in 1..4.
 *
 * @example
 * ```ts
 * import { wasmModule } from "./_wasm_assembler.ts";
 * import { oneChannelConvFunction } from "./_simd_one_channel_conv.ts";
 * const bytes = wasmModule([{ name: "f", ...oneChannelConvFunction(true) }], false);
 * if (!WebAssembly.validate(bytes)) throw new Error("invalid module");
 * ```
 */
export function oneChannelConvFunction(fused: boolean): WasmFunction {
  const madd = multiplyAdd(fused);
  const [x, fT, y, batch, height, width, outHeight, outWidth] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [strideHeight, strideWidth, padTop, padLeft, channels] = [8, 9, 10, 11, 12];
  const [n, i, j, row, c4, po, end, co4] = [13, 14, 15, 16, 17, 18, 19, 20];
  const rp = (a: number): number => 21 + a; // x's row i·sh + a - pt of image n (or row 0)
  const pf = (a: number): number => 25 + a; // fT's row a (or the zero row 4)
  const px = (a: number): number => 29 + a; // rp(a) + col·4
  // v128: position j's even and odd kernel columns (0, 1), position j + 1's (2, 3)
  const acc = (q: number): number => 33 + q;
  const splat = (a: number, q: number): Bytes => [
    ...get(px(a)),
    ...V_SPLAT_LOAD.slice(0, 3),
    ...uleb(4 * q),
  ];
  const tap = (a: number, q: number): Bytes => [...get(pf(a)), ...V_LOAD(16 * q)];
  const rows = [0, 1, 2, 3];
  // The four row pointers of output row (n, i): a row outside the image reads image n's row 0
  // against the zero filter row, so that the loop over positions tests no row.
  const rowPointers: Bytes = rows.flatMap((a) => [
    ...get(i),
    ...get(strideHeight),
    ...MUL,
    ...i32(a),
    ...ADD,
    ...get(padTop),
    ...SUB,
    ...tee(row),
    ...get(height),
    ...LT_U,
    ...IF,
    ...get(fT),
    ...i32(64 * a),
    ...ADD,
    ...set(pf(a)),
    ...ELSE,
    ...i32(0),
    ...set(row),
    ...get(fT),
    ...i32(256),
    ...ADD,
    ...set(pf(a)),
    ...END,
    ...get(n),
    ...get(height),
    ...MUL,
    ...get(row),
    ...ADD,
    ...get(width),
    ...MUL,
    ...SHL2,
    ...get(x),
    ...ADD,
    ...set(rp(a)),
  ]);
  const fv = 37; // v128: a filter vector read once for two positions
  // y[n, i, j', :] = v at byte address `at` (an i32 expression): one vector where four floats fit
  // before the end, else Co lanes.
  const store = (at: Bytes, v: number): Bytes => [
    ...at,
    ...i32(16),
    ...ADD,
    ...get(end),
    ...LE_S,
    ...IF,
    ...at,
    ...get(v),
    ...V_STORE(),
    ...ELSE,
    ...[0, 1, 2, 3].flatMap((q) => [
      ...get(channels),
      ...i32(q),
      ...GT_S,
      ...IF,
      ...at,
      ...get(v),
      ...lane(q),
      ...F32_STORE.slice(0, 2),
      ...uleb(4 * q),
      ...END,
    ]),
    ...END,
  ];
  // acc(first) = acc(first) + acc(first + 1)
  const sum = (first: number): Bytes => [
    ...get(acc(first)),
    ...get(acc(first + 1)),
    ...F4_ADD,
    ...set(acc(first)),
  ];
  const position: Bytes = [
    ...[0, 1, 2, 3].flatMap((q) => [...V_ZERO, ...set(acc(q))]),
    // c4 = (j·sw - pl)·4: the column of the first tap; px(a) = rp(a) + c4
    ...get(j),
    ...get(strideWidth),
    ...MUL,
    ...get(padLeft),
    ...SUB,
    ...tee(c4),
    ...SHL2,
    ...set(c4),
    ...rows.flatMap((a) => [...get(rp(a)), ...get(c4), ...ADD, ...set(px(a))]),
    // Two positions j, j + 1 at once where the stride is 2 and all their taps lie inside the row
    // (each filter vector read once for both); else one position, its taps outside the row
    // skipped lane by lane (the unsigned compare drops a negative column too). Each position
    // sums its taps in two chains (even and odd kernel columns), added at the end, either way.
    ...get(strideWidth),
    ...i32(2),
    ...EQ,
    ...get(j),
    ...i32(1),
    ...ADD,
    ...get(outWidth),
    ...LT_S,
    ...AND,
    ...get(c4),
    ...i32(0),
    ...GE_S,
    ...AND,
    ...get(c4),
    ...i32(24),
    ...ADD,
    ...get(width),
    ...SHL2,
    ...LE_S,
    ...AND,
    ...IF,
    ...rows.flatMap((a) =>
      [0, 1, 2, 3].flatMap((q) => [
        ...tap(a, q),
        ...set(fv),
        ...madd(acc(q % 2), splat(a, q), get(fv)),
        ...madd(acc(2 + (q % 2)), splat(a, q + 2), get(fv)),
      ])
    ),
    ...sum(0),
    ...sum(2),
    ...store(get(po), acc(0)),
    ...store([...get(po), ...get(co4), ...ADD], acc(2)),
    ...get(po),
    ...get(co4),
    ...SHL1,
    ...ADD,
    ...set(po),
    ...get(j),
    ...i32(1),
    ...ADD,
    ...set(j),
    ...ELSE,
    ...[0, 1, 2, 3].flatMap((q) => [
      ...get(c4),
      ...i32(4 * q),
      ...ADD,
      ...get(width),
      ...SHL2,
      ...LT_U,
      ...IF,
      ...rows.flatMap((a) => madd(acc(q % 2), splat(a, q), tap(a, q))),
      ...END,
    ]),
    ...sum(0),
    ...store(get(po), acc(0)),
    ...get(po),
    ...get(co4),
    ...ADD,
    ...set(po),
    ...END,
  ];
  const body: Bytes = [
    ...get(channels),
    ...SHL2,
    ...set(co4),
    // end = y + N·Ho·Wo·Co·4; po = y
    ...get(batch),
    ...get(outHeight),
    ...MUL,
    ...get(outWidth),
    ...MUL,
    ...get(co4),
    ...MUL,
    ...get(y),
    ...ADD,
    ...set(end),
    ...get(y),
    ...set(po),
    ...loop(n, i32(0), get(batch), 1, [
      ...loop(i, i32(0), get(outHeight), 1, [
        ...rowPointers,
        ...loop(j, i32(0), get(outWidth), 1, position),
      ]),
    ]),
  ];
  return { params: 13, locals: [[20, I32], [5, V128]], body };
}
