/**
 * The commit of edegan's own checkout that a run was made with, and whether the checkout had
 * uncommitted changes, so that a committed result can be traced to (and rerun from) its code.
 *
 * @module
 */

/** At most this many uncommitted paths are listed; `dirtyCount` has the full count. */
export const DIRTY_PATHS_SHOWN = 20;

/** The state of edegan's git checkout, as a manifest records it. */
export interface GitState {
  /** The commit (40 hex digits) checked out, or `null` outside a git checkout. */
  commit: string | null;
  /** Whether tracked or untracked files differ from the commit (`null`: unknown). */
  dirty: boolean | null;
  /** The first {@link DIRTY_PATHS_SHOWN} changed paths, as `git status --porcelain` prints them. */
  dirtyPaths: string[];
  /** How many paths differ in all. */
  dirtyCount: number;
  /** Why the commit is unknown (not a checkout, no git), when it is. */
  note?: string;
}

/**
 * Reads the git state of the checkout at `root` (a folder path): `git rev-parse HEAD` and
 * `git status --porcelain` limited to that folder. Never throws: outside a checkout, or without a
 * `git` program, `commit` is `null` and `note` says why.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readGitState } from "./git_state.ts";
 * const dir = await Deno.makeTempDir();
 * const state = readGitState(dir);
 * assertEquals([state.commit, state.dirty], [null, null]);
 * ```
 */
export function readGitState(root: string): GitState {
  const unknown = (note: string): GitState => ({
    commit: null,
    dirty: null,
    dirtyPaths: [],
    dirtyCount: 0,
    note,
  });
  const git = (args: string[]) => {
    const { success, stdout, stderr } = new Deno.Command("git", {
      args: ["-C", root, ...args],
      stdout: "piped",
      stderr: "piped",
      env: { GIT_OPTIONAL_LOCKS: "0" },
    }).outputSync();
    const decode = (b: Uint8Array) => new TextDecoder().decode(b).trim();
    return { success, out: decode(stdout), err: decode(stderr) };
  };
  try {
    const head = git(["rev-parse", "--verify", "HEAD"]);
    if (!head.success) {
      return unknown(`${root} is not a git checkout (${head.err.split("\n")[0]})`);
    }
    const status = git(["status", "--porcelain=v1", "--", "."]);
    if (!status.success) {
      return { ...unknown(`git status failed: ${status.err.split("\n")[0]}`), commit: head.out };
    }
    const lines = status.out.split("\n").filter((line) => line.trim() !== "");
    return {
      commit: head.out,
      dirty: lines.length > 0,
      dirtyPaths: lines.slice(0, DIRTY_PATHS_SHOWN).map((line) => line.trim()),
      dirtyCount: lines.length,
    };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return unknown("no `git` program on the PATH");
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      return unknown(`running git is not permitted (${(error as Error).message})`);
    }
    return unknown(`git failed: ${(error as Error).message}`);
  }
}

let cached: GitState | undefined;

/**
 * The git state of the edegan checkout this code was loaded from, read once per process (the
 * code a process runs is the code on disk when it started, so later edits do not change it).
 * Loaded from anywhere but a local folder (a package registry, a URL), `commit` is `null` and
 * `note` names where.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { edeganGitState } from "./git_state.ts";
 * const state = edeganGitState();
 * assertEquals(state.commit === null ? typeof state.note : state.commit.length, state.commit === null ? "string" : 40);
 * ```
 */
export function edeganGitState(): GitState {
  if (cached) return cached;
  const root = new URL("../../", import.meta.url);
  if (root.protocol !== "file:") {
    cached = {
      commit: null,
      dirty: null,
      dirtyPaths: [],
      dirtyCount: 0,
      note: `edegan was loaded from ${root.href}, not a git checkout`,
    };
  } else {
    cached = readGitState(decodeURIComponent(root.pathname));
  }
  return cached;
}
