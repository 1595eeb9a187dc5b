// Every manifest records the commit that made it (issue 27, item 1): the git state reader on a
// real repository, outside one, and through writeManifest in edegan's own checkout.

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { DIRTY_PATHS_SHOWN, edeganGitState, readGitState } from "../../lib/run/git_state.ts";
import { writeManifest } from "../../lib/run/provenance.ts";

function git(cwd: string, ...args: string[]): string {
  const { success, stdout, stderr } = new Deno.Command("git", {
    args: ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  if (!success) throw new Error(`git ${args.join(" ")}: ${new TextDecoder().decode(stderr)}`);
  return new TextDecoder().decode(stdout).trim();
}

Deno.test("git state: the commit, clean, then each changed path (truncated) and the full count", async () => {
  const dir = await Deno.makeTempDir();
  try {
    git(dir, "init", "-q");
    await Deno.writeTextFile(join(dir, "a.ts"), "1\n");
    git(dir, "add", "a.ts");
    git(dir, "commit", "-q", "-m", "one");
    const head = git(dir, "rev-parse", "HEAD");
    assertEquals(readGitState(dir), { commit: head, dirty: false, dirtyPaths: [], dirtyCount: 0 });
    await Deno.writeTextFile(join(dir, "a.ts"), "2\n");
    for (let i = 0; i < DIRTY_PATHS_SHOWN + 4; i++) {
      await Deno.writeTextFile(join(dir, `new-${String(i).padStart(2, "0")}.ts`), "");
    }
    const dirty = readGitState(dir);
    assertEquals(dirty.commit, head);
    assertEquals(dirty.dirty, true);
    assertEquals(dirty.dirtyCount, DIRTY_PATHS_SHOWN + 5);
    assertEquals(dirty.dirtyPaths.length, DIRTY_PATHS_SHOWN);
    assertEquals(dirty.dirtyPaths[0], "M a.ts");
    assertEquals(dirty.dirtyPaths[1], "?? new-00.ts");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("git state: outside a checkout the commit is null and the note says why", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const state = readGitState(dir);
    assertEquals([state.commit, state.dirty, state.dirtyCount], [null, null, 0]);
    assertStringIncludes(state.note ?? "", `${dir} is not a git checkout`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeManifest stamps run.json with edegan's own commit", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeManifest(join(dir, "run.json"), { kind: "train" });
    const written = JSON.parse(await Deno.readTextFile(join(dir, "run.json")));
    const root = new URL("../../", import.meta.url).pathname;
    assertEquals(written.git.commit, git(root, "rev-parse", "HEAD"));
    assertEquals(typeof written.git.dirty, "boolean");
    assertEquals(written.git, edeganGitState());
    assert(written.git.dirtyPaths.length <= DIRTY_PATHS_SHOWN);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
