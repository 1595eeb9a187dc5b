import { assertEquals, assertStringIncludes } from "@std/assert";
import { terminalProgress } from "../../lib/util/progress.ts";

Deno.test("plain lines: the first update, then only the last before the interval is up", () => {
  const lines: string[] = [];
  const bar = terminalProgress("train", {
    plain: true,
    intervalSeconds: 3600,
    write: (t) => lines.push(t),
  });
  bar.update(1, 4, "a");
  bar.update(2, 4, "b");
  bar.update(4, 4, "c");
  bar.finish("done");
  assertEquals(lines, ["train 1/4 a\n", "train 4/4 c\n", "train done\n"]);
});

Deno.test("an unknown total (NaN) shows the count alone, on a terminal without a bar", () => {
  const plain: string[] = [];
  const p = terminalProgress("get", { plain: true, write: (t) => plain.push(t) });
  p.update(12.5, NaN, "MB 3 MB/s");
  assertEquals(plain, ["get 12.5 MB 3 MB/s\n"]);
  const tty: string[] = [];
  const t = terminalProgress("get", { plain: false, write: (x) => tty.push(x) });
  t.update(12.5, NaN, "MB");
  assertEquals(tty, ["\rget 12.5 MB\x1b[K"]);
});

Deno.test("terminal bar: drawn in place, redraws throttled, the last state kept by finish", () => {
  const out: string[] = [];
  const bar = terminalProgress("score", { plain: false, write: (t) => out.push(t) });
  bar.update(0, 4);
  for (let i = 1; i < 4; i++) bar.update(i, 4, `step ${i}`); // within 100 ms: not drawn
  assertEquals(out.length, 1);
  assertEquals(out[0], `\rscore [${"-".repeat(24)}] 0/4 \x1b[K`);
  bar.update(4, 4, "end"); // the end is always drawn
  assertEquals(out[1], `\rscore [${"#".repeat(24)}] 4/4 end\x1b[K`);
  bar.finish("ok");
  assertEquals(out[2], `\rscore [${"#".repeat(24)}] 4/4 end ok\x1b[K\n`);
});

Deno.test("a throttled update is still what finish shows", () => {
  const out: string[] = [];
  const bar = terminalProgress("x", { plain: false, write: (t) => out.push(t) });
  bar.update(1, 10);
  bar.update(2, 10, "later");
  bar.finish();
  assertEquals(out.length, 2);
  assertStringIncludes(out[1], "2/10 later");
});
