/**
 * `deno task test`: the whole check of the project: `deno check`, `deno lint`, `deno fmt --check`,
 * then `deno test` over `tests/` and the JSDoc examples of `mod.ts` and of every module under `lib/`
 * (`mod.ts` alone would not reach the modules it re-exports). Exits non-zero on any failure; its
 * last line is `N passed, N failed` from the test runner's own summary.
 *
 * Extra arguments are passed to `deno test` (e.g. `deno task test --filter wasm`). Without paths
 * among them, the test files run in shards side by side, one `deno test` process each
 * (`EDEGAN_TEST_SHARDS`, default the smaller of 2 and the core count; `tasks/_test_shards.ts`).
 *
 * @module
 */

import { DOC_EXAMPLES_SECONDS, testFiles, testShards, testSummary } from "./_test_shards.ts";

if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
  console.log(`deno task test [deno test flags]

The whole check of the project: deno check, deno lint, deno fmt --check, then deno test over
tests/ and the JSDoc examples of mod.ts and lib/. Its last line is "N passed, N failed".

Extra arguments go to deno test, e.g.:
  deno task test --filter wasm      only the tests whose name contains "wasm"
  deno test -A tests/cli/           one folder, without check, lint and fmt
The test files run in shards side by side, one deno test process each, balanced by the times in
tests/durations.json (EDEGAN_TEST_SHARDS=N, default min(2, cores); 1 runs one process; arguments
that name paths always run in one process). Each line of a shard's output is prefixed [k].
CI=true makes a test whose tool is missing fail instead of skipping (bash .ci/run sets it).`);
  Deno.exit(0);
}

const deno = Deno.execPath();
const run = async (args: string[], capture = false, prefix = "") => {
  const cmd = new Deno.Command(deno, {
    args,
    stdout: capture ? "piped" : "inherit",
    stderr: capture ? "piped" : "inherit",
  });
  if (!capture) return { code: (await cmd.output()).code, text: "" };
  const child = cmd.spawn();
  let text = "";
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  // Whole lines, each prefixed, so that shards running side by side do not mix within a line.
  const pump = async (stream: ReadableStream<Uint8Array>, sink: typeof Deno.stdout) => {
    let pending = "";
    for await (const chunk of stream) {
      const piece = decoder.decode(chunk, { stream: true });
      text += piece;
      if (prefix === "") {
        await sink.write(chunk);
        continue;
      }
      const lines = (pending + piece).split("\n");
      pending = lines.pop()!;
      if (lines.length > 0) {
        await sink.write(encoder.encode(lines.map((l) => prefix + l + "\n").join("")));
      }
    }
    if (pending !== "") await sink.write(encoder.encode(prefix + pending + "\n"));
  };
  await Promise.all([pump(child.stdout, Deno.stdout), pump(child.stderr, Deno.stderr)]);
  return { code: (await child.status).code, text };
};

// deno.json excludes notebooks/*.ipynb from fmt: Deno 2.9.6's `fmt --check` reports a notebook as
// unformatted on a cold cache even when `deno fmt` leaves it byte-identical, which failed every
// clean clone. The notebooks' code is type-checked by tests/notebooks instead.
const steps: [string, string[]][] = [
  ["check", ["check", "mod.ts", "lib/", "tasks/", "tests/", "results/"]],
  ["lint", ["lint"]],
  ["fmt", ["fmt", "--check"]],
];
let failedChecks = 0;
for (const [name, args] of steps) {
  console.log(`\n== deno ${args.join(" ")}`);
  const { code } = await run(args);
  if (code !== 0) {
    failedChecks++;
    console.log(`deno ${name} failed`);
  }
}
console.log("\n== deno test");
// The tests run against a copy of deno.lock: the export tests load onnxruntime-node (288 MB, the
// reference ONNX runtime) at run time, and it must not enter the committed lock, which every user's
// first `deno task` installs in full (tests/export/_onnxruntime.ts).
const testLock = await Deno.makeTempFile({ suffix: ".lock" });
await Deno.copyFile("deno.lock", testLock);
const base = ["test", "-A", `--lock=${testLock}`];
// With no paths among the arguments, the files are split into shards run side by side as separate
// processes (tasks/_test_shards.ts), balanced by the times in tests/durations.json; arguments that
// name paths run as given, in one process.
const namesPaths = Deno.args.some((a) => !a.startsWith("-"));
const shardCount = namesPaths ? 1 : Number(
  Deno.env.get("EDEGAN_TEST_SHARDS") ?? Math.min(2, navigator.hardwareConcurrency),
);
if (!Number.isInteger(shardCount) || shardCount < 1) {
  console.error(`EDEGAN_TEST_SHARDS: expected a whole number >= 1, got '${shardCount}'`);
  Deno.exit(2);
}
const durations = JSON.parse(await Deno.readTextFile("tests/durations.json")).seconds;
const commands = shardCount === 1
  ? [[...base, "--doc", "mod.ts", "lib/", ...(namesPaths ? [] : ["tests/"]), ...Deno.args]]
  : testShards(testFiles("tests"), durations, shardCount, DOC_EXAMPLES_SECONDS).map((files, i) => [
    ...base,
    ...(i === 0 ? ["--doc", "mod.ts", "lib/"] : []),
    ...files,
    ...Deno.args,
  ]);
if (shardCount > 1) {
  console.log(
    `${shardCount} shards side by side, each line prefixed [k] (tests/durations.json balances them;` +
      ` EDEGAN_TEST_SHARDS=1 runs one process)`,
  );
}
const results = await Promise.all(
  commands.map((args, i) => run(args, true, shardCount > 1 ? `[${i + 1}] ` : "")),
);
await Deno.remove(testLock).catch(() => {});
let passed = 0, failed = failedChecks;
for (const [i, { code, text }] of results.entries()) {
  const summary = testSummary(text);
  passed += summary?.passed ?? 0;
  failed += summary?.failed ?? (code === 0 ? 0 : 1);
  if (shardCount > 1) {
    console.log(
      `shard ${i + 1}: ${
        summary ? `${summary.passed} passed, ${summary.failed} failed` : "no summary"
      } (exit ${code})`,
    );
  }
}
console.log(`\n${passed} passed, ${failed} failed`);
Deno.exit(results.some((r) => r.code !== 0) || failedChecks > 0 ? 1 : 0);
