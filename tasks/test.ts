/**
 * `deno task test`: the whole check of the project: `deno check`, `deno lint`, `deno fmt --check`,
 * then `deno test` over `tests/` and the JSDoc examples of `mod.ts` and of every module under `lib/`
 * (`mod.ts` alone would not reach the modules it re-exports). Exits non-zero on any failure; its
 * last line is `N passed, N failed` from the test runner's own summary.
 *
 * Extra arguments are passed to `deno test` (e.g. `deno task test --filter wasm`). Without paths
 * among them, the test files run in shards side by side, one `deno test` process each
 * (`EDEGAN_TEST_SHARDS`, default the smaller of 2 and the core count; `tasks/_test_shards.ts`);
 * arguments that name paths run just those, in one process.
 *
 * @module
 */

import {
  failuresOf,
  prefixLines,
  shardCommands,
  shardCount,
  testFiles,
  testSummary,
} from "./_test_shards.ts";

if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
  console.log(`deno task test [deno test flags]

The whole check of the project: deno check, deno lint, deno fmt --check, then deno test over
tests/ and the JSDoc examples of mod.ts and lib/. Its last line is "N passed, N failed".

Extra arguments go to deno test, e.g.:
  deno task test --filter wasm      only the tests whose name contains "wasm"
  deno test -A tests/cli/           one folder, without check, lint and fmt
The test files run in shards side by side, one deno test process each, balanced by the times in
tests/durations.json (EDEGAN_TEST_SHARDS=N, default min(2, cores); 1 runs one process). Each line
of a shard's output is prefixed [k]. Arguments that name paths (deno task test tests/cli/) run just
those, in one process, after the checks.
CI=true makes a test whose tool is missing fail instead of skipping (bash .ci/run sets it).`);
  Deno.exit(0);
}

// Checked before anything runs: a bad value is named as it was given.
let shards: number;
try {
  shards = shardCount(Deno.env.get("EDEGAN_TEST_SHARDS"), navigator.hardwareConcurrency);
} catch (error) {
  console.error((error as Error).message);
  Deno.exit(2);
}

const deno = Deno.execPath();
/** Writes all of `bytes` (a write may take part of them). */
async function writeAll(sink: typeof Deno.stdout, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await sink.write(bytes.subarray(at));
}
/**
 * Runs `deno ARGS`. With `capture`, the output is also kept (stdout apart, where deno test prints
 * its summary) and printed line by line with `prefix`, one decoder per stream.
 */
const run = async (args: string[], capture = false, prefix = "") => {
  const cmd = new Deno.Command(deno, {
    args,
    stdout: capture ? "piped" : "inherit",
    stderr: capture ? "piped" : "inherit",
  });
  if (!capture) return { code: (await cmd.output()).code, stdout: "" };
  const child = cmd.spawn();
  const encoder = new TextEncoder();
  const pump = async (stream: ReadableStream<Uint8Array>, sink: typeof Deno.stdout) => {
    const decoder = new TextDecoder();
    let kept = "", pending = "";
    const emit = async (piece: string) => {
      kept += piece;
      const lines = prefixLines(pending, piece, prefix);
      pending = lines.pending;
      if (lines.out !== "") await writeAll(sink, encoder.encode(lines.out));
    };
    for await (const chunk of stream) await emit(decoder.decode(chunk, { stream: true }));
    await emit(decoder.decode());
    if (pending !== "") await writeAll(sink, encoder.encode(`${prefix}${pending}\n`));
    return kept;
  };
  const [stdout] = await Promise.all([
    pump(child.stdout, Deno.stdout),
    pump(child.stderr, Deno.stderr),
  ]);
  return { code: (await child.status).code, stdout };
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
const exists = (path: string) => {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
};
const commands = shardCommands(
  ["test", "-A", `--lock=${testLock}`],
  Deno.args,
  testFiles("tests"),
  JSON.parse(await Deno.readTextFile("tests/durations.json")).seconds,
  shards,
  exists,
);
const sharded = commands.length > 1;
if (sharded) {
  console.log(
    `${commands.length} shards side by side, each line prefixed [k] (tests/durations.json balances` +
      " them; EDEGAN_TEST_SHARDS=1 runs one process)",
  );
}
const results = await Promise.all(
  commands.map((args, i) => run(args, true, sharded ? `[${i + 1}] ` : "")),
);
await Deno.remove(testLock).catch(() => {});
let passed = 0, failed = failedChecks;
for (const [i, { code, stdout }] of results.entries()) {
  const summary = testSummary(stdout);
  passed += summary?.passed ?? 0;
  failed += failuresOf(summary, code);
  if (sharded) {
    console.log(
      `shard ${i + 1}: ${
        summary ? `${summary.passed} passed, ${summary.failed} failed` : "no summary"
      } (exit ${code})`,
    );
  }
}
console.log(`\n${passed} passed, ${failed} failed`);
Deno.exit(results.some((r) => r.code !== 0) || failedChecks > 0 ? 1 : 0);
