/**
 * results/queue.sh, the time-boxed worker of results/queue.txt: a deadline it cannot read or one
 * already passed is refused before anything runs; a malformed line, a job that would end after the
 * deadline and a job whose dependency is neither there nor being made are skipped, each saying
 * why, and nothing runs. (The jobs it does run are `deno task sweep --spec --only`, tested in
 * select_test.ts and campaign_test.ts.)
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";

const root = new URL("../../", import.meta.url).pathname;
const queue = join(root, "results/queue.sh");

async function run(args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command("bash", {
    args: [queue, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  return { code, text };
}

Deno.test("queue.sh: a deadline it cannot read, or one passed, stops it at once", async () => {
  const bad = await run(["nonsense"]);
  assertEquals(bad.code, 2);
  assertStringIncludes(bad.text, "DEADLINE 'nonsense' is not a time date -d reads");
  const passed = await run(["-1 min"]);
  assertEquals(passed.code, 2);
  assertStringIncludes(passed.text, "has passed");
  const none = await run([]);
  assertEquals(none.code, 2);
  assertStringIncludes(none.text, "usage: bash results/queue.sh DEADLINE");
});

Deno.test("queue.sh: malformed, too long and blocked jobs are skipped, saying why", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const list = join(dir, "queue.txt");
    await Deno.writeTextFile(
      list,
      [
        "# comment",
        "abc results/x y",
        "999 results/constraint/campaign.json late-job   # a trailing comment",
        `5 results/design/chosen.json blocked-job ${dir}/no-such-record.json`,
        "",
      ].join("\n"),
    );
    const { code, text } = await run(["+30 min", list]);
    assertEquals(code, 0, text);
    assertStringIncludes(text, "skip line 'abc results/x y': expected MINUTES SPEC ID [NEEDS]");
    assertStringIncludes(
      text,
      "skip late-job: 999 min would end after the deadline",
    );
    assertStringIncludes(text, `skip blocked-job: ${dir}/no-such-record.json is not there`);
    assertStringIncludes(text, "queue done");
    assert(!text.includes("--only"), `nothing ran:\n${text}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
