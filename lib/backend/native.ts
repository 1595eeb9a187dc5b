/**
 * Finding and starting the native TensorFlow backends (`@tensorflow/tfjs-node` and
 * `@tensorflow/tfjs-node-gpu`), which are Node-API addons around libtensorflow.
 *
 * Neither package is in deno.json's import map nor in deno.lock: both need an npm install script
 * (it downloads libtensorflow, about 300 MB, CUDA 11.2 + cuDNN 8.1 for the GPU build, from
 * storage.googleapis.com) and bring the `@tensorflow/tfjs` meta package with core-js, so a
 * default install would print Deno's "Ignored build scripts" warning for them and install about
 * 110 packages nobody uses without them. `deno task setup:native` installs one into the project's
 * `node_modules` (`deno install --no-lock --entrypoint npm:...`, which leaves deno.json and
 * deno.lock as they are; a later plain `deno install` removes it again), and it is imported at run
 * time by its file path there ({@link nativePackageDir}), which Deno's module graph and lock never
 * see. This module checks for the files before importing the package, so that a missing install
 * becomes one clear message instead of a crash. The package itself is imported only through
 * {@link importNativePackage}, which first gives `node:util` the functions tfjs-node 4.22 calls and
 * Deno lacks (`_node_util_shim.ts`).
 *
 * @module
 */

import { fromFileUrl, join, toFileUrl } from "@std/path";
import { installRemovedUtilFunctions } from "./_node_util_shim.ts";

/** The two native backends and their npm packages. */
export const NATIVE_PACKAGES = {
  "tensorflow": "@tensorflow/tfjs-node",
  "tensorflow-gpu": "@tensorflow/tfjs-node-gpu",
} as const;

/** A native backend name. */
export type NativeBackendName = keyof typeof NATIVE_PACKAGES;

/** The version of the tfjs-node packages: tfjs-core's, which they must share. */
export const TFJS_NODE_VERSION = "4.22.0";

/**
 * The `npm:` specifier of a native backend's package, exact version, as `setup:native` installs it.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { nativeSpecifier } from "./native.ts";
 * assertEquals(nativeSpecifier("tensorflow"), "npm:@tensorflow/tfjs-node@4.22.0");
 * ```
 */
export function nativeSpecifier(name: NativeBackendName): string {
  return `npm:${NATIVE_PACKAGES[name]}@${TFJS_NODE_VERSION}`;
}

/**
 * Where Deno puts a native backend's package in a project (`nodeModulesDir: "auto"`) when
 * `setup:native` installs it: the folder it is imported from.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { nativePackageDir } from "./native.ts";
 * assertEquals(
 *   nativePackageDir("/p", "tensorflow-gpu"),
 *   "/p/node_modules/.deno/@tensorflow+tfjs-node-gpu@4.22.0/node_modules/@tensorflow/tfjs-node-gpu",
 * );
 * ```
 */
export function nativePackageDir(projectRoot: string, name: NativeBackendName): string {
  const pkg = NATIVE_PACKAGES[name];
  return join(
    projectRoot,
    "node_modules",
    ".deno",
    `${pkg.replace("/", "+")}@${TFJS_NODE_VERSION}`,
    "node_modules",
    pkg,
  );
}

/** The exact command that installs a native backend with its install script allowed. */
export function nativeInstallCommand(name: NativeBackendName): string {
  return `deno task setup:native ${
    name === "tensorflow-gpu" ? "gpu" : "cpu"
  }  # runs: deno install --no-lock ` +
    `--allow-scripts=${nativeSpecifier(name)} --entrypoint ${nativeSpecifier(name)}`;
}

/** Folders where a package may be installed: the working directory's and this project's. */
function packageDirs(name: NativeBackendName): string[] {
  const projectRoot = fromFileUrl(new URL("../../", import.meta.url));
  const dirs = [nativePackageDir(Deno.cwd(), name), nativePackageDir(projectRoot, name)];
  return [...new Set(dirs)];
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks, without importing anything, whether a native backend is installed completely. Returns
 * `null` when it is, or the reason it is not, with the fix.
 *
 * @example
 * ```ts
 * import { nativeInstallProblem } from "./native.ts";
 * const why = nativeInstallProblem("tensorflow");
 * if (why !== null && !why.includes("setup:native")) throw new Error("names the fix");
 * ```
 */
export function nativeInstallProblem(name: NativeBackendName): string | null {
  const pkg = NATIVE_PACKAGES[name];
  const dir = packageDirs(name).find(exists);
  const fix =
    `Fix, on a Linux x64 machine${
      name === "tensorflow-gpu" ? " with an NVIDIA driver, CUDA 11.2 and cuDNN 8.1" : ""
    }: ${nativeInstallCommand(name)} (with internet access; or --mirror URL, or ` +
    `--libtensorflow PATH to a local libtensorflow 2.9.1 tarball, see --help)`;
  if (dir === undefined) {
    return `npm package ${pkg} is not installed (it is not part of the default install, and a ` +
      `plain \`deno install\` removes it; looked in ${packageDirs(name).join(", ")}). ${fix}`;
  }
  if (Deno.build.os !== "linux" && Deno.build.os !== "darwin" && Deno.build.os !== "windows") {
    return `${pkg} has no build for ${Deno.build.os}.`;
  }
  const addon = join(dir, "lib", "napi-v8", "tfjs_binding.node");
  if (!exists(addon)) {
    return `${pkg} is installed but its native addon ${addon} is missing: its install script, ` +
      `which downloads libtensorflow from storage.googleapis.com, did not run (Deno skips npm ` +
      `install scripts unless allowed) or could not reach the internet. ${fix}`;
  }
  const lib = join(dir, "deps", "lib");
  if (!exists(lib)) {
    return `${pkg} has its addon but no libtensorflow under ${lib}: the download in its install ` +
      `script failed. ${fix}`;
  }
  return null;
}

/**
 * Imports a native backend's npm package (which registers tfjs's `tensorflow` backend), after
 * giving `node:util` the `util.is*` functions the package calls and Deno 2.9 lacks
 * (`isNullOrUndefined`, used for the type attribute of almost every op). Check
 * {@link nativeInstallProblem} first: importing a package whose addon is missing throws.
 *
 * @example
 * ```ts
 * import { importNativePackage, nativeInstallProblem } from "./native.ts";
 * if (nativeInstallProblem("tensorflow") === null) await importNativePackage("tensorflow");
 * ```
 */
export async function importNativePackage(name: NativeBackendName): Promise<unknown> {
  installRemovedUtilFunctions();
  const dir = packageDirs(name).find(exists) ?? packageDirs(name)[0];
  const { main } = JSON.parse(await Deno.readTextFile(join(dir, "package.json"))) as {
    main?: string;
  };
  // A file URL computed at run time: Deno's module graph (and so deno.lock) never sees it, and
  // Deno loads it as the npm package it is because it lies under node_modules/.
  return await import(toFileUrl(join(dir, main ?? "index.js")).href);
}

/**
 * Turns an error thrown while starting a native backend into a message with the fix, for the known
 * failures: missing libtensorflow, a wrong CUDA/cuDNN version, no GPU visible.
 *
 * @example
 * ```ts
 * import { explainNativeError } from "./native.ts";
 * const msg = explainNativeError("tensorflow-gpu", new Error("libcudart.so.11.0: cannot open shared object file"));
 * if (!msg.includes("CUDA 11.2")) throw new Error("names CUDA");
 * ```
 */
export function explainNativeError(name: NativeBackendName, error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const pkg = NATIVE_PACKAGES[name];
  if (/libcud(art|nn|a|blas|fft|rand|solver|sparse)[^ ]*\.so/i.test(text)) {
    return `${pkg} could not load a CUDA library (${firstLine(text)}). The GPU build of ` +
      `TensorFlow 2.9 needs CUDA 11.2 and cuDNN 8.1 on LD_LIBRARY_PATH; install those exact ` +
      `versions, or use --backend tensorflow (CPU) or webgpu.`;
  }
  if (/libtensorflow[^ ]*\.so/i.test(text)) {
    return `${pkg} could not load libtensorflow (${firstLine(text)}). Reinstall it with its ` +
      `install script allowed: ${nativeInstallCommand(name)}`;
  }
  if (/no (cuda|gpu)|CUDA_ERROR_NO_DEVICE|cuInit/i.test(text)) {
    return `${pkg} found no GPU (${firstLine(text)}). Check nvidia-smi and ` +
      `CUDA_VISIBLE_DEVICES, or use --backend tensorflow, webgpu or wasm.`;
  }
  if (/tfjs_binding\.node/.test(text)) {
    return `${pkg}'s native addon is missing (${firstLine(text)}). ${nativeInstallCommand(name)}`;
  }
  return `${pkg} failed to start: ${firstLine(text)}`;
}

function firstLine(text: string): string {
  return text.split("\n")[0].trim();
}
