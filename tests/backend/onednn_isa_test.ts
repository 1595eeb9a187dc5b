// oneDNN's instruction set: recorded in the backend's description (which every manifest keeps),
// capped by ONEDNN_MAX_CPU_ISA, a value oneDNN would ignore refused, and the capped kernels still
// computing the convolutions the cpu backend does.
import { assert, assertEquals } from "@std/assert";
import { machineInfo } from "../../lib/run/provenance.ts";
import { dnnlAvailable, skipUnless } from "../_helpers.ts";

const available = dnnlAvailable();
// The children inherit this environment: a cap set here already would change what they start.
const capped = ["ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA"].some((v) =>
  Deno.env.get(v) !== undefined
);
const skip = () => {
  if (skipUnless(available, "oneDNN (apt-get install libdnnl2)")) return true;
  if (capped) {
    console.warn("skipping: ONEDNN_MAX_CPU_ISA or DNNL_MAX_CPU_ISA is set (the test sets its own)");
  }
  return capped;
};

/** Starts onednn in a child with `env`, and (cap set) compares its convolutions with cpu's. */
async function child(env: Record<string, string>): Promise<string> {
  const code = `
    import * as tf from "./lib/tf.ts";
    import { selectBackend } from "./lib/backend/select.ts";
    import { compute, relativeError } from "./tests/backend/_conv.ts";
    let started;
    try { started = await selectBackend("onednn"); }
    catch (e) { console.log("ERROR " + e.message); Deno.exit(0); }
    console.log("DEVICE " + started.device);
    // The teacher's third layer (oneDNN's own kernels at batch 1 and 4), all six outputs.
    for (const c of [[1, 8, 8, 128, 256, 4, 2, "same"], [4, 16, 16, 64, 128, 4, 2, "same"]]) {
      await selectBackend("onednn");
      const got = compute(c);
      await selectBackend("cpu");
      const want = compute(c);
      console.log("ERR " + Math.max(...got.map((g, i) => relativeError(g, want[i]))));
    }`;
  const { code: status, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout);
  assertEquals(status, 0, out + new TextDecoder().decode(stderr));
  return out;
}

Deno.test("onednn names its kernels' instruction set: the CPU's best, or the cap", async () => {
  if (skip()) return;
  const simd = machineInfo().simd ?? [];
  const best = simd.includes("avx512f")
    ? /avx512_\w+ kernels/
    : simd.includes("avx2")
    ? /avx2\w* kernels/
    : /\w+ kernels/;
  const free = await child({});
  assert(best.test(free), free);
  assert(!free.includes("ONEDNN_MAX_CPU_ISA"), free);
  // Capped to AVX (every x86-64 CPU this project meets has it): other kernels, the same values.
  const capped = await child({ ONEDNN_MAX_CPU_ISA: "avx" });
  assert(capped.includes(", avx kernels under ONEDNN_MAX_CPU_ISA=avx)"), capped);
  const errors = [...capped.matchAll(/ERR (\S+)/g)].map((m) => Number(m[1]));
  assertEquals(errors.length, 2, capped);
  for (const e of errors) assert(e < 1e-4, capped);
});

Deno.test("a cap oneDNN would ignore is refused, naming the variable", async () => {
  if (skip()) return;
  const out = await child({ DNNL_MAX_CPU_ISA: "avx3" });
  assert(out.includes("ERROR backend 'onednn' cannot start"), out);
  assert(out.includes("DNNL_MAX_CPU_ISA=avx3 is not an instruction set oneDNN knows"), out);
  assert(out.includes("AVX512_CORE"), out);
});
