import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertNotInstanceOf,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { fromFileUrl, join } from "@std/path";
import { createRequire } from "node:module";
import util from "node:util";
import {
  installRemovedUtilFunctions,
  REMOVED_UTIL_FUNCTIONS,
} from "../../lib/backend/_node_util_shim.ts";
import {
  checkLibtensorflowTarball,
  formatStep,
  libtensorflowUrl,
  mirrorBaseUri,
  nativePackageDir,
  planNativeSetup,
  runSetupSteps,
} from "../../lib/backend/native_setup.ts";
import { NATIVE_PACKAGES, nativeSpecifier } from "../../lib/backend/native.ts";
import { skipUnless } from "../_helpers.ts";

const ROOT = fromFileUrl(new URL("../../", import.meta.url)).replace(/\/$/, "");
const nodeUtil = util as unknown as Record<string, unknown>;

/**
 * The folder of a native package's JavaScript, installed first (without its install script, as
 * `setup:native`'s first step does) when this project does not have it: the packages are not in
 * the default install (lib/backend/native.ts). Needs npm, like the onnxruntime-node of the export
 * tests.
 */
async function nativeJs(build: "cpu" | "gpu"): Promise<string> {
  const dir = nativePackageDir(ROOT, build);
  if (!existsSync(dir)) {
    const name = build === "gpu" ? "tensorflow-gpu" : "tensorflow";
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["install", "--no-lock", "--entrypoint", nativeSpecifier(name)],
      cwd: ROOT,
      stdout: "null",
      stderr: "piped",
    }).output();
    assertEquals(
      code,
      0,
      `installing ${NATIVE_PACKAGES[name]}: ${new TextDecoder().decode(stderr)}`,
    );
  }
  return dir;
}

// --- node:util -------------------------------------------------------------------------------

Deno.test("the shim gives node:util every util.is* that tfjs-node(-gpu) 4.22 calls", async () => {
  installRemovedUtilFunctions();
  for (const build of ["cpu", "gpu"] as const) {
    const pkg = NATIVE_PACKAGES[build === "gpu" ? "tensorflow-gpu" : "tensorflow"];
    const dist = join(await nativeJs(build), "dist");
    const called = new Set<string>();
    for (const file of walkJs(dist)) {
      if (file.endsWith("_test.js")) continue;
      const text = Deno.readTextFileSync(file);
      // tsc's output calls them as `(0, util_1.isNullOrUndefined)(x)`; plain `util.isX` too.
      if (!/require\("util"\)|require\('util'\)/.test(text)) continue;
      for (const m of text.matchAll(/\butil(?:_\d+)?\.(is[A-Z]\w*)\b/g)) called.add(m[1]);
    }
    // The known ones, so that a broken scan cannot pass by finding nothing.
    assert(called.has("isNullOrUndefined"), `${pkg}: scan found ${[...called]}`);
    assert(called.has("isArray"), `${pkg}: scan found ${[...called]}`);
    for (const name of called) {
      assertEquals(typeof nodeUtil[name], "function", `${pkg} calls util.${name}`);
    }
  }
});

function* walkJs(dir: string): Generator<string> {
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* walkJs(path);
    else if (entry.name.endsWith(".js")) yield path;
  }
}

Deno.test("createTensorsTypeOpAttr(T, null) throws tfjs-node's own error, not a TypeError", async () => {
  installRemovedUtilFunctions();
  // dist/index.js loads the addon (node-pre-gyp find + require of tfjs_binding.node) at the top,
  // which is missing here; dist/nodejs_kernel_backend.js itself needs only @tensorflow/tfjs,
  // node:util, ./int64_tensors and ./proto/api_pb, and reaches the binding only through
  // nodeBackend() after the null check. So requiring that one file loads the JavaScript alone.
  for (const build of ["cpu", "gpu"] as const) {
    const pkg = NATIVE_PACKAGES[build === "gpu" ? "tensorflow-gpu" : "tensorflow"];
    const require = createRequire(join(await nativeJs(build), "package.json"));
    const kernelBackend = require("./dist/nodejs_kernel_backend.js") as {
      createTensorsTypeOpAttr: (name: string, value: unknown) => unknown;
    };
    for (const value of [null, undefined]) {
      const error = assertThrows(() => kernelBackend.createTensorsTypeOpAttr("T", value));
      assertInstanceOf(error, Error);
      assertNotInstanceOf(error, TypeError);
      assertEquals(error.message, "Invalid input tensors value.", `${pkg}, ${value}`);
    }
  }
});

Deno.test("under Deno, tfjs-node looks for its addon where the build puts it (napi-v8)", async () => {
  // dist/index.js finds the addon with node-pre-gyp, which picks the highest of the package's
  // napi_versions (3..8) that the runtime supports (Deno reports N-API 10); the build writes it to
  // lib/napi-v8 (node-gyp --napi_build_version=8 under Node) and nativeInstallProblem checks there.
  for (const build of ["cpu", "gpu"] as const) {
    const dir = Deno.realPathSync(await nativeJs(build));
    const preGyp = createRequire(join(dir, "package.json"))("@mapbox/node-pre-gyp") as {
      find: (packageJson: string) => string;
    };
    assertEquals(
      preGyp.find(join(dir, "package.json")),
      join(dir, "lib", "napi-v8", "tfjs_binding.node"),
    );
  }
});

Deno.test("the shim adds only what node:util lacks, once", () => {
  installRemovedUtilFunctions();
  assertEquals(installRemovedUtilFunctions(), []);
  // Deno keeps its own isArray.
  assert(nodeUtil.isArray !== REMOVED_UTIL_FUNCTIONS.isArray);
  assertEquals(nodeUtil.isNullOrUndefined, REMOVED_UTIL_FUNCTIONS.isNullOrUndefined);
});

/** Values on which Node's util.is* differ from each other, as JavaScript source. */
const PROBES = [
  "null",
  "undefined",
  "0",
  "NaN",
  '""',
  '"s"',
  "false",
  "Symbol()",
  "({})",
  "Object.create(null)",
  "[]",
  "() => 0",
  "new Date(0)",
  "/x/",
  "new Error('e')",
  "new (class E extends TypeError {})()",
  "({ [Symbol.toStringTag]: 'Error' })",
  "Buffer.from('b')",
  "new Uint8Array(1)",
  "10n",
];

function shimTable(): Record<string, boolean[]> {
  const values = PROBES.map((source) => new Function("Buffer", `return (${source})`)(Buffer));
  return Object.fromEntries(
    Object.entries(REMOVED_UTIL_FUNCTIONS).map(([name, fn]) => [name, values.map((v) => fn(v))]),
  );
}

Deno.test("the shim's util.is* give Node's results (spot check, always)", () => {
  const table = shimTable();
  const at = (source: string) => PROBES.indexOf(source);
  assertEquals(
    ["null", "undefined", "0", '""', "false", "NaN"].map((s) => table.isNullOrUndefined[at(s)]),
    [true, true, false, false, false, false],
  );
  assertEquals(table.isObject[at("null")], false);
  assertEquals(table.isPrimitive[at("Symbol()")], true);
  assertEquals(table.isPrimitive[at("() => 0")], false);
  assertEquals(table.isBuffer[at("new Uint8Array(1)")], false);
  assertEquals(table.isBuffer[at("Buffer.from('b')")], true);
  // Node's isError: [object Error] by toString, or instanceof Error.
  assertEquals(table.isError[at("({ [Symbol.toStringTag]: 'Error' })")], true);
  assertEquals(table.isError[at("new (class E extends TypeError {})()")], true);
});

Deno.test("the shim's util.is* give the same results as Node's own (Node <= 22)", async () => {
  const script = `const util = require("util");
    const values = [${PROBES.join(", ")}];
    const names = ${JSON.stringify(Object.keys(REMOVED_UTIL_FUNCTIONS))};
    const out = {};
    for (const n of names) out[n] = typeof util[n] === "function" ? values.map((v) => util[n](v)) : null;
    console.log(JSON.stringify(out));`;
  let output: Deno.CommandOutput | undefined;
  try {
    output = await new Deno.Command("node", {
      args: ["--no-deprecation", "-e", script],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch {
    output = undefined;
  }
  const node = output?.code === 0
    ? JSON.parse(new TextDecoder().decode(output.stdout)) as Record<string, boolean[] | null>
    : {};
  if (skipUnless(output?.code === 0, "node (whose util.is* to compare with)")) return;
  if (node.isNullOrUndefined == null) {
    // Node 23 and later have none of them left to compare with; the spot check above still runs.
    console.warn("node has no util.isNullOrUndefined (Node >= 23): nothing to compare with");
    return;
  }
  const shim = shimTable();
  for (const name of Object.keys(REMOVED_UTIL_FUNCTIONS)) {
    assertEquals(shim[name], node[name], `util.${name} on ${PROBES.join(", ")}`);
  }
});

// --- setup:native: the tarball ---------------------------------------------------------------

/** A tiny tarball with these files (empty, or the given text), built with tar. */
async function makeTarball(
  dir: string,
  name: string,
  files: string[],
  flags = "-czf",
): Promise<string> {
  const src = await Deno.makeTempDir({ dir });
  for (const file of files) {
    await Deno.mkdir(join(src, file, ".."), { recursive: true });
    await Deno.writeTextFile(join(src, file), `fake ${file}\n`);
  }
  const path = join(dir, name);
  const out = await new Deno.Command("tar", { args: [flags, path, "-C", src, "."] }).output();
  assertEquals(out.code, 0, "tar");
  return path;
}

const GOOD_FILES = [
  "lib/libtensorflow.so.2.9.1",
  "lib/libtensorflow_framework.so.2.9.1",
  "include/tensorflow/c/c_api.h",
  "include/tensorflow/c/eager/c_api.h",
  "LICENSE",
];

Deno.test("--libtensorflow: a tarball with the official layout passes", async () => {
  const dir = await Deno.makeTempDir();
  const good = await makeTarball(dir, "libtensorflow-gpu-linux-x86_64-2.9.1.tar.gz", GOOD_FILES);
  assertEquals(await checkLibtensorflowTarball(good, "gpu"), good);
});

Deno.test("--libtensorflow: missing, a folder, not a tarball, the wrong layout, version or build", async () => {
  const dir = await Deno.makeTempDir();
  const check = (path: string, build: "gpu" | "cpu" = "gpu") =>
    assertRejects(() => checkLibtensorflowTarball(path, build), Error, `--libtensorflow ${path}`);

  let error = await check(join(dir, "nope.tar.gz"));
  assertStringIncludes(error.message, "no such file");
  assertStringIncludes(error.message, "libtensorflow-gpu-linux-x86_64-2.9.1.tar.gz");

  error = await check(dir);
  assertStringIncludes(error.message, "not a file");

  const text = join(dir, "notes.tar.gz");
  await Deno.writeTextFile(text, "not a tarball\n");
  error = await check(text);
  assertStringIncludes(error.message, "not a gzip-compressed tarball");

  // An uncompressed tar is not what the install script downloads either.
  const plain = await makeTarball(dir, "plain.tar.gz", GOOD_FILES, "-cf");
  error = await check(plain);
  assertStringIncludes(error.message, "not a gzip-compressed tarball");

  // Everything one folder down: unpacked into deps/ it would be deps/libtensorflow/lib/...
  const nested = await makeTarball(
    dir,
    "nested.tar.gz",
    GOOD_FILES.map((f) => `libtensorflow/${f}`),
  );
  error = await check(nested);
  assertStringIncludes(error.message, "missing lib/libtensorflow.so.2.9.1");
  assertStringIncludes(error.message, "lib/ and include/ at its top");

  const headerless = await makeTarball(dir, "headerless.tar.gz", GOOD_FILES.slice(0, 2));
  error = await check(headerless);
  assertStringIncludes(error.message, "missing include/tensorflow/c/c_api.h");

  const newer = await makeTarball(dir, "newer.tar.gz", [
    "lib/libtensorflow.so.2.12.0",
    "lib/libtensorflow_framework.so.2.12.0",
    "include/tensorflow/c/c_api.h",
  ]);
  error = await check(newer);
  assertStringIncludes(error.message, "lib/libtensorflow.so.2.12.0");
  assertStringIncludes(error.message, "needs libtensorflow 2.9.1");

  const cpu = await makeTarball(dir, "libtensorflow-cpu-linux-x86_64-2.9.1.tar.gz", GOOD_FILES);
  error = await check(cpu, "gpu");
  assertStringIncludes(error.message, "CPU build");
  assertEquals(await checkLibtensorflowTarball(cpu, "cpu"), cpu);
});

Deno.test("--mirror: the install script's TFJS_NODE_BASE_URI and the URL it downloads", () => {
  assertEquals(mirrorBaseUri("https://m.lan/tf/"), "https://m.lan/tf/libtensorflow-");
  assertEquals(mirrorBaseUri("https://m.lan/tf/lt-"), "https://m.lan/tf/lt-");
  assertEquals(
    libtensorflowUrl("gpu", "http://m.lan/tf/"),
    "http://m.lan/tf/libtensorflow-gpu-linux-x86_64-2.9.1.tar.gz",
  );
  assertEquals(
    libtensorflowUrl("cpu"),
    "https://storage.googleapis.com/tensorflow/libtensorflow/libtensorflow-cpu-linux-x86_64-2.9.1.tar.gz",
  );
  assertThrows(() => mirrorBaseUri("m.lan/tf"), Error, "--mirror: 'm.lan/tf' is not a URL");
  assertThrows(() => mirrorBaseUri("file:///srv/tf/"), Error, "--libtensorflow PATH");
});

// --- setup:native: the plan --------------------------------------------------------------------

/** A folder with Node's headers, as --nodedir expects. */
async function fakeNodedir(dir: string): Promise<string> {
  const nodedir = join(dir, "node-headers");
  await Deno.mkdir(join(nodedir, "include", "node"), { recursive: true });
  await Deno.writeTextFile(join(nodedir, "include", "node", "node_api.h"), "/* fake */\n");
  return nodedir;
}

Deno.test("setup plan with --libtensorflow and --build-from-source: the exact commands", async () => {
  const root = await Deno.makeTempDir();
  const tarball = await makeTarball(
    root,
    "libtensorflow-gpu-linux-x86_64-2.9.1.tar.gz",
    GOOD_FILES,
  );
  const nodedir = await fakeNodedir(root);
  const plan = await planNativeSetup(
    { build: "gpu", libtensorflow: tarball, buildFromSource: true, nodedir },
    root,
  );
  const pkg = join(root, "node_modules/.deno/@tensorflow+tfjs-node-gpu@4.22.0/node_modules");
  const dir = `${pkg}/@tensorflow/tfjs-node-gpu`;
  assertEquals(nativePackageDir(root, "gpu"), dir);
  assertEquals(plan.libtensorflowSource, tarball);
  assertEquals(plan.steps.map(formatStep), [
    // The package is not installed in this empty project: its JavaScript first, outside the
    // lock (it is not in the import map).
    `${Deno.execPath()} install --no-lock --quiet --entrypoint npm:@tensorflow/tfjs-node-gpu@4.22.0`,
    `cp ${dir}/package.json ${dir}/package.json.own`,
    `mv -f ${dir}/package.json.own ${dir}/package.json`,
    `rm -rf ${dir}/deps`,
    `mkdir -p ${dir}/deps`,
    `tar -xzf ${tarball} -C ${dir}/deps`,
    `cd ${dir} && PATH=${root}/node_modules/.bin:"$PATH" npm_config_nodedir=${nodedir} ` +
    "npm_config_build_from_source=true node scripts/install.js gpu",
  ]);
});

Deno.test("setup plan with --mirror: Deno runs the install script again, downloading from it", async () => {
  const root = await Deno.makeTempDir();
  const dir = nativePackageDir(root, "cpu");
  await Deno.mkdir(dir, { recursive: true });
  const nodedir = await fakeNodedir(root);
  const plan = await planNativeSetup({ build: "cpu", mirror: "http://m.lan/tf/", nodedir }, root);
  assertEquals(
    plan.libtensorflowSource,
    "http://m.lan/tf/libtensorflow-cpu-linux-x86_64-2.9.1.tar.gz",
  );
  assertEquals(plan.steps.map(formatStep), [
    `cp ${dir}/package.json ${dir}/package.json.own`,
    `mv -f ${dir}/package.json.own ${dir}/package.json`,
    `rm -f ${root}/node_modules/.deno/@tensorflow+tfjs-node@4.22.0/.scripts-run`,
    `TFJS_NODE_BASE_URI=http://m.lan/tf/libtensorflow- npm_config_nodedir=${nodedir} ` +
    `${Deno.execPath()} install --no-lock --allow-scripts=npm:@tensorflow/tfjs-node@4.22.0 ` +
    "--entrypoint npm:@tensorflow/tfjs-node@4.22.0",
  ]);
});

Deno.test("setup plan: a --nodedir without Node's headers is refused", async () => {
  const root = await Deno.makeTempDir();
  await assertRejects(
    () => planNativeSetup({ build: "cpu", buildFromSource: true, nodedir: root }, root),
    Error,
    `--nodedir ${root}: no include/node/node_api.h`,
  );
});

Deno.test("setup steps up to the install script: deps/ unpacked, Deno's cache untouched", async () => {
  const root = await Deno.makeTempDir();
  const dir = nativePackageDir(root, "cpu");
  await Deno.mkdir(join(dir, "deps", "stale"), { recursive: true });
  // Deno hard-links a package's files to its global cache; stand-in for that cache file:
  const cached = join(root, "cache-package.json");
  await Deno.writeTextFile(cached, '{"name": "@tensorflow/tfjs-node"}\n');
  await Deno.link(cached, join(dir, "package.json"));
  const tarball = await makeTarball(
    root,
    "libtensorflow-cpu-linux-x86_64-2.9.1.tar.gz",
    GOOD_FILES,
  );
  const plan = await planNativeSetup(
    { build: "cpu", libtensorflow: tarball, nodedir: await fakeNodedir(root) },
    root,
  );
  const steps = plan.steps.slice(0, -1); // all but the install script
  assertEquals(plan.steps.at(-1)!.command, ["node", "scripts/install.js", "cpu"]);
  const log: string[] = [];
  await runSetupSteps(steps, (line) => log.push(line), root);
  assertEquals(log, steps.map((s) => `+ ${formatStep(s)}`));
  // The install script skips its download when this file is there.
  assertEquals(
    await Deno.readTextFile(join(dir, "deps", "lib", "libtensorflow.so.2.9.1")),
    "fake lib/libtensorflow.so.2.9.1\n",
  );
  assert((await Deno.stat(join(dir, "deps", "include", "tensorflow", "c", "c_api.h"))).isFile);
  await assertRejects(() => Deno.stat(join(dir, "deps", "stale")), Deno.errors.NotFound);
  // package.json is the package's own now: what the script writes stays out of the cache.
  assertEquals((await Deno.stat(join(dir, "package.json"))).nlink, 1);
  await Deno.writeTextFile(join(dir, "package.json"), "{}\n");
  assertEquals(await Deno.readTextFile(cached), '{"name": "@tensorflow/tfjs-node"}\n');
});

Deno.test("runSetupSteps stops at the first failing step and names it", async () => {
  const ran: string[] = [];
  const error = await assertRejects(
    () =>
      runSetupSteps([
        { why: "ok", command: ["true"] },
        { why: "the failing one", command: ["false"] },
        { why: "never", command: ["true"] },
      ], (line) => ran.push(line)),
    Error,
  );
  assertEquals(ran, ["+ true", "+ false"]);
  assertStringIncludes(error.message, "exit 1");
  assertStringIncludes(error.message, "the failing one");
});

// --- the task and the GPU check, as a user runs them ---------------------------------------------

async function run(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(args[0], {
    args: args.slice(1),
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, text };
}

Deno.test("deno task setup:native --dry-run prints the commands and changes nothing", async () => {
  const dir = await Deno.makeTempDir();
  const tarball = await makeTarball(dir, "libtensorflow-cpu-linux-x86_64-2.9.1.tar.gz", GOOD_FILES);
  const nodedir = await fakeNodedir(dir);
  const task = [Deno.execPath(), "run", "-A", "tasks/setup_native.ts"];
  const pkgDir = nativePackageDir(ROOT, "cpu");
  const depsBefore = existsSync(join(pkgDir, "deps"));
  const { code, text } = await run([
    ...task,
    "cpu",
    "--libtensorflow",
    tarball,
    "--nodedir",
    nodedir,
    "--dry-run",
  ]);
  assertEquals(code, 0, text);
  const plan = await planNativeSetup({ build: "cpu", libtensorflow: tarball, nodedir }, ROOT);
  for (const step of plan.steps) assertStringIncludes(text, `\n${formatStep(step)}\n`);
  assertStringIncludes(text, `tar -xzf ${tarball} -C ${pkgDir}/deps`);
  assertEquals(existsSync(join(pkgDir, "deps")), depsBefore, "a dry run unpacks nothing");

  const bad = await run([...task, "cpu", "--libtensorflow", join(dir, "missing.tar.gz")]);
  assertEquals(bad.code, 2);
  assertStringIncludes(
    bad.text,
    `error: --libtensorflow ${join(dir, "missing.tar.gz")}: no such file`,
  );
  const unknown = await run([...task, "--mirorr", "http://x/"]);
  assertEquals(unknown.code, 2);
  assertStringIncludes(unknown.text, "unknown flag --mirorr; accepted: --mirror");
  const which = await run([...task, "tpu"]);
  assertEquals(which.code, 2);
  assertStringIncludes(which.text, "expected 'gpu' or 'cpu', got 'tpu'");
  const help = await run([...task, "--help"]);
  assertEquals(help.code, 0);
  assertStringIncludes(help.text.replaceAll("\n", " "), "Neither is part of the default install");
});

function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("bench/native-gpu-check.sh: not tried without a tarball, set up with one", async () => {
  const out = await Deno.makeTempDir();
  const env = { OUT: out, DENO: Deno.execPath(), LIBTENSORFLOW_TARBALL: "" };
  const none = await run(["bash", "bench/native-gpu-check.sh", "--dry-run"], env);
  assertEquals(none.code, 0, none.text);
  assertStringIncludes(none.text, "native tensorflow-gpu: not tried: no libtensorflow tarball");
  const report = JSON.parse(await Deno.readTextFile(join(out, "native-gpu.json")));
  assertEquals(report.tried, false);
  assertStringIncludes(report.why, "reaches no network");

  const missing = await run(["bash", "bench/native-gpu-check.sh"], {
    ...env,
    LIBTENSORFLOW_TARBALL: join(out, "nope.tar.gz"),
  });
  assertEquals(missing.code, 0, missing.text);
  assertStringIncludes(missing.text, "not tried: LIBTENSORFLOW_TARBALL=");

  const tarball = await makeTarball(out, "libtensorflow-gpu-linux-x86_64-2.9.1.tar.gz", GOOD_FILES);
  const dry = await run(["bash", "bench/native-gpu-check.sh", "--dry-run"], {
    ...env,
    LIBTENSORFLOW_TARBALL: tarball,
  });
  assertEquals(dry.code, 0, dry.text);
  // setup:native's own dry run checked the tarball and printed its commands.
  assertStringIncludes(
    dry.text,
    `gpu-check: native: tar -xzf ${tarball} -C ${nativePackageDir(ROOT, "gpu")}/deps`,
  );
  assertStringIncludes(dry.text, "node scripts/install.js gpu");
  assertStringIncludes(
    dry.text,
    "would run: deno task bench --suite model --backend tensorflow-gpu",
  );
  assertEquals(
    JSON.parse(await Deno.readTextFile(join(out, "native-gpu.json"))).setup_dry_run_rc,
    0,
  );

  // A machine whose carried node_modules lacks the package's JavaScript (not in the default
  // install): not tried, saying how to carry it, before anything is changed.
  const bare = await Deno.makeTempDir();
  const script = await Deno.readTextFile(join(ROOT, "bench", "native-gpu-check.sh"));
  await Deno.writeTextFile(join(bare, "check.sh"), script);
  const uncarried = await new Deno.Command("bash", {
    args: ["check.sh"],
    cwd: bare,
    env: { ...env, LIBTENSORFLOW_TARBALL: tarball },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(uncarried.stdout);
  assertEquals(uncarried.code, 0, text);
  assertStringIncludes(text, "not tried: no node_modules/.deno/@tensorflow+tfjs-node-gpu@4.22.0");
  assertStringIncludes(text, "deno install --no-lock --entrypoint npm:@tensorflow/tfjs-node-gpu");
  assertEquals(JSON.parse(await Deno.readTextFile(join(out, "native-gpu.json"))).tried, false);
  assertEquals([...Deno.readDirSync(bare)].map((e) => e.name), ["check.sh"]);
});
