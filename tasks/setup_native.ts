/**
 * `deno task setup:native [gpu|cpu] [--mirror URL] [--libtensorflow PATH] [--build-from-source]
 * [--nodedir DIR] [--dry-run]`: installs the native TensorFlow backend (`@tensorflow/tfjs-node-gpu`
 * or `@tensorflow/tfjs-node` 4.22.0, with libtensorflow 2.9.1 and its addon), then
 * `--backend tensorflow-gpu` (or `tensorflow`) works. The steps are in
 * lib/backend/native_setup.ts; `--dry-run` prints them as shell lines and runs nothing.
 *
 * @module
 */

import { parseArgs } from "@std/cli";
import { runTask } from "../lib/cli/flags.ts";
import { nativeInstallProblem } from "../lib/backend/native.ts";
import { formatStep, planNativeSetup, runSetupSteps } from "../lib/backend/native_setup.ts";

const HELP = `deno task setup:native [gpu|cpu] [flags]

Installs @tensorflow/tfjs-node-gpu (gpu, the default; Linux x64, CUDA 11.2, cuDNN 8.1) or
@tensorflow/tfjs-node (cpu) 4.22.0 with libtensorflow 2.9.1 and its native addon. Neither is part
of the default install: this puts one into node_modules and leaves deno.json and deno.lock as they
are; a plain \`deno install\` removes it again (run this after one).

Flags:
  --mirror URL          download libtensorflow from URL instead of storage.googleapis.com: a folder
                        (ending in /) holding libtensorflow-gpu-linux-x86_64-2.9.1.tar.gz, or the
                        prefix the install script's TFJS_NODE_BASE_URI takes
  --libtensorflow PATH  use this local libtensorflow 2.9.1 tarball (nothing is downloaded for it)
  --build-from-source   compile the addon with node-gyp instead of downloading the prebuilt one
                        (needs node, make, g++, python3 and Node's headers)
  --nodedir DIR         where Node's headers are (DIR/include/node) [default: /usr if there]
  --dry-run             print the commands, run nothing
  --help                show this help`;

const STRINGS = ["mirror", "libtensorflow", "nodedir"];
const BOOLEANS = ["build-from-source", "dry-run", "help"];

await runTask(async () => {
  const unknown: string[] = [];
  const flags = parseArgs(Deno.args, {
    string: STRINGS,
    boolean: BOOLEANS,
    unknown: (arg: string, key?: string) => {
      if (key !== undefined) unknown.push(arg);
      return key === undefined;
    },
  });
  if (unknown.length > 0) {
    throw new Error(
      `setup:native: unknown flag ${unknown[0]}; accepted: ${
        [...STRINGS, ...BOOLEANS].map((n) => `--${n}`).join(", ")
      }`,
    );
  }
  if (flags.help) {
    console.log(HELP);
    return;
  }
  for (const name of STRINGS) {
    if (flags[name] === "") throw new Error(`--${name}: expected a value`);
  }
  if (flags._.length > 1) {
    throw new Error(`setup:native: expected one of gpu, cpu, got '${flags._.join(" ")}'`);
  }
  const which = String(flags._[0] ?? "gpu");
  if (which !== "gpu" && which !== "cpu") {
    throw new Error(`setup:native: expected 'gpu' or 'cpu', got '${which}'`);
  }
  const plan = await planNativeSetup({
    build: which,
    mirror: flags.mirror,
    libtensorflow: flags.libtensorflow,
    buildFromSource: flags["build-from-source"],
    nodedir: flags.nodedir,
  }, Deno.cwd());
  console.log(`libtensorflow: ${plan.libtensorflowSource}`);
  if (flags["dry-run"]) {
    console.log("dry run: would run, in this folder:");
    for (const step of plan.steps) console.log(formatStep(step));
    for (const tool of plan.missing) console.log(`missing here: ${tool}`);
    return;
  }
  if (plan.missing.length > 0) {
    throw new Error(`setup:native: missing ${plan.missing.join("; ")}`);
  }
  try {
    await runSetupSteps(plan.steps);
  } catch (error) {
    throw new Error(
      `${(error as Error).message}. If the download failed (no network, or 403 from ` +
        "storage.googleapis.com), pass --mirror URL or --libtensorflow PATH; if the addon's " +
        "build failed, it needs node, make, g++, python3 and Node's headers (--nodedir)",
    );
  }
  const name = which === "gpu" ? "tensorflow-gpu" : "tensorflow";
  const problem = nativeInstallProblem(name);
  if (problem !== null) throw new Error(`the install did not complete: ${problem}`);
  console.log(`installed: use --backend ${name}`);
});
