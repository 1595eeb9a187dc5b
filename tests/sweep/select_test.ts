/**
 * `deno task sweep --spec FILE --only ID,GLOB` (lib/sweep/select.ts): the jobs picked from a
 * committed spec, in the spec's order; a pattern that picks nothing is refused before any job
 * runs, naming the flag and listing the jobs there are.
 */

import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { join } from "@std/path";
import { campaignJobs, parseCampaignSpec } from "../../lib/sweep/campaign.ts";
import { parseOnly, selectJobs } from "../../lib/sweep/select.ts";

const root = new URL("../../", import.meta.url).pathname;

Deno.test("--only picks a committed spec's jobs by id and glob, in the spec's order", async () => {
  const file = "results/design/teachers.json";
  const jobs = campaignJobs(
    parseCampaignSpec(await Deno.readTextFile(join(root, file)), file),
    file,
  );
  const ids = (patterns: string) => selectJobs(jobs, parseOnly(patterns)).map((j) => j.id);
  assertEquals(ids("fashion-mnist-3-b64-s0-ema, mnist-1-*"), [
    "mnist-1-b64-s0-ema",
    "fashion-mnist-3-b64-s0-ema",
  ]);
  // A glob's '*' spans '-': every Fashion-MNIST teacher of the spec, and no MNIST one.
  assertEquals(ids("fashion-mnist-*").length, 10);
  assertEquals(ids("mnist-?-b64-s0-ema").length, 10);
  const error = assertThrows(() => ids("mnist-1-*,mnist-11-*"));
  assertStringIncludes(
    String(error),
    "--only: 'mnist-11-*' matches no job; the 22 jobs are mnist-0-",
  );
  assertThrows(() => parseOnly(" , "), Error, "--only: expected job ids or globs");
});

Deno.test("deno task sweep --spec --only: a pattern that matches nothing stops before any job", async () => {
  const out = await Deno.makeTempDir();
  try {
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        join(root, "tasks/sweep.ts"),
        "--spec",
        join(root, "results/design/teachers.json"),
        "--out",
        out,
        "--only",
        "mnist-42-*",
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    assertEquals(code, 2);
    assertStringIncludes(new TextDecoder().decode(stderr), "--only: 'mnist-42-*' matches no job");
    // Nothing ran: the out folder is as it was.
    assertEquals(await Array.fromAsync(Deno.readDir(out)), []);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
