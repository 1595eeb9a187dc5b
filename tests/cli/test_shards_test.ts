import { assertEquals, assertThrows } from "@std/assert";
import {
  DOC_EXAMPLES_SECONDS,
  failuresOf,
  namesPaths,
  prefixLines,
  shardCommands,
  shardCount,
  testFiles,
  testShards,
  testSummary,
  UNKNOWN_FILE_SECONDS,
} from "../../tasks/_test_shards.ts";

Deno.test("testShards: longest first onto the least-loaded shard, the first shard's extra work counted", () => {
  const seconds = { "a": 120, "b": 80, "c": 40, "d": 40, "e": 30, "f": 10 };
  // by hand, loads [first, second]: a 120 -> second [90, 120]; b 80 -> first [170, 120];
  // c 40 -> second [170, 160]; d 40 -> second [170, 200]; e 30 -> first [200, 200];
  // f 10 -> first on the tie [210, 200]
  assertEquals(testShards(Object.keys(seconds), seconds, 2, 90), [["b", "e", "f"], [
    "a",
    "c",
    "d",
  ]]);
  // without extra work the longest file goes to the first shard
  assertEquals(testShards(["x", "y"], { x: 1, y: 2 }, 2), [["y"], ["x"]]);
});

Deno.test("testShards: every file exactly once, deterministic, unknown files counted", () => {
  const files = Array.from({ length: 23 }, (_, i) => `t${String(i).padStart(2, "0")}`);
  const seconds: Record<string, number> = {};
  files.forEach((f, i) => i % 3 !== 0 && (seconds[f] = (i * 7) % 11));
  const shards = testShards(files, seconds, 3);
  assertEquals(shards.flat().sort(), files);
  assertEquals(testShards([...files].reverse(), seconds, 3), shards);
  const load = shards.map((s) => s.reduce((t, f) => t + (seconds[f] ?? UNKNOWN_FILE_SECONDS), 0));
  const total = load.reduce((a, b) => a + b, 0);
  // greedy longest-first: no shard exceeds the mean by more than the longest file
  for (const l of load) assertEquals(l <= total / 3 + 10, true, `${load}`);
  assertEquals(testShards(files, seconds, 1), [files]);
  // more shards than files: no empty shard after the first (it would run the whole suite)
  assertEquals(testShards(["x", "y"], { x: 1, y: 2 }, 5), [["y"], ["x"]]);
  assertEquals(testShards(["x"], {}, 3, 90), [[], ["x"]]);
  assertThrows(() => testShards(files, seconds, 0), Error, "whole number >= 1, got 0");
  assertThrows(() => testShards(files, seconds, 1.5), Error, "got 1.5");
});

Deno.test("testFiles: deno test's default pattern, sorted, recursively", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.mkdirSync(`${dir}/sub`);
    for (
      const f of [
        "a_test.ts",
        "b.test.ts",
        "sub/test.ts",
        "sub/c_test.ts",
        "helper.ts",
        "_x.ts",
        "latest.ts",
      ]
    ) {
      Deno.writeTextFileSync(`${dir}/${f}`, "");
    }
    assertEquals(testFiles(dir), [
      `${dir}/a_test.ts`,
      `${dir}/b.test.ts`,
      `${dir}/sub/c_test.ts`,
      `${dir}/sub/test.ts`,
    ]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("testSummary: the last summary line, colours removed; none when the run died", () => {
  const text =
    "ok | 3 passed | 0 failed\n\x1b[0m\x1b[31mFAILED\x1b[0m | 981 passed (6 steps) | 10 failed | 1 ignored (8m20s)\n";
  assertEquals(testSummary(text), { passed: 981, failed: 10 });
  assertEquals(testSummary("error: Module not found"), undefined);
});

Deno.test("tests/durations.json names only test files that exist", () => {
  const { seconds } = JSON.parse(Deno.readTextFileSync("tests/durations.json"));
  const files = new Set(testFiles("tests"));
  for (const f of Object.keys(seconds)) assertEquals(files.has(f), true, `${f} is not a test file`);
});

Deno.test("namesPaths: a path that exists, not the value of --filter or --reporter", () => {
  const exists = (p: string) => ["tests/cli/", "wasm"].includes(p);
  assertEquals(namesPaths(["--filter", "wasm"], exists), false);
  assertEquals(namesPaths(["--filter=wasm"], exists), false);
  assertEquals(namesPaths(["--reporter", "dot", "--fail-fast"], exists), false);
  assertEquals(namesPaths(["tests/cli/"], exists), true);
  assertEquals(namesPaths(["--filter", "x", "tests/cli/"], exists), true);
  assertEquals(namesPaths(["no-such-file"], exists), false);
});

Deno.test("shardCommands: flags to every shard, the JSDoc examples on the first, paths in one process", () => {
  const base = ["test", "-A"];
  const files = ["tests/a_test.ts", "tests/b_test.ts", "tests/c_test.ts"];
  const seconds = { "tests/a_test.ts": 300, "tests/b_test.ts": 100, "tests/c_test.ts": 50 };
  const none = () => false;
  assertEquals(shardCommands(base, ["--filter", "wasm"], files, seconds, 2, none), [
    [...base, "--doc", "mod.ts", "lib/", "tests/b_test.ts", "tests/c_test.ts", "--filter", "wasm"],
    [...base, "tests/a_test.ts", "--filter", "wasm"],
  ]);
  assertEquals(DOC_EXAMPLES_SECONDS > 100, true, "the example above puts b and c with the docs");
  assertEquals(shardCommands(base, [], files, seconds, 1, none), [
    [...base, "--doc", "mod.ts", "lib/", "tests/"],
  ]);
  assertEquals(shardCommands(base, ["tests/cli/"], files, seconds, 2, (p) => p === "tests/cli/"), [
    [...base, "tests/cli/"],
  ]);
  // every file once over all shards, whatever the count
  for (const n of [1, 2, 3, 7]) {
    const listed = shardCommands(base, [], files, seconds, n, none).flat().filter((a) =>
      a.startsWith("tests/") && a !== "tests/"
    );
    if (n > 1) assertEquals(listed.sort(), files);
  }
});

Deno.test("shardCount: EDEGAN_TEST_SHARDS or min(2, cores); a bad value named as given", () => {
  assertEquals(shardCount(undefined, 16), 2);
  assertEquals(shardCount(undefined, 1), 1);
  assertEquals(shardCount("3", 2), 3);
  for (const bad of ["0", "two", "", "1.5", "-1"]) {
    assertThrows(
      () => shardCount(bad, 2),
      Error,
      `EDEGAN_TEST_SHARDS: expected a whole number >= 1, got '${bad}'`,
    );
  }
});

Deno.test("prefixLines: whole lines prefixed, the unfinished rest carried over", () => {
  let state = { out: "", pending: "" };
  let printed = "";
  for (const piece of ["ok | 1 pa", "ssed\nrunning 2 tests\n", "", "last"]) {
    state = prefixLines(state.pending, piece, "[2] ");
    printed += state.out;
  }
  assertEquals(printed, "[2] ok | 1 passed\n[2] running 2 tests\n");
  assertEquals(state.pending, "last");
});

Deno.test("failuresOf: a shard that exits non-zero counts at least one failure", () => {
  assertEquals(failuresOf({ failed: 0 }, 0), 0);
  assertEquals(failuresOf({ failed: 3 }, 1), 3);
  assertEquals(failuresOf({ failed: 0 }, 1), 1);
  assertEquals(failuresOf(undefined, 137), 1);
  assertEquals(failuresOf(undefined, 0), 0);
});

Deno.test("testFiles: the other script extensions and __tests__ folders too", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.mkdirSync(`${dir}/__tests__`);
    for (
      const f of ["x.test.cjs", "y_test.cts", "__tests__/helper.ts", "__tests__/data.json", "z.ts"]
    ) {
      Deno.writeTextFileSync(`${dir}/${f}`, "");
    }
    assertEquals(testFiles(dir), [
      `${dir}/__tests__/helper.ts`,
      `${dir}/x.test.cjs`,
      `${dir}/y_test.cts`,
    ]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
