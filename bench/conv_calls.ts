/**
 * Prints where a batch-1 (or `--batch N`) teacher training step's convolution time goes, call by
 * call (`lib/bench/conv_calls.ts`), as a markdown table, on `onednn` with `--threads N` (default
 * every core) and `--steps N` (default 40). `--two-threads` runs every oneDNN convolution on the
 * thread count (with `--threaded-reorders`, the filters' reorders too), `--one-thread` every
 * convolution under 32 M multiply-adds on one thread (the rule before the per-direction one);
 * `--no-filter-cache` reorders each filter on every call.
 *
 *   nice -n 0 deno run -A bench/conv_calls.ts --batch 1 --steps 40
 *
 * @module
 */

import { parseArgs } from "@std/cli";
import { selectBackend } from "../lib/backend/select.ts";
import { timeConvolutionCalls } from "../lib/bench/conv_calls.ts";
import {
  blockedFilterCache,
  convolutionThreading,
  primitiveCacheSummary,
} from "../lib/backend/onednn/convolution.ts";

const args = parseArgs(Deno.args, {
  string: ["batch", "steps", "threads"],
  boolean: ["two-threads", "one-thread", "threaded-reorders", "no-filter-cache"],
});
const batch = Number(args.batch ?? 1);
const steps = Number(args.steps ?? 40);
await selectBackend("onednn", { threads: args.threads ? Number(args.threads) : undefined });
const macs = convolutionThreading.singleThreadMacs;
if (args["two-threads"]) {
  macs.forward = macs.backwardData = macs.backwardWeights = 0;
  convolutionThreading.weightGradientMacs = 0;
  if (args["threaded-reorders"]) convolutionThreading.reorderSingleThreadMacs = 0;
}
if (args["one-thread"]) macs.forward = macs.backwardData = macs.backwardWeights = 32e6;
if (args["no-filter-cache"]) blockedFilterCache.enabled = false;
const rows = await timeConvolutionCalls(batch, steps);
let total = 0;
console.log("| pass | shape | by | calls/step | ms/call | reorder ms/step | GFLOP/s | ms/step |");
console.log("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |");
for (const r of rows) {
  const perStep = r.ms_per_call * r.calls_per_step;
  total += perStep;
  console.log(
    `| ${r.pass} | ${r.shape} | ${r.by} | ${r.calls_per_step} | ${r.ms_per_call.toFixed(3)} | ` +
      `${r.reorder_ms_per_step.toFixed(3)} | ${r.gflops.toFixed(1)} | ${perStep.toFixed(2)} |`,
  );
}
console.log(`convolutions: ${total.toFixed(2)} ms a step (sum of medians), batch ${batch}`);
const plans = primitiveCacheSummary();
console.log(`oneDNN plans made (each once): ${plans.count}, ${plans.implementations.join(", ")}`);
