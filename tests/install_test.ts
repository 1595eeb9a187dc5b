/**
 * The default install (deno.json's import map, as locked in deno.lock) is what a fresh clone's
 * first `deno task` installs: it must hold no npm package with an install script that Deno would
 * warn about ("Ignored build scripts ... deno approve-scripts"), and none of the optional native
 * packages (`@tensorflow/tfjs-node(-gpu)`, which `deno task setup:native` installs, and the
 * `@tensorflow/tfjs` meta package with core-js that they bring).
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { fromFileUrl, join } from "@std/path";
import * as tf from "../lib/tf.ts";

const ROOT = fromFileUrl(new URL("../", import.meta.url));

interface DenoJson {
  imports: Record<string, string>;
  allowScripts?: { deny?: string[] };
}
interface DenoLock {
  specifiers: Record<string, string>;
  npm: Record<string, { scripts?: boolean; dependencies?: string[] }>;
}

const denoJson = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json"))) as DenoJson;
const lock = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.lock"))) as DenoLock;

/** `name@version` without Deno's peer suffix (`_@tensorflow+tfjs-core@4.22.0`). */
const packageName = (id: string) => id.replace(/^(@?[^@]+)@.*$/, "$1");

/** Packages not to be in the default install, and why. */
const OPTIONAL = [
  "@tensorflow/tfjs-node",
  "@tensorflow/tfjs-node-gpu",
  "@tensorflow/tfjs",
  "core-js",
];

Deno.test("deno.lock's default install has no native package, meta package or core-js", () => {
  const names = Object.keys(lock.npm).map(packageName);
  // 57 packages today (165 with the meta package and the native ones): a budget, so that a new
  // dependency that brings a hundred more is a decision.
  assert(names.length <= 70, `${names.length} npm packages in deno.lock`);
  // The scan finds the packages that are there (so a broken parse cannot pass by finding nothing).
  assert(names.includes("@tensorflow/tfjs-core"), names.join(", "));
  assert(names.includes("@tensorflow/tfjs-layers"), names.join(", "));
  for (const name of OPTIONAL) {
    assert(!names.includes(name), `${name} is in deno.lock`);
    assert(!(name in denoJson.imports), `${name} is in deno.json's import map`);
  }
});

Deno.test("every package of the default install with an install script is denied by name", () => {
  const withScripts = Object.entries(lock.npm)
    .filter(([, entry]) => entry.scripts === true)
    .map(([id]) => packageName(id));
  const denied = (denoJson.allowScripts?.deny ?? []).map((s) => s.replace(/^npm:/, ""));
  // protobufjs (under onnx-proto): its postinstall only prepares its `pbjs` command-line tool.
  assertEquals(withScripts, ["protobufjs"]);
  for (const name of withScripts) assert(denied.includes(name), `${name} runs an install script`);
});

Deno.test("no module of lib/ or tasks/ names a native package statically", async () => {
  // A literal specifier would put the package into the module graph, and so into deno.lock on the
  // next install; lib/backend/native.ts imports it by file path at run time.
  const offenders: string[] = [];
  for (const dir of ["lib", "tasks"]) {
    for await (const file of walk(join(ROOT, dir))) {
      const text = await Deno.readTextFile(file);
      if (
        /(from|import\()\s*["'](npm:)?@tensorflow\/tfjs(-node(-gpu)?)?(@[\d.]+)?["']/.test(text)
      ) {
        offenders.push(file);
      }
    }
  }
  assertEquals(offenders, []);
});

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* walk(path);
    else if (/\.(ts|js)$/.test(entry.name)) yield path;
  }
}

Deno.test("without the meta package, every gradient training uses is registered", () => {
  // lib/tf.ts loads tfjs-layers for tfjs-core's gradients; these are the kernels of EDE-GAN's and
  // the students' forward passes and losses.
  const kernels = [
    "Conv2D",
    "Conv2DBackpropInput",
    "FusedBatchNorm",
    "LeakyRelu",
    "Relu",
    "Tanh",
    "Sigmoid",
    "Add",
    "Sub",
    "Multiply",
    "RealDiv",
    "Square",
    "SquaredDifference",
    "Abs",
    "Sum",
    "Mean",
    "Reshape",
    "Log",
    "Exp",
    "Maximum",
    "Concat",
  ];
  const missing = kernels.filter((name) => tf.getGradient(name) === undefined);
  assertEquals(missing, []);
});

Deno.test("a fresh install of deno.json and deno.lock prints no script warning", async () => {
  // What a fresh clone's first `deno task` does first: install the locked import map into an empty
  // node_modules. From Deno's cache, so seconds; npm is needed only for a package not cached yet.
  const dir = await Deno.makeTempDir({ prefix: "edegan-install-" });
  try {
    await Deno.copyFile(join(ROOT, "deno.json"), join(dir, "deno.json"));
    await Deno.copyFile(join(ROOT, "deno.lock"), join(dir, "deno.lock"));
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["install", "--frozen"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const text = new TextDecoder().decode(stderr);
    assertEquals(code, 0, text);
    assertStringIncludes(text, "Initialize @tensorflow/tfjs-core@4.22.0"); // it did install
    assert(!/Ignored build scripts|approve-scripts/.test(text), text);
    const installed = [...Deno.readDirSync(join(dir, "node_modules", ".deno"))].map((e) => e.name);
    for (const name of OPTIONAL) {
      const folder = `${name.replace("/", "+")}@`;
      assert(!installed.some((e) => e.startsWith(folder)), `${name} was installed`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("README's first command, deno task -q, prints the task's own output and nothing else", async () => {
  // `deno task` fills a fresh node_modules before it runs the task, printing one "Initialize" line
  // per npm package (57 here, 165 with the meta and native packages); `-q` keeps those (and its
  // "Task ..." line) out of the first command's output, not the task's output nor errors.
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  assertStringIncludes(readme, "npx -y deno@2.9.6 task -q distill");
  const dir = await Deno.makeTempDir({ prefix: "edegan-first-task-" });
  try {
    await Deno.copyFile(join(ROOT, "deno.json"), join(dir, "deno.json"));
    await Deno.copyFile(join(ROOT, "deno.lock"), join(dir, "deno.lock"));
    await Deno.mkdir(join(dir, "tasks"));
    await Deno.writeTextFile(
      join(dir, "tasks", "distill.ts"),
      'import * as tf from "@tensorflow/tfjs-core";\nconsole.log(`distill ${tf.version_core}`);\n' +
        'console.error("a warning");\n',
    );
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["task", "-q", "distill"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const err = new TextDecoder().decode(stderr);
    assertEquals(code, 0, err);
    assertEquals(new TextDecoder().decode(stdout), "distill 4.22.0\n");
    assertEquals(err, "a warning\n");
    // It did install: the node_modules was empty.
    assert(Deno.statSync(join(dir, "node_modules", "@tensorflow", "tfjs-core")).isDirectory);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
