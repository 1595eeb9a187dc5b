/**
 * The manifest (`run.json`) written beside every run's outputs: what ran (config, seed), where
 * (backend, versions, machine), on what (data source and split) and what came out (metrics).
 *
 * @module
 */

import * as tf from "../tf.ts";
import { writeJsonAtomic } from "../util/atomic.ts";
import denoJson from "../../deno.json" with { type: "json" };

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

/**
 * Writes a manifest atomically, stamping versions, machine and time.
 *
 * @example
 * ```ts
 * import { writeManifest } from "./manifest.ts";
 * const dir = await Deno.makeTempDir();
 * await writeManifest(`${dir}/run.json`, { kind: "train", seed: 1 });
 * ```
 */
export async function writeManifest(path: string, body: Record<string, unknown>): Promise<void> {
  await writeJsonAtomic(path, {
    ...body,
    versions: versions(),
    machine: machineInfo(),
    written: new Date().toISOString(),
  });
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
