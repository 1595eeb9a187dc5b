/**
 * `deno task test:slow`: the tests CI leaves out, those named `[slow]` (each repeats on other data
 * what a test of the default suite proves end to end; docs/testing.md lists them), run with
 * `EDEGAN_SLOW=1`. Extra arguments go to `deno test`. Exits with `deno test`'s status.
 *
 * @module
 */

if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
  console.log(`deno task test:slow [deno test flags]

The tests CI leaves out: those named "[slow]" under tests/, run with EDEGAN_SLOW=1 (without it they
are ignored). docs/testing.md lists them and where CI's time goes.`);
  Deno.exit(0);
}

// As `deno task test` does: the tests run against a copy of deno.lock, so that a package a test
// loads at run time (onnxruntime-node) never enters the committed lock.
const lock = await Deno.makeTempFile({ suffix: ".lock" });
await Deno.copyFile("deno.lock", lock);
const { code } = await new Deno.Command(Deno.execPath(), {
  args: ["test", "-A", `--lock=${lock}`, "--filter", "[slow]", "tests/", ...Deno.args],
  env: { EDEGAN_SLOW: "1" },
  stdout: "inherit",
  stderr: "inherit",
}).output();
await Deno.remove(lock).catch(() => {});
Deno.exit(code);
