import { assertEquals, assertThrows } from "@std/assert";
import {
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
