/**
 * Loops XNNPACK has no good operator for, as a hand-assembled WebAssembly SIMD module
 * that works in place on the wasm backend's own memory (it imports tfjs's `WebAssembly.Memory`):
 *
 * - `rowDots`: out[i·rows + r] = a[r,:]·b[i,:] for a few rows i of b: a matrix-vector product
 *   that reads the big operand once and packs nothing (XNNPACK repacks its weights on every call,
 *   and a 1-wide output wastes its 8-wide tiles).
 * - `smallGemm`: out [m, n] = a [m, k] · b [k, n] for a short k (an outer product when k = 1).
 * - `oneChannel`: the input gradient of a convolution with one input channel, each dx pixel a sum
 *   of dot products of dy positions with filter taps, written in place (no col2im).
 * - `gemm`: out [m, n] = a [m, k] · b [k, n] for any sizes, b (the filter, or dy) read where it
 *   lies: XNNPACK packs its weights operand into an operator cached per tensor, and training makes
 *   every filter a new tensor after each optimiser step, so at small batches it repacks more than
 *   it multiplies.
 * - `sqrt`: four square roots at a time (the stock Sqrt, which Adam calls on every weight, is a
 *   scalar loop).
 * - `adam`: one Adam update in one pass over weights, gradient and moments.
 *
 * Pointers and sizes are in floats' byte offsets as the backend's `memoryOffset` gives them.
 * Without WebAssembly SIMD (never the case in Deno) {@link simdKernels} returns undefined and the
 * callers keep their XNNPACK paths.
 *
 * @module
 */

import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/** The module's exports; see the module comment. */
export interface SimdKernels {
  /** rows % 4 = 0, k % 4 = 0. */
  rowDots(a: number, b: number, out: number, rows: number, k: number, n: number): void;
  /** n % 4 = 0. */
  smallGemm(a: number, b: number, out: number, m: number, k: number, n: number): void;
  /**
   * out [m, n] = a [m, k] · b [k, n], any sizes; b is read in place (never packed), a's element
   * (i, t) is at a + 4·(i·rowStride + t·colStride): (k, 1) for a as stored, (1, m) transposed.
   */
  gemm(
    a: number,
    b: number,
    out: number,
    m: number,
    k: number,
    n: number,
    rowStride: number,
    colStride: number,
  ): void;
  /**
   * One Adam step of n weights (see the generator): new p, m, v into pOut, mOut, vOut; the seven
   * constants β1, 1-β1, β2, 1-β2, c2, ε, stepSize as float32 bits.
   */
  adam(
    p: number,
    g: number,
    m: number,
    v: number,
    pOut: number,
    mOut: number,
    vOut: number,
    n: number,
    ...constantBits: number[]
  ): void;
  /** out[i] = √x[i], i < n (out may be x). */
  sqrt(x: number, out: number, n: number): void;
  /**
   * dx [N, H, W] (one channel, every element written) from dy [N, Ho, Wo, Co] and filter
   * [kh, kw, 1, Co], kw % 4 = 0, Co % 4 = 0: dx[n, y, x] = Σ dy[n, i, j, :] · f[a, b, 0, :] over
   * y = i·sh + a - pt, x = j·sw + b - pl.
   */
  oneChannel(
    dy: number,
    filter: number,
    dx: number,
    batch: number,
    outHeight: number,
    outWidth: number,
    height: number,
    width: number,
    filterHeight: number,
    filterWidth: number,
    strideHeight: number,
    strideWidth: number,
    padTop: number,
    padLeft: number,
    channels: number,
  ): void;
}

// --- a minimal assembler -----------------------------------------------------------------------

type Bytes = number[];

function uleb(n: number): Bytes {
  const out: Bytes = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): Bytes {
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
const I32 = 0x7f;
const V128 = 0x7b;

const get = (i: number): Bytes => [0x20, ...uleb(i)];
const set = (i: number): Bytes => [0x21, ...uleb(i)];
const tee = (i: number): Bytes => [0x22, ...uleb(i)];
const i32 = (v: number): Bytes => [0x41, ...sleb(v)];
const ADD = [0x6a], SUB = [0x6b], MUL = [0x6c], SHL2 = [0x41, 2, 0x74];
const LT_S = [0x48], GE_S = [0x4e], LT_U = [0x49];
const F32_LOAD = [0x2a, 2, 0], F32_STORE = [0x38, 2, 0], F32_ADD = [0x92];
const V_LOAD = (offset = 0): Bytes => [0xfd, 0x00, 0, ...uleb(offset)];
const V_STORE = (offset = 0): Bytes => [0xfd, 0x0b, 0, ...uleb(offset)];
const V_SPLAT_LOAD = [0xfd, 0x09, 0, 0];
const V_ZERO = [0xfd, 0x0c, ...new Array(16).fill(0)];
const F4_ADD = [0xfd, 0xe4, 0x01], F4_MUL = [0xfd, 0xe6, 0x01];
const lane = (l: number): Bytes => [0xfd, 0x1f, l];
const BLOCK = [0x02, 0x40], LOOP = [0x03, 0x40], END = [0x0b];
const brIf = (depth: number): Bytes => [0x0d, depth];

/** for (c = from; c < limit; c += step) body — `limit` is a list of instructions. */
function loop(c: number, from: Bytes, limit: Bytes, step: number, body: Bytes): Bytes {
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

/** acc += x·y, fused (one rounding) where relaxed SIMD is there. */
let fused = true;
const madd = (acc: number, x: Bytes, y: Bytes): Bytes =>
  fused
    ? [...x, ...y, ...get(acc), 0xfd, 0x85, 0x02, ...set(acc)] // f32x4.relaxed_madd
    : [...get(acc), ...x, ...y, ...F4_MUL, ...F4_ADD, ...set(acc)];

/** acc += load(address) * vector */
const macc = (acc: number, address: Bytes, vector: Bytes): Bytes =>
  madd(acc, [...address, ...V_LOAD()], vector);

/** Sum of the four lanes of a v128 local, as an f32 on the stack. */
const hsum = (v: number): Bytes => [
  ...get(v),
  ...lane(0),
  ...get(v),
  ...lane(1),
  ...F32_ADD,
  ...get(v),
  ...lane(2),
  ...get(v),
  ...lane(3),
  ...F32_ADD,
  ...F32_ADD,
];

function rowDots(): { params: number; locals: Bytes[]; body: Bytes } {
  // params: a b out rows k n; locals (i32): r i j pa pb k4 ; (v128): acc0..3 bv
  const [a, b, out, rows, k, n] = [0, 1, 2, 3, 4, 5];
  const [r, i, j, pa, pb, k4] = [6, 7, 8, 9, 10, 11];
  const [acc0, bv] = [12, 16];
  // pa + j + m·k4: byte j of row r + m of a.
  const row = (m: number): Bytes => [
    ...get(pa),
    ...get(j),
    ...ADD,
    ...(m === 0 ? [] : [...get(k4), ...i32(m), ...MUL, ...ADD]),
  ];
  const inner: Bytes = [
    ...get(pb),
    ...get(j),
    ...ADD,
    ...V_LOAD(),
    ...set(bv),
    ...[0, 1, 2, 3].flatMap((m) => macc(acc0 + m, row(m), get(bv))),
  ];
  const store = (m: number): Bytes => [
    // out + ((i·rows + r + m) << 2)
    ...get(out),
    ...get(i),
    ...get(rows),
    ...MUL,
    ...get(r),
    ...ADD,
    ...i32(m),
    ...ADD,
    ...SHL2,
    ...ADD,
    ...hsum(acc0 + m),
    ...F32_STORE,
  ];
  const perRow: Bytes = [
    ...get(b),
    ...get(i),
    ...get(k4),
    ...MUL,
    ...ADD,
    ...set(pb),
    ...[0, 1, 2, 3].flatMap((m) => [...V_ZERO, ...set(acc0 + m)]),
    ...loop(j, i32(0), get(k4), 16, inner),
    ...[0, 1, 2, 3].flatMap(store),
  ];
  const body: Bytes = [
    ...get(k),
    ...SHL2,
    ...set(k4),
    ...loop(r, i32(0), get(rows), 4, [
      ...get(a),
      ...get(r),
      ...get(k4),
      ...MUL,
      ...ADD,
      ...set(pa),
      ...loop(i, i32(0), get(n), 1, perRow),
    ]),
  ];
  return { params: 6, locals: [[6, I32], [5, V128]], body };
}

function smallGemm(): { params: number; locals: Bytes[]; body: Bytes } {
  // params: a b out m k n; locals (i32): i j t pa pbj n4 po k4; (v128): acc0..7 av0 av1 bv
  const [a, b, out, m, k, n] = [0, 1, 2, 3, 4, 5];
  const [i, j, t, pa, pbj, n4, po, k4] = [6, 7, 8, 9, 10, 11, 12, 13];
  const [acc0, av0, bv] = [14, 22, 24];
  // Rows i..i+R-1, columns j..j+4·width-1: R·width independent accumulators, so that the adds
  // do not wait on each other, and each vector of b is loaded once for the R rows.
  const block = (R: number, width: number): Bytes => [
    ...Array.from({ length: R * width }, (_, v) => [...V_ZERO, ...set(acc0 + v)]).flat(),
    ...get(b),
    ...get(j),
    ...ADD,
    ...set(pbj),
    ...loop(t, i32(0), get(k), 1, [
      ...Array.from({ length: R }, (_, r) => [
        ...get(pa),
        ...get(t),
        ...SHL2,
        ...ADD,
        ...(r === 0 ? [] : [...get(k4), ...i32(r), ...MUL, ...ADD]),
        ...V_SPLAT_LOAD,
        ...set(av0 + r),
      ]).flat(),
      ...Array.from({ length: width }, (_, v) => [
        ...get(pbj),
        ...V_LOAD(16 * v),
        ...set(bv),
        ...Array.from({ length: R }, (_, r) => [
          ...madd(acc0 + r * width + v, get(bv), get(av0 + r)),
        ]).flat(),
      ]).flat(),
      ...get(pbj),
      ...get(n4),
      ...ADD,
      ...set(pbj),
    ]),
    ...Array.from({ length: R }, (_, r) =>
      Array.from({ length: width }, (_, v) => [
        ...get(po),
        ...get(j),
        ...ADD,
        ...(r === 0 ? [] : [...get(n4), ...i32(r), ...MUL, ...ADD]),
        ...get(acc0 + r * width + v),
        ...V_STORE(16 * v),
      ]).flat()).flat(),
  ];
  // while (cond) { body } as block/loop; `exit` is an i32 test that ends the loop when true.
  const whileNot = (exit: Bytes, body: Bytes): Bytes => [
    ...BLOCK,
    ...LOOP,
    ...exit,
    ...brIf(1),
    ...body,
    ...[0x0c, 0], // br 0: next iteration
    ...END,
    ...END,
  ];
  const GT_S = [0x4a];
  const rows = (R: number): Bytes => [
    ...get(a),
    ...get(i),
    ...get(k4),
    ...MUL,
    ...ADD,
    ...set(pa),
    ...get(out),
    ...get(i),
    ...get(n4),
    ...MUL,
    ...ADD,
    ...set(po),
    ...i32(0),
    ...set(j),
    // 16-column blocks while they fit, then 4-column blocks.
    ...whileNot([...get(j), ...i32(64), ...ADD, ...get(n4), ...GT_S], [
      ...block(R, 4),
      ...get(j),
      ...i32(64),
      ...ADD,
      ...set(j),
    ]),
    ...whileNot([...get(j), ...get(n4), ...GE_S], [
      ...block(R, 1),
      ...get(j),
      ...i32(16),
      ...ADD,
      ...set(j),
    ]),
  ];
  const body: Bytes = [
    ...get(n),
    ...SHL2,
    ...set(n4),
    ...get(k),
    ...SHL2,
    ...set(k4),
    ...i32(0),
    ...set(i),
    // Pairs of rows, then the last row when m is odd.
    ...whileNot([...get(i), ...i32(2), ...ADD, ...get(m), ...GT_S], [
      ...rows(2),
      ...get(i),
      ...i32(2),
      ...ADD,
      ...set(i),
    ]),
    ...whileNot([...get(i), ...get(m), ...GE_S], [
      ...rows(1),
      ...get(i),
      ...i32(1),
      ...ADD,
      ...set(i),
    ]),
  ];
  return { params: 6, locals: [[8, I32], [11, V128]], body };
}

/**
 * The input gradient of a convolution with one input channel and kw % 4 = 0, Co % 4 = 0, added
 * straight into dx (zeroed here first): for each dy position, four taps (a, b..b+3) at a time are
 * the dot products of dy[n, i, j, :] with four filter rows f[a, b..b+3, 0, :] (filter as stored,
 * no transpose; dy loaded once for the four), reduced across lanes into one vector by shuffles
 * and added to the four adjacent pixels dx[n, i·sh + a - pt, j·sw + b - pl ..] with one vector
 * load-add-store (lane by lane at the image edges). No columns, no col2im, no temporary.
 */
function oneChannel(): { params: number; locals: Bytes[]; body: Bytes } {
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
  const LE_S = [0x4c], AND = [0x71];
  const IF = [0x04, 0x40], ELSE = [0x05];
  const F32_ZERO = [0x43, 0, 0, 0, 0];
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
  const GT_S = [0x4a];
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
    ...get(batch),
    ...get(height),
    ...MUL,
    ...get(width),
    ...MUL,
    ...SHL2,
    ...tee(end),
    ...i32(-16),
    ...AND,
    ...set(end16),
    ...loop(c, i32(0), get(end16), 16, [...get(dx), ...get(c), ...ADD, ...V_ZERO, ...V_STORE()]),
    ...loop(c, get(c), get(end), 4, [...get(dx), ...get(c), ...ADD, ...F32_ZERO, ...F32_STORE]),
    ...get(channels),
    ...SHL2,
    ...set(co4),
    ...loop(n, i32(0), get(batch), 1, loop(i, i32(0), get(outHeight), 1, row)),
  ];
  return { params: 15, locals: [[17, I32], [11, V128]], body };
}

/**
 * out [m, n] = a [m, k] · b [k, n] for any sizes, b read in place and never packed; a's element
 * (i, t) is at a + 4·(i·rowStride + t·colStride), so a can be given transposed. Blocks of R rows
 * (then 2, then 1) by 8 columns (2R accumulators; each vector of b is loaded once for R rows, each
 * element of a splatted once for 8 columns), then 4-column blocks, then scalar columns when
 * n % 4 ≠ 0. Column blocks are the outer loop, so the k x 8 panel of b being read stays in cache
 * across all rows.
 */
function gemm(R: number): { params: number; locals: Bytes[]; body: Bytes } {
  // params: a b out m k n rowStride colStride;
  // locals (i32): i j t pb po n4 pat rs4 cs4 ro1..ro(R-1); (v128): acc.. bv0 bv1 av
  const [a, b, out, m, k, n, rowStride, colStride] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [i, j, t, pb, po, n4, pat, rs4, cs4] = [8, 9, 10, 11, 12, 13, 14, 15, 16];
  const ro = (r: number): number => 16 + r; // ro(1)..ro(R-1): r·rowStride in bytes
  const v0 = 17 + R - 1;
  const acc = (r: number, v: number): number => v0 + r * 2 + v;
  const [bv0, av] = [v0 + 2 * R, v0 + 2 * R + 2];
  const F32_MUL = [0x94];
  const F32_ZERO = [0x43, 0, 0, 0, 0];
  const GT_S = [0x4a];
  const whileNot = (exit: Bytes, body: Bytes): Bytes => [
    ...BLOCK,
    ...LOOP,
    ...exit,
    ...brIf(1),
    ...body,
    ...[0x0c, 0], // br 0: next iteration
    ...END,
    ...END,
  ];
  // pat = a + i·rs4: row i, column 0 of a.
  const rowStart: Bytes = [...get(a), ...get(i), ...get(rs4), ...MUL, ...ADD, ...set(pat)];
  // Rows i..i+rows-1, columns j..j+4·width-1 (width 1 or 2).
  const block = (rows: number, width: number): Bytes => [
    ...rowStart,
    ...Array.from({ length: rows * width }, (_, q) => [
      ...V_ZERO,
      ...set(acc(Math.floor(q / width), q % width)),
    ]).flat(),
    ...get(b),
    ...get(j),
    ...ADD,
    ...set(pb),
    ...loop(t, i32(0), get(k), 1, [
      ...Array.from({ length: width }, (_, v) => [...get(pb), ...V_LOAD(16 * v), ...set(bv0 + v)])
        .flat(),
      ...Array.from({ length: rows }, (_, r) => [
        ...get(pat),
        ...(r === 0 ? [] : [...get(ro(r)), ...ADD]),
        ...V_SPLAT_LOAD,
        ...set(av),
        ...Array.from({ length: width }, (_, v) => madd(acc(r, v), get(bv0 + v), get(av))).flat(),
      ]).flat(),
      ...get(pb),
      ...get(n4),
      ...ADD,
      ...set(pb),
      ...get(pat),
      ...get(cs4),
      ...ADD,
      ...set(pat),
    ]),
    ...Array.from({ length: rows }, (_, r) => [
      ...get(out),
      ...get(i),
      ...(r === 0 ? [] : [...i32(r), ...ADD]),
      ...get(n4),
      ...MUL,
      ...ADD,
      ...get(j),
      ...ADD,
      ...set(po),
      ...Array.from(
        { length: width },
        (_, v) => [...get(po), ...get(acc(r, v)), ...V_STORE(16 * v)],
      )
        .flat(),
    ]).flat(),
  ];
  // All rows of the current column block: R at a time, then two, then one.
  const rowSteps = [...new Set([R, 2, 1])].filter((step) => step <= R);
  const columnBlock = (width: number): Bytes => [
    ...i32(0),
    ...set(i),
    ...rowSteps.flatMap((step) =>
      whileNot([...get(i), ...i32(step), ...ADD, ...get(m), ...GT_S], [
        ...block(step, width),
        ...get(i),
        ...i32(step),
        ...ADD,
        ...set(i),
      ])
    ),
  ];
  // One column j (bytes) of every row, in scalar arithmetic: the n % 4 columns left over.
  const scalarColumn: Bytes = loop(i, i32(0), get(m), 1, [
    ...rowStart,
    ...get(b),
    ...get(j),
    ...ADD,
    ...set(pb),
    ...get(out),
    ...get(i),
    ...get(n4),
    ...MUL,
    ...ADD,
    ...get(j),
    ...ADD,
    ...tee(po),
    ...F32_ZERO,
    ...F32_STORE,
    ...loop(t, i32(0), get(k), 1, [
      ...get(po),
      ...get(po),
      ...F32_LOAD,
      ...get(pat),
      ...F32_LOAD,
      ...get(pb),
      ...F32_LOAD,
      ...F32_MUL,
      ...F32_ADD,
      ...F32_STORE,
      ...get(pb),
      ...get(n4),
      ...ADD,
      ...set(pb),
      ...get(pat),
      ...get(cs4),
      ...ADD,
      ...set(pat),
    ]),
  ]);
  const body: Bytes = [
    ...get(n),
    ...SHL2,
    ...set(n4),
    ...get(rowStride),
    ...SHL2,
    ...set(rs4),
    ...get(colStride),
    ...SHL2,
    ...set(cs4),
    ...Array.from({ length: R - 1 }, (_, q) => [
      ...get(rs4),
      ...i32(q + 1),
      ...MUL,
      ...set(ro(q + 1)),
    ]).flat(),
    ...i32(0),
    ...set(j),
    ...whileNot([...get(j), ...i32(32), ...ADD, ...get(n4), ...GT_S], [
      ...columnBlock(2),
      ...get(j),
      ...i32(32),
      ...ADD,
      ...set(j),
    ]),
    ...whileNot([...get(j), ...i32(16), ...ADD, ...get(n4), ...GT_S], [
      ...columnBlock(1),
      ...get(j),
      ...i32(16),
      ...ADD,
      ...set(j),
    ]),
    ...whileNot([...get(j), ...get(n4), ...GE_S], [
      ...scalarColumn,
      ...get(j),
      ...i32(4),
      ...ADD,
      ...set(j),
    ]),
  ];
  return { params: 8, locals: [[9 + R - 1, I32], [2 * R + 3, V128]], body };
}

/** out[i] = √x[i] for n floats, four at a time (the stock Sqrt is a scalar loop). */
function sqrt(): { params: number; locals: Bytes[]; body: Bytes } {
  const [x, out, n] = [0, 1, 2];
  const [i, n4, end16] = [3, 4, 5];
  const F4_SQRT = [0xfd, 0xe3, 0x01], F32_SQRT = [0x91];
  const body: Bytes = [
    ...get(n),
    ...SHL2,
    ...tee(n4),
    ...i32(-16),
    ...[0x71], // i32.and
    ...set(end16),
    ...loop(i, i32(0), get(end16), 16, [
      ...get(out),
      ...get(i),
      ...ADD,
      ...get(x),
      ...get(i),
      ...ADD,
      ...V_LOAD(),
      ...F4_SQRT,
      ...V_STORE(),
    ]),
    ...loop(i, get(end16), get(n4), 4, [
      ...get(out),
      ...get(i),
      ...ADD,
      ...get(x),
      ...get(i),
      ...ADD,
      ...F32_LOAD,
      ...F32_SQRT,
      ...F32_STORE,
    ]),
  ];
  return { params: 3, locals: [[3, I32]], body };
}

/**
 * One Adam update of n weights in a single pass (Adam as tf ops makes 13 passes, each memory-bound):
 * m' = β1·m + (1-β1)·g, v' = β2·v + (1-β2)·g², p' = p - (m' / (√(v' / c2) + ε))·stepSize, with
 * the same float32 operations in the same order as those ops (no fused multiply-add), so the
 * result is identical. Constants are passed as the bits of float32 values.
 */
function adam(): { params: number; locals: Bytes[]; body: Bytes } {
  const [p, g, m, v, pOut, mOut, vOut, n] = [0, 1, 2, 3, 4, 5, 6, 7];
  const constants = [8, 9, 10, 11, 12, 13, 14]; // β1 1-β1 β2 1-β2 c2 ε stepSize
  const [i, n4, end16] = [15, 16, 17];
  const splats = (c: number): number => 18 + c; // v128 locals
  const [mv, vv] = [25, 26];
  const F32_REINTERPRET = [0xbe], F4_SPLAT = [0xfd, 0x13];
  const F4_SUB = [0xfd, 0xe5, 0x01], F4_DIV = [0xfd, 0xe7, 0x01], F4_SQRT = [0xfd, 0xe3, 0x01];
  const F32_SUB = [0x93], F32_MUL = [0x94], F32_DIV = [0x95], F32_SQRT = [0x91];
  const ops = (vector: boolean) => ({
    load: vector ? V_LOAD() : F32_LOAD,
    store: vector ? V_STORE() : F32_STORE,
    add: vector ? F4_ADD : F32_ADD,
    sub: vector ? F4_SUB : F32_SUB,
    mul: vector ? F4_MUL : F32_MUL,
    div: vector ? F4_DIV : F32_DIV,
    sqrt: vector ? F4_SQRT : F32_SQRT,
    constant: (c: number): Bytes =>
      vector ? get(splats(c)) : [...get(constants[c]), ...F32_REINTERPRET],
  });
  const at = (base: number): Bytes => [...get(base), ...get(i), ...ADD];
  // Scalar locals would need f32 locals; the scalar tail keeps m' and v' in their outputs.
  const element = (vector: boolean): Bytes => {
    const o = ops(vector);
    const newM: Bytes = [
      ...at(m),
      ...o.load,
      ...o.constant(0),
      ...o.mul,
      ...at(g),
      ...o.load,
      ...o.constant(1),
      ...o.mul,
      ...o.add,
    ];
    const newV: Bytes = [
      ...at(v),
      ...o.load,
      ...o.constant(2),
      ...o.mul,
      ...at(g),
      ...o.load,
      ...at(g),
      ...o.load,
      ...o.mul,
      ...o.constant(3),
      ...o.mul,
      ...o.add,
    ];
    const mValue = vector ? get(mv) : [...at(mOut), ...F32_LOAD];
    const vValue = vector ? get(vv) : [...at(vOut), ...F32_LOAD];
    return [
      ...(vector ? [...newM, ...set(mv), ...at(mOut), ...get(mv)] : [...at(mOut), ...newM]),
      ...o.store,
      ...(vector ? [...newV, ...set(vv), ...at(vOut), ...get(vv)] : [...at(vOut), ...newV]),
      ...o.store,
      ...at(pOut),
      ...at(p),
      ...o.load,
      ...mValue,
      ...vValue,
      ...o.constant(4),
      ...o.div,
      ...o.sqrt,
      ...o.constant(5),
      ...o.add,
      ...o.div,
      ...o.constant(6),
      ...o.mul,
      ...o.sub,
      ...o.store,
    ];
  };
  const body: Bytes = [
    ...constants.flatMap((
      c,
      index,
    ) => [...get(c), ...F32_REINTERPRET, ...F4_SPLAT, ...set(splats(index))]),
    ...get(n),
    ...SHL2,
    ...tee(n4),
    ...i32(-16),
    ...[0x71], // i32.and
    ...set(end16),
    ...loop(i, i32(0), get(end16), 16, element(true)),
    ...loop(i, get(end16), get(n4), 4, element(false)),
  ];
  return { params: 15, locals: [[3, I32], [9, V128]], body };
}

/**
 * Rows per block of {@link gemm}: 6 rows x 8 columns = 12 accumulators, plus 2 vectors of b and
 * one splat: 15 of the 16 SIMD registers V8 uses on x64 (about 15 % faster than 4 rows).
 */
const GEMM_ROWS = 6;

function moduleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const functions = [
    { name: "rowDots", ...rowDots() },
    { name: "smallGemm", ...smallGemm() },
    { name: "oneChannel", ...oneChannel() },
    { name: "gemm", ...gemm(GEMM_ROWS) },
    { name: "sqrt", ...sqrt() },
    { name: "adam", ...adam() },
  ];
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

const instances = new WeakMap<WebAssembly.Memory, SimdKernels | null>();

/**
 * The SIMD loops bound to a wasm backend's memory (compiled once per memory), or undefined where
 * WebAssembly SIMD is missing.
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 * import "@tensorflow/tfjs-backend-wasm";
 * import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
 * import { simdKernels } from "./_simd.ts";
 * await tf.setBackend("wasm");
 * console.log(simdKernels(tf.backend() as BackendWasm) ? "SIMD loops ready" : "no SIMD");
 * ```
 */
export function simdKernels(backend: BackendWasm): SimdKernels | undefined {
  const memory = (backend.wasm as unknown as { asm?: { memory?: WebAssembly.Memory } }).asm
    ?.memory;
  if (memory === undefined) return undefined;
  let kernels = instances.get(memory);
  if (kernels === undefined) {
    const shared = typeof SharedArrayBuffer !== "undefined" &&
      memory.buffer instanceof SharedArrayBuffer;
    kernels = null;
    // With fused multiply-adds (relaxed SIMD) if the engine has them, else without.
    for (const withFma of [true, false]) {
      try {
        fused = withFma;
        const module = new WebAssembly.Module(moduleBytes(shared));
        const instance = new WebAssembly.Instance(module, { env: { memory } });
        kernels = instance.exports as unknown as SimdKernels;
        break;
      } catch {
        // try the next variant
      }
    }
    instances.set(memory, kernels);
  }
  return kernels ?? undefined;
}

/**
 * The byte offset of a tensor on the wasm heap, as the SIMD loops take it.
 *
 * @example
 * ```ts
 * import * as tf from "../../tf.ts";
 * import "@tensorflow/tfjs-backend-wasm";
 * import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
 * import { address } from "./_simd.ts";
 * await tf.setBackend("wasm");
 * const x = tf.ones([4]);
 * if (address(tf.backend() as BackendWasm, x) % 4 !== 0) throw new Error("misaligned");
 * x.dispose();
 * ```
 */
export function address(backend: BackendWasm, info: { dataId: object }): number {
  return backend.dataIdMap.get(info.dataId)!.memoryOffset;
}
