/**
 * The stamp of every file that records a result (`run.json`, a sweep's job files, a study's
 * JSON): the code (versions, git commit), the machine and the time. `run.json` itself is written
 * through `writeRunManifest` (./manifest.ts), which checks it against its schema first.
 *
 * @module
 */

import * as tf from "../tf.ts";
import { writeJsonAtomic } from "../util/atomic.ts";
import denoJson from "../../deno.json" with { type: "json" };
import { edeganGitState, type GitState } from "./git_state.ts";
import { type CommandLine, commandLine } from "../util/command_line.ts";

export type { GitState } from "./git_state.ts";
export { type CommandLine, commandLine } from "../util/command_line.ts";

/** The toolkit's version, read from deno.json so that there is one place to bump it. */
export const EDEGAN_VERSION: string = denoJson.version;

/** Versions of everything that can change a result. */
export interface Versions {
  edegan: string;
  deno: string;
  v8: string;
  typescript: string;
  tfjs: string;
}

/**
 * The versions in force now.
 *
 * @example
 * ```ts
 * import { versions } from "./provenance.ts";
 * console.log(versions().tfjs);
 * ```
 */
export function versions(): Versions {
  return {
    edegan: EDEGAN_VERSION,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    tfjs: tf.version_core,
  };
}

/** The machine a run or benchmark ran on. */
export interface MachineInfo {
  os: string;
  arch: string;
  cpu: string;
  /**
   * The CPU's vector instruction sets that decide which kernels oneDNN runs ({@link SIMD_FLAGS},
   * as /proc/cpuinfo names them; `[]` when it lists none of them). Two CPUs of one name can
   * differ here (an AMD EPYC with and without AVX-512), and onednn results come back bit for bit
   * only between
   * machines that agree (results/README.md, "Which results come back"). Absent in older files
   * and where /proc/cpuinfo cannot be read (not Linux).
   */
  simd?: string[];
  cores: number;
  memoryGiB: number;
}

/**
 * The /proc/cpuinfo flags recorded as {@link MachineInfo.simd}: the vector extensions by which
 * oneDNN (and V8's wasm SIMD, for fused multiply-adds) picks its code paths.
 */
export const SIMD_FLAGS = [
  "sse4_2",
  "avx",
  "avx2",
  "fma",
  "avx_vnni",
  "avx512f",
  "avx512dq",
  "avx512bw",
  "avx512vl",
  "avx512_vnni",
  "avx512_bf16",
  "amx_tile",
  "asimd",
  "sve",
] as const;

/**
 * The {@link SIMD_FLAGS} that the first processor of a /proc/cpuinfo text lists (x86 `flags`,
 * Arm `Features`), in that order; `[]` when it lists none.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { simdExtensions } from "./provenance.ts";
 * const text = "processor : 0\nflags : fpu sse4_2 fma avx avx2 avx512f\n";
 * assertEquals(simdExtensions(text), ["sse4_2", "avx", "avx2", "fma", "avx512f"]);
 * ```
 */
export function simdExtensions(cpuinfo: string): string[] {
  const line = cpuinfo.match(/^(?:flags|Features)\s*:\s*(.*)$/m)?.[1] ?? "";
  const flags = new Set(line.trim().split(/\s+/));
  return SIMD_FLAGS.filter((f) => flags.has(f));
}

/**
 * What machine this is.
 *
 * @example
 * ```ts
 * import { machineInfo } from "./provenance.ts";
 * console.log(machineInfo().cores);
 * ```
 */
export function machineInfo(): MachineInfo {
  let cpu = "unknown";
  let simd: string[] | undefined;
  try {
    const text = Deno.readTextFileSync("/proc/cpuinfo");
    cpu = text.match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? cpu;
    simd = simdExtensions(text);
  } catch { /* not Linux */ }
  return {
    os: Deno.build.os,
    arch: Deno.build.arch,
    cpu,
    ...(simd ? { simd } : {}),
    cores: navigator.hardwareConcurrency,
    memoryGiB: Math.round(Deno.systemMemoryInfo().total / 2 ** 30),
  };
}

/** What every manifest is stamped with: the code (versions, git commit), the machine, the time. */
export interface Provenance {
  versions: Versions;
  /** edegan's commit and uncommitted changes; `commit: null` with a `note` outside a checkout. */
  git: GitState;
  machine: MachineInfo;
  /** The command that wrote the file (main module and arguments). */
  command: CommandLine;
  /** When the file was written (ISO 8601, UTC). */
  written: string;
}

/**
 * The stamp of {@link writeManifest}, also for files that record a result without being written
 * by it (a sweep's job files, `deno task score`'s JSON).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { provenance } from "./provenance.ts";
 * assertEquals(Object.keys(provenance()), ["versions", "git", "machine", "command", "written"]);
 * ```
 */
export function provenance(): Provenance {
  return {
    versions: versions(),
    git: edeganGitState(),
    machine: machineInfo(),
    command: commandLine(),
    written: new Date().toISOString(),
  };
}

/**
 * Writes a JSON record atomically, stamped with {@link provenance}: versions, the git commit and
 * dirty state of edegan's checkout, machine and time. A `run.json` goes through
 * `writeRunManifest` instead, which checks it against the schema and then calls this.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { writeManifest } from "./provenance.ts";
 * const dir = await Deno.makeTempDir();
 * await writeManifest(`${dir}/study.json`, { kind: "study", seed: 1 });
 * const written = JSON.parse(await Deno.readTextFile(`${dir}/study.json`));
 * assertEquals(typeof written.git.dirty === "boolean" || written.git.note !== undefined, true);
 * ```
 */
export async function writeManifest(path: string, body: object): Promise<void> {
  await writeJsonAtomic(path, { ...body, ...provenance() });
}
