/**
 * The machine stamp of every manifest records the CPU's vector extensions (`machine.simd`): two
 * "AMD EPYC" CPUs, one with AVX-512 and one without, run different oneDNN kernels and give
 * different bits (results/README.md, "Which results come back").
 */

import { assert, assertEquals } from "@std/assert";
import { machineInfo, simdExtensions } from "../../lib/run/provenance.ts";

Deno.test("simdExtensions: x86 flags and Arm features, in SIMD_FLAGS' order; none is []", () => {
  const zen2 = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\n" +
    "flags\t\t: fpu vme sse sse2 ssse3 fma cx16 sse4_1 sse4_2 avx f16c avx2 bmi2\n\n" +
    "processor\t: 1\nflags\t\t: avx512f\n";
  // Only the first processor's line counts.
  assertEquals(simdExtensions(zen2), ["sse4_2", "avx", "avx2", "fma"]);
  const xeon =
    "flags : sse4_2 avx avx2 fma avx512f avx512bw avx512vl avx512_vnni avx512_bf16 amx_tile";
  assertEquals(simdExtensions(xeon).length, 10);
  assertEquals(simdExtensions("Features\t: fp asimd evtstrm aes sve\n"), ["asimd", "sve"]);
  assertEquals(simdExtensions("model name : something\n"), []);
  // "avx512f" is not read as "avx" or "avx2": whole flags only.
  assertEquals(simdExtensions("flags : avx512f"), ["avx512f"]);
});

Deno.test("machineInfo: records simd on Linux, as /proc/cpuinfo lists it", async () => {
  const info = machineInfo();
  assert(Array.isArray(info.simd));
  if (Deno.build.os === "linux") {
    assertEquals(info.simd, simdExtensions(await Deno.readTextFile("/proc/cpuinfo")));
    if (Deno.build.arch === "x86_64") assert(info.simd!.includes("sse4_2"));
  }
});
