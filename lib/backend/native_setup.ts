/**
 * The steps of `deno task setup:native`: installing `@tensorflow/tfjs-node(-gpu)@4.22.0` with its
 * libtensorflow 2.9.1 and its native addon, as a list of commands that a dry run prints and a real
 * run executes, the same list both times.
 *
 * What the package's install script (`scripts/install.js`) does, and what each option changes:
 * - it downloads `${TFJS_NODE_BASE_URI}${build}-linux-x86_64-2.9.1.tar.gz` (default base
 *   `https://storage.googleapis.com/tensorflow/libtensorflow/libtensorflow-`) and unpacks it into
 *   the package's `deps/`. `--mirror` sets `TFJS_NODE_BASE_URI`. A `deps/lib/libtensorflow.so.2.9.1`
 *   already there skips the download, but only when the script is run without its `download`
 *   argument, and the GPU package's npm install script passes `download`: so with
 *   `--libtensorflow` the tarball is unpacked into `deps/` and the script run directly
 *   (`node scripts/install.js gpu`), not through `deno install --allow-scripts`.
 * - it then runs `node-pre-gyp install --fallback-to-build`: the prebuilt addon from
 *   storage.googleapis.com, or a build from source with node-gyp when that download fails.
 *   `npm_config_nodedir` (Node's headers from the system, `/usr` for Debian's nodejs) keeps that
 *   build from downloading the headers too; `--build-from-source` skips the prebuilt addon
 *   (`npm_config_build_from_source=true`, read by node-pre-gyp).
 * - it rewrites its `package.json` while it runs, and Deno hard-links that file to its global npm
 *   cache: the plan gives the package its own copy first, so the cache is never changed.
 * - Deno runs a package's install script once (`.scripts-run` marks it): the plan removes the mark
 *   so that a second try after a failure runs the script again.
 *
 * @module
 */

import { dirname, join, resolve } from "@std/path";
import {
  NATIVE_PACKAGES,
  type NativeBackendName,
  nativePackageDir as packageDirOf,
  nativeSpecifier,
  TFJS_NODE_VERSION,
} from "./native.ts";

export { TFJS_NODE_VERSION };

/** The libtensorflow version `@tensorflow/tfjs-node@4.22.0` is built against. */
export const LIBTENSORFLOW_VERSION = "2.9.1";
/** The install script's default download base (its `TFJS_NODE_BASE_URI`). */
export const DEFAULT_BASE_URI =
  "https://storage.googleapis.com/tensorflow/libtensorflow/libtensorflow-";

/** Which build to install: the GPU package (CUDA 11.2, cuDNN 8.1) or the CPU one. */
export type NativeBuild = "gpu" | "cpu";

/** What `deno task setup:native` was asked to do (its flags). */
export interface NativeSetupOptions {
  /** The GPU or the CPU package. */
  build: NativeBuild;
  /**
   * Where to download libtensorflow from instead of storage.googleapis.com: the prefix the install
   * script's `TFJS_NODE_BASE_URI` takes (it appends `gpu-linux-x86_64-2.9.1.tar.gz`), or a folder
   * URL ending in `/` that holds `libtensorflow-gpu-linux-x86_64-2.9.1.tar.gz`. http or https.
   */
  mirror?: string;
  /** A local libtensorflow 2.9.1 tarball (`libtensorflow-gpu-linux-x86_64-2.9.1.tar.gz`). */
  libtensorflow?: string;
  /** Compile the addon with node-gyp instead of downloading the prebuilt one. */
  buildFromSource?: boolean;
  /** The folder with Node's headers in `include/node/` (default `/usr` where they are there). */
  nodedir?: string;
}

/** One command of the plan. */
export interface SetupStep {
  /** What it is for, in words. */
  why: string;
  /** The program and its arguments. */
  command: string[];
  /** Environment variables set for it, on top of the current ones. */
  env?: Record<string, string>;
  /** A folder put in front of `PATH` for it. */
  pathPrepend?: string;
  /** Its working directory; the project root when absent. */
  cwd?: string;
}

/** The plan, with what could be seen to be missing before running it. */
export interface SetupPlan {
  steps: SetupStep[];
  /** Tools the plan needs that are not on this machine; a real run refuses to start with any. */
  missing: string[];
  /** Where libtensorflow comes from, in words (a URL or the local tarball). */
  libtensorflowSource: string;
}

function backendName(build: NativeBuild): NativeBackendName {
  return build === "gpu" ? "tensorflow-gpu" : "tensorflow";
}

/**
 * Where Deno puts a native package's files in a project (`nodeModulesDir: "auto"`), by build.
 *
 * @example
 * ```ts
 * import { nativePackageDir } from "./native_setup.ts";
 * const dir = nativePackageDir("/p", "gpu");
 * if (!dir.endsWith("@tensorflow+tfjs-node-gpu@4.22.0/node_modules/@tensorflow/tfjs-node-gpu")) {
 *   throw new Error(dir);
 * }
 * ```
 */
export function nativePackageDir(projectRoot: string, build: NativeBuild): string {
  return packageDirOf(projectRoot, backendName(build));
}

/**
 * The install script's `TFJS_NODE_BASE_URI` for a `--mirror` value: the value itself when it is
 * a prefix, `URL + "libtensorflow-"` when it is a folder (ends in `/`). Throws, naming `--mirror`,
 * for anything but an http(s) URL (the script downloads with Node's http/https only).
 *
 * @example
 * ```ts
 * import { mirrorBaseUri } from "./native_setup.ts";
 * if (mirrorBaseUri("http://m.lan/tf/") !== "http://m.lan/tf/libtensorflow-") throw new Error();
 * ```
 */
export function mirrorBaseUri(mirror: string): string {
  let url: URL;
  try {
    url = new URL(mirror);
  } catch {
    throw new Error(`--mirror: '${mirror}' is not a URL; expected http(s)://HOST/PATH/`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(
      `--mirror: '${mirror}' is ${url.protocol} but the install script downloads over http or ` +
        "https only; for a file on this machine use --libtensorflow PATH",
    );
  }
  return mirror.endsWith("/") ? `${mirror}libtensorflow-` : mirror;
}

/**
 * The URL the install script downloads libtensorflow from on Linux x64, for a build and an optional
 * `--mirror`.
 *
 * @example
 * ```ts
 * import { libtensorflowUrl } from "./native_setup.ts";
 * const url = libtensorflowUrl("gpu");
 * if (!url.endsWith("/libtensorflow-gpu-linux-x86_64-2.9.1.tar.gz")) throw new Error(url);
 * ```
 */
export function libtensorflowUrl(build: NativeBuild, mirror?: string): string {
  const base = mirror === undefined ? DEFAULT_BASE_URI : mirrorBaseUri(mirror);
  return `${base}${build}-linux-x86_64-${LIBTENSORFLOW_VERSION}.tar.gz`;
}

/** Files a libtensorflow 2.9.1 tarball for Linux has, relative to its top. */
export const LIBTENSORFLOW_TARBALL_FILES = [
  `lib/libtensorflow.so.${LIBTENSORFLOW_VERSION}`,
  `lib/libtensorflow_framework.so.${LIBTENSORFLOW_VERSION}`,
  "include/tensorflow/c/c_api.h",
  "include/tensorflow/c/eager/c_api.h",
] as const;

/**
 * Checks a `--libtensorflow` tarball before anything is changed: that it exists, is a gzip tarball
 * (listed with `tar -tzf`), has the official layout (`lib/` and `include/` at its top, as the
 * install script's download does; see {@link LIBTENSORFLOW_TARBALL_FILES}), is version 2.9.1, and
 * is not named as the other build. Returns the absolute path; throws an error naming
 * `--libtensorflow`, the file and what was expected.
 *
 * @example
 * ```ts
 * import { checkLibtensorflowTarball } from "./native_setup.ts";
 * const error = await checkLibtensorflowTarball("/nonexistent.tar.gz", "gpu").catch((e) => e);
 * if (!String(error).includes("--libtensorflow")) throw new Error("names the flag");
 * ```
 */
export async function checkLibtensorflowTarball(path: string, build: NativeBuild): Promise<string> {
  const expected = `libtensorflow-${build}-linux-x86_64-${LIBTENSORFLOW_VERSION}.tar.gz`;
  const where = `--libtensorflow ${path}`;
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch {
    throw new Error(`${where}: no such file (expected the tarball ${expected})`);
  }
  if (!info.isFile) throw new Error(`${where}: not a file (expected the tarball ${expected})`);
  const name = path.split("/").pop() ?? path;
  const other = build === "gpu" ? "cpu" : "gpu";
  if (name.includes(`-${other}-`)) {
    throw new Error(
      `${where}: its name says it is the ${other.toUpperCase()} build, but this installs the ` +
        `${build} package (expected ${expected}); pass '${other}' to install that one`,
    );
  }
  const listing = await new Deno.Command("tar", {
    args: ["-tzf", path],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (listing.code !== 0) {
    const why = new TextDecoder().decode(listing.stderr).trim().split("\n")[0];
    throw new Error(`${where}: not a gzip-compressed tarball (tar -tzf: ${why})`);
  }
  const entries = new Set(
    new TextDecoder().decode(listing.stdout).split("\n").map((e) => e.replace(/^\.\//, "")),
  );
  const missing = LIBTENSORFLOW_TARBALL_FILES.filter((f) => !entries.has(f));
  if (missing.length === 0) return resolve(path);
  // A libtensorflow of another version, wherever it sits in the tarball.
  const others = [...entries].filter((e) => {
    const m = /(?:^|\/)libtensorflow\.so\.(\d+\.\d+\.\d+)$/.exec(e);
    return m !== null && m[1] !== LIBTENSORFLOW_VERSION;
  });
  if (others.length > 0) {
    throw new Error(
      `${where}: has ${others.join(", ")}, but @tensorflow/tfjs-node@${TFJS_NODE_VERSION} ` +
        `needs libtensorflow ${LIBTENSORFLOW_VERSION} (lib/libtensorflow.so.${LIBTENSORFLOW_VERSION})`,
    );
  }
  throw new Error(
    `${where}: not the layout of a libtensorflow ${LIBTENSORFLOW_VERSION} tarball: missing ` +
      `${missing.join(", ")} (the official tarball has lib/ and include/ at its top; this one ` +
      `starts with ${[...entries].filter((e) => e !== "").slice(0, 3).join(", ") || "nothing"})`,
  );
}

/** The first folder on `PATH` that has an executable `name`, or `undefined`. */
export function findOnPath(name: string, path = Deno.env.get("PATH") ?? ""): string | undefined {
  for (const dir of path.split(":")) {
    if (dir === "") continue;
    try {
      const info = Deno.statSync(join(dir, name));
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return join(dir, name);
    } catch {
      // not in this folder
    }
  }
  return undefined;
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
 * The commands that install a native backend in `projectRoot` with `options`, and the tools they
 * need that this machine lacks. Reads the `--libtensorflow` tarball's listing (and throws as
 * {@link checkLibtensorflowTarball} does) but changes nothing.
 *
 * Without `--libtensorflow` or `--build-from-source`, the package's npm install script runs through
 * `deno install --allow-scripts` (downloading libtensorflow from `--mirror` when given); with
 * either, the script runs directly under Node (`node scripts/install.js BUILD`, no `download`
 * argument), after the tarball is unpacked into `deps/`.
 *
 * @example
 * ```ts
 * import { planNativeSetup } from "./native_setup.ts";
 * const plan = await planNativeSetup({ build: "cpu", mirror: "http://m.lan/tf/" }, "/p");
 * const last = plan.steps.at(-1)!;
 * if (last.env?.TFJS_NODE_BASE_URI !== "http://m.lan/tf/libtensorflow-") throw new Error();
 * ```
 */
export async function planNativeSetup(
  options: NativeSetupOptions,
  projectRoot: string,
): Promise<SetupPlan> {
  const name = backendName(options.build);
  const pkg = NATIVE_PACKAGES[name];
  const dir = nativePackageDir(projectRoot, options.build);
  const steps: SetupStep[] = [];
  const missing: string[] = [];
  const baseUri = options.mirror === undefined ? undefined : mirrorBaseUri(options.mirror);
  const tarball = options.libtensorflow === undefined
    ? undefined
    : await checkLibtensorflowTarball(options.libtensorflow, options.build);
  if (options.build === "gpu" && Deno.build.os !== "linux") {
    throw new Error("setup:native gpu: @tensorflow/tfjs-node-gpu has builds for Linux x64 only");
  }
  if (tarball !== undefined && Deno.build.os !== "linux") {
    throw new Error(`--libtensorflow: supported on Linux only (this is ${Deno.build.os})`);
  }

  let nodedir = options.nodedir;
  if (nodedir !== undefined) {
    if (!exists(join(nodedir, "include", "node", "node_api.h"))) {
      throw new Error(
        `--nodedir ${nodedir}: no include/node/node_api.h there (expected the folder that holds ` +
          "Node's headers, /usr for Debian's nodejs)",
      );
    }
  } else if (exists("/usr/include/node/node_api.h")) nodedir = "/usr";
  const direct = tarball !== undefined || options.buildFromSource === true;
  if (options.buildFromSource && nodedir === undefined) {
    missing.push(
      "Node's headers (no /usr/include/node/node_api.h: apt-get install nodejs, or pass --nodedir)",
    );
  }
  if (direct && findOnPath("node") === undefined) {
    missing.push(
      "node (runs the install script, node-pre-gyp and node-gyp: apt-get install nodejs)",
    );
  }
  if (options.buildFromSource) {
    for (const tool of ["make", "g++", "python3"]) {
      if (findOnPath(tool) === undefined) missing.push(`${tool} (to compile the addon)`);
    }
  }

  // The package is not in deno.json's import map nor in deno.lock (lib/backend/native.ts):
  // `--entrypoint npm:...` installs it into the project's node_modules, `--no-lock` leaves the lock
  // as it is.
  const install = [Deno.execPath(), "install", "--no-lock"];
  const entry = ["--entrypoint", nativeSpecifier(name)];
  if (!exists(dir)) {
    steps.push({
      // Quiet: Deno would warn that it skipped the install script, which the last step runs.
      why: `install ${pkg}'s JavaScript into node_modules, without its install script`,
      command: [...install, "--quiet", ...entry],
    });
  }
  const packageJson = join(dir, "package.json");
  steps.push({
    why: "give the package its own package.json: the install script rewrites it, and Deno " +
      "hard-links it to its global npm cache",
    command: ["cp", packageJson, `${packageJson}.own`],
  }, { why: "(second half of that)", command: ["mv", "-f", `${packageJson}.own`, packageJson] });
  if (tarball !== undefined) {
    const deps = join(dir, "deps");
    steps.push(
      { why: "start from an empty deps/", command: ["rm", "-rf", deps] },
      { why: "(second half of that)", command: ["mkdir", "-p", deps] },
      {
        why: `unpack libtensorflow ${LIBTENSORFLOW_VERSION} where the install script looks first`,
        command: ["tar", "-xzf", tarball, "-C", deps],
      },
    );
  }
  const env: Record<string, string> = {};
  if (baseUri !== undefined) env.TFJS_NODE_BASE_URI = baseUri;
  if (nodedir !== undefined) env.npm_config_nodedir = nodedir;
  if (options.buildFromSource) env.npm_config_build_from_source = "true";
  if (direct) {
    steps.push({
      why: tarball !== undefined
        ? "run the install script: it finds deps/ and builds the addon"
        : "run the install script: download libtensorflow, then build the addon from source",
      command: ["node", "scripts/install.js", options.build],
      env,
      pathPrepend: join(projectRoot, "node_modules", ".bin"),
      cwd: dir,
    });
  } else {
    const marker = join(dirname(dirname(dirname(dir))), ".scripts-run");
    steps.push({
      why: "let Deno run the install script again (it runs it once and marks it)",
      command: ["rm", "-f", marker],
    }, {
      why:
        "run the package's install script: download libtensorflow, then fetch or build the addon",
      command: [...install, `--allow-scripts=${nativeSpecifier(name)}`, ...entry],
      env,
    });
  }
  return {
    steps,
    missing,
    libtensorflowSource: tarball ?? libtensorflowUrl(options.build, options.mirror),
  };
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * A step as the shell line that does the same (`cd DIR && VAR=value ... command args`): what a dry
 * run prints.
 *
 * @example
 * ```ts
 * import { formatStep } from "./native_setup.ts";
 * const line = formatStep({ why: "", command: ["node", "install.js"], env: { A: "1" }, cwd: "/p" });
 * if (line !== "cd /p && A=1 node install.js") throw new Error(line);
 * ```
 */
export function formatStep(step: SetupStep): string {
  const env = Object.entries(step.env ?? {}).map(([k, v]) => `${k}=${shellQuote(v)}`);
  if (step.pathPrepend !== undefined) env.unshift(`PATH=${shellQuote(step.pathPrepend)}:"$PATH"`);
  const line = [...env, ...step.command.map(shellQuote)].join(" ");
  return step.cwd === undefined ? line : `cd ${shellQuote(step.cwd)} && ${line}`;
}

/**
 * Runs the steps in order, printing each (as {@link formatStep}) before it runs, with their output
 * passed through. Throws at the first that fails, naming it and its exit code.
 *
 * @example
 * ```ts
 * import { runSetupSteps } from "./native_setup.ts";
 * await runSetupSteps([{ why: "check", command: ["true"] }], () => {});
 * ```
 */
export async function runSetupSteps(
  steps: SetupStep[],
  log: (line: string) => void = console.log,
  projectRoot = Deno.cwd(),
): Promise<void> {
  for (const step of steps) {
    log(`+ ${formatStep(step)}`);
    const env = { ...step.env };
    if (step.pathPrepend !== undefined) {
      env.PATH = `${step.pathPrepend}:${Deno.env.get("PATH") ?? ""}`;
    }
    const { code } = await new Deno.Command(step.command[0], {
      args: step.command.slice(1),
      env,
      cwd: step.cwd ?? projectRoot,
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (code !== 0) {
      throw new Error(`step failed (exit ${code}): ${formatStep(step)} (${step.why})`);
    }
  }
}
