/**
 * Micro-bench of a filter's copy into and out of oneDNN's blocked layouts: oneDNN's reorder
 * primitive against edegan's candidate SIMD copy (`lib/backend/onednn/filter_copy.ts`; `--bulk`: its runs
 * by `memory.copy`) and a plain memmove of the same bytes (`copyWithin`, no reordering: the
 * ceiling of any copy), all on the wasm heap, on the teacher's filters (`--filters
 * 4x4x64x128,4x4x128x256`, HWIO), every layout of `FILTER_COPY_LAYOUTS` both ways, `--reps N`
 * (default 200) copies each, the three alternated in rounds of 10 (`--cold`: one copy at a time
 * with 256 MB written before each, so both sides come from memory as in a training step). Prints
 * the median ms of a copy, GB/s (bytes read + written) and whether the candidate wrote oneDNN's
 * bytes exactly.
 *
 *   nice -n 0 deno run -A bench/filter_copy.ts [--cold --reps 40]
 *
 * @module
 */

import { parseArgs } from "@std/cli";
import * as tf from "../lib/tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { selectBackend } from "../lib/backend/select.ts";
import { address } from "../lib/backend/wasm_kernels/_simd.ts";
import { heapAddresses } from "../lib/backend/onednn/kernels.ts";
import { dnnlContext } from "../lib/backend/onednn/_context.ts";
import { DNNL } from "../lib/backend/onednn/_ffi.ts";
import {
  copyFilter,
  FILTER_COPY_LAYOUTS,
  filterCopyKernels,
  type FilterShape,
} from "../lib/backend/onednn/filter_copy.ts";

const args = parseArgs(Deno.args, { string: ["filters", "reps"], boolean: ["cold", "bulk"] });
/** `--cold`: 256 MB written between copies, so that both sides come from memory, as in a step. */
const flush = args.cold ? new Float32Array(64 << 20) : undefined;
const shapes = (args.filters ?? "4x4x64x128,4x4x128x256").split(",").map((s: string) =>
  s.split("x").map(Number) as FilterShape
);
const reps = Number(args.reps ?? 200);
await selectBackend("onednn", { threads: 1 });
const backend = tf.backend() as BackendWasm;
const kernels = filterCopyKernels(backend);
const c = dnnlContext();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  "| filter | layout | way | oneDNN ms | edegan ms | memmove ms | oneDNN GB/s | edegan GB/s | same |",
);
console.log("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |");
for (const shape of shapes) {
  const [h, w, i, o] = shape;
  const size = h * w * i * o;
  for (const layout of FILTER_COPY_LAYOUTS) {
    if (o % layout.outBlock !== 0 || i % layout.inBlock !== 0) continue;
    for (const toBlocked of [true, false]) {
      const src = tf.randomNormal([size], 0, 1, "float32", 3);
      const [a, b] = [tf.zeros([size]), tf.zeros([size])];
      const plainMd = c.md([o, i, h, w], DNNL.hwio);
      const blockedMd = c.md([o, i, h, w], layout.tag);
      const [fromMd, toMd] = toBlocked ? [plainMd, blockedMd] : [blockedMd, plainMd];
      const from = c.memory(fromMd, null), to = c.memory(toMd, null);
      const reorder = c.reorder(
        Deno.UnsafePointer.of(fromMd),
        from,
        Deno.UnsafePointer.of(toMd),
        to,
      );
      const plan = { user: [from, to], steps: [reorder], implementation: "reorder" };
      const [pSrc, pA] = heapAddresses(backend, [src, a]);
      const onednn = () => c.run(plan, [pSrc, pA], "reorder");
      // From blocked, `src` is read as the blocked filter; both write their copy to a and b.
      const [plain, blocked] = toBlocked ? [src, b] : [b, src];
      const run = () =>
        copyFilter(
          kernels,
          layout,
          shape,
          address(backend, plain),
          address(backend, blocked),
          toBlocked,
          args.bulk,
        );
      // A plain memmove of the same bytes (no reordering): the ceiling of any copy.
      const heapFloats = () => new Float32Array(backend.typedArrayFromHeap(src).buffer);
      const memmove = () =>
        heapFloats().copyWithin(
          address(backend, b) / 4,
          address(backend, src) / 4,
          size + address(backend, src) / 4,
        );
      const times: number[][] = [[], [], []];
      const batch = flush === undefined ? 10 : 1;
      for (let round = 0; round < reps / batch; round++) {
        for (const [k, f] of [onednn, run, memmove].entries()) {
          flush?.fill(round + k);
          const t0 = performance.now();
          for (let r = 0; r < batch; r++) f();
          times[k].push((performance.now() - t0) / batch);
        }
      }
      run(); // b again (memmove overwrote it)
      const [bitsA, bitsB] = [a, b].map((t) => new Uint32Array(t.dataSync().buffer));
      const same = bitsA.every((v, k) => v === bitsB[k]);
      const gbs = (ms: number) => (8 * size / ms / 1e6).toFixed(1);
      const [mo, me, mm] = times.map(median);
      console.log(
        `| ${shape.join("x")} | ${layout.name} | ${toBlocked ? "to" : "from"} | ${
          mo.toFixed(3)
        } | ` +
          `${me.toFixed(3)} | ${mm.toFixed(3)} | ${gbs(mo)} | ${gbs(me)} | ${same} |`,
      );
      tf.dispose([src, a, b]);
    }
  }
}
