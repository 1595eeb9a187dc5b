/**
 * The machine stamp of every manifest records the CPU's vector extensions (`machine.simd`): two
 * "AMD EPYC" CPUs, one with AVX-512 and one without, run different oneDNN kernels and give
 * different bits (results/README.md, "Which results come back").
 */

import { assert, assertEquals } from "@std/assert";
import { parse } from "@std/yaml";
import {
  commandLine,
  EDEGAN_VERSION,
  machineInfo,
  provenance,
  simdExtensions,
} from "../../lib/run/provenance.ts";

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

Deno.test("commandLine: the main module relative to the checkout, and the arguments", () => {
  // This test file is the main module of neither `deno test` nor a task: a root above it.
  const root = new URL("../../", import.meta.url).href;
  const inside = commandLine(Deno.mainModule.slice(0, Deno.mainModule.lastIndexOf("/") + 1));
  assertEquals(inside.main, Deno.mainModule.slice(Deno.mainModule.lastIndexOf("/") + 1));
  assertEquals(commandLine("file:///nowhere/").main, Deno.mainModule);
  assertEquals(provenance().command, commandLine(root));
  assertEquals(provenance().command.args, Deno.args);
});

Deno.test("CITATION.cff: the toolkit's version is deno.json's, and it names both papers", async () => {
  const cff = parse(
    await Deno.readTextFile(new URL("../../CITATION.cff", import.meta.url)),
  ) as { "cff-version": string; version: string; references: { url: string }[] };
  assertEquals(cff["cff-version"], "1.2.0");
  assertEquals(cff.version, EDEGAN_VERSION);
  assertEquals(cff.references.map((r) => r.url), [
    "https://arxiv.org/abs/2109.07295",
    "https://arxiv.org/abs/2007.06963",
  ]);
});
