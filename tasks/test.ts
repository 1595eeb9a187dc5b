/**
 * `deno task test`: the whole check of the project: `deno check`, `deno lint`, `deno fmt --check`,
 * then `deno test` over `tests/` and the JSDoc examples of `mod.ts` and of every module under `lib/`
 * (`mod.ts` alone would not reach the modules it re-exports). Exits non-zero on any failure; its
 * last line is `N passed, N failed` from the test runner's own summary.
 *
 * Extra arguments are passed to `deno test` (e.g. `deno task test --filter wasm`).
 *
 * @module
 */

if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
  console.log(`deno task test [deno test flags]

The whole check of the project: deno check, deno lint, deno fmt --check, then deno test over
tests/ and the JSDoc examples of mod.ts and lib/. Its last line is "N passed, N failed".

Extra arguments go to deno test, e.g.:
  deno task test --filter wasm      only the tests whose name contains "wasm"
  deno test -A tests/cli/           one folder, without check, lint and fmt
CI=true makes a test whose tool is missing fail instead of skipping (bash .ci/run sets it).`);
  Deno.exit(0);
}

const deno = Deno.execPath();
const run = async (args: string[], capture = false) => {
  const cmd = new Deno.Command(deno, {
    args,
    stdout: capture ? "piped" : "inherit",
    stderr: capture ? "piped" : "inherit",
  });
  if (!capture) return { code: (await cmd.output()).code, text: "" };
  const child = cmd.spawn();
  let text = "";
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>, sink: typeof Deno.stdout) => {
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      await sink.write(chunk);
    }
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
const { code, text } = await run(
  ["test", "-A", `--lock=${testLock}`, "--doc", "mod.ts", "lib/", "tests/", ...Deno.args],
  true,
);
await Deno.remove(testLock).catch(() => {});
// deno test ends with e.g. "ok | 41 passed (2 steps) | 0 failed (3m)"; take its counts.
// deno-lint-ignore no-control-regex
const plain = text.replace(/\x1b\[[0-9;]*m/g, "");
const summary = [...plain.matchAll(/(\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/g)].at(-1);
const passed = Number(summary?.[1] ?? 0);
const failed = Number(summary?.[2] ?? (code === 0 ? 0 : 1)) + failedChecks;
console.log(`\n${passed} passed, ${failed} failed`);
Deno.exit(code !== 0 || failedChecks > 0 ? 1 : 0);
