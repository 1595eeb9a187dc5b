/**
 * The manifest (`run.json`) written beside every run's outputs: what ran (config, seed), where
 * (backend, versions, machine), on what (data source and split) and what came out (metrics).
 *
 * @module
 */

import * as tf from "../tf.ts";
import { writeJsonAtomic } from "../util/atomic.ts";
import denoJson from "../../deno.json" with { type: "json" };
import { edeganGitState, type GitState } from "./git_state.ts";

export type { GitState } from "./git_state.ts";

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
 * import { versions } from "./manifest.ts";
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
  cores: number;
  memoryGiB: number;
}

/**
 * What machine this is.
 *
 * @example
 * ```ts
 * import { machineInfo } from "./manifest.ts";
 * console.log(machineInfo().cores);
 * ```
 */
export function machineInfo(): MachineInfo {
  let cpu = "unknown";
  try {
    const text = Deno.readTextFileSync("/proc/cpuinfo");
    cpu = text.match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? cpu;
  } catch { /* not Linux */ }
  return {
    os: Deno.build.os,
    arch: Deno.build.arch,
    cpu,
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
  /** When the file was written (ISO 8601, UTC). */
  written: string;
}

/**
 * The stamp of {@link writeManifest}, for every file that records a result without being a
 * `run.json` (a sweep's job files, `deno task score`'s JSON).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { provenance } from "./manifest.ts";
 * assertEquals(Object.keys(provenance()), ["versions", "git", "machine", "written"]);
 * ```
 */
export function provenance(): Provenance {
  return {
    versions: versions(),
    git: edeganGitState(),
    machine: machineInfo(),
    written: new Date().toISOString(),
  };
}

/**
 * Writes a manifest atomically, stamped with {@link provenance}: versions, the git commit and
 * dirty state of edegan's checkout, machine and time.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { writeManifest } from "./manifest.ts";
 * const dir = await Deno.makeTempDir();
 * await writeManifest(`${dir}/run.json`, { kind: "train", seed: 1 });
 * const written = JSON.parse(await Deno.readTextFile(`${dir}/run.json`));
 * assertEquals(typeof written.git.dirty === "boolean" || written.git.note !== undefined, true);
 * ```
 */
export async function writeManifest(path: string, body: Record<string, unknown>): Promise<void> {
  await writeJsonAtomic(path, { ...body, ...provenance() });
}

/**
 * Reads a run's manifest: `undefined` when the file does not exist, an error naming it when it
 * cannot be read or is not a JSON object (a damaged manifest is never taken for a missing one).
 *
 * @example
 * ```ts
 * import { readManifest, writeManifest } from "./manifest.ts";
 * const dir = await Deno.makeTempDir();
 * if (await readManifest(`${dir}/run.json`) !== undefined) throw new Error("absent");
 * await writeManifest(`${dir}/run.json`, { kind: "train" });
 * if ((await readManifest(`${dir}/run.json`))?.kind !== "train") throw new Error();
 * ```
 */
export async function readManifest(path: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new Error(`${path}: cannot read the run's manifest (${(error as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `${path}: the run's manifest is not valid JSON (${(error as Error).message}); ` +
        "restore it, or delete it to give the data flags explicitly",
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${path}: the run's manifest is not a JSON object`);
  }
  return value as Record<string, unknown>;
}
