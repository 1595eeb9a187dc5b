/**
 * One writer per run: a lock file (`run.lock` in a run folder, `<file>.lock` beside a single
 * output) created with `O_EXCL`, holding the writer's pid, host and start time. A second writer is
 * refused, naming the holder. A lock whose writer is gone is stale and taken over: on the same
 * host when its pid is no longer alive (or is this process without holding it, as after a
 * container restart), on another host when its heartbeat (the file's modification time, renewed
 * every 30 seconds while held) is older than {@link STALE_AFTER_SECONDS}.
 *
 * @module
 */

import { basename, dirname, join } from "@std/path";
import { commandLine } from "./command_line.ts";

/** Who holds a lock, as written in its file. */
export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  started_at: string;
  /** The command line of the holder. */
  command?: string;
}

/** A held lock. */
export interface RunLock {
  /** The lock file. */
  path: string;
  /** The stale lock this one replaced (its writer was gone), if any. */
  replaced?: LockHolder;
  /** Removes the lock file (idempotent). */
  release(): Promise<void>;
  /** `release`, for `await using lock = await lockRunFolder(...)`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** A lock on another host counts as stale when its heartbeat is older than this. */
export const STALE_AFTER_SECONDS = 600;
const HEARTBEAT_MS = 30_000;

/** Thrown when another live writer holds the lock; `holder` names it. */
export class RunLockedError extends Error {
  constructor(message: string, readonly holder: LockHolder) {
    super(message);
    this.name = "RunLockedError";
  }
}

// Locks this process holds or is creating (a count per path), so that its own pid in a lock file
// is told apart from a leftover. A path is counted from before its file is created, so that a
// second call of this process that reads the new file before the first has returned does not take
// it for a leftover (two calls of withLockWaiting then both ran their work).
const held = new Map<string, number>();
const hold = (path: string) => held.set(path, (held.get(path) ?? 0) + 1);
const unhold = (path: string) => {
  const n = (held.get(path) ?? 0) - 1;
  if (n > 0) held.set(path, n);
  else held.delete(path);
};

/**
 * Takes the lock file `path` for this process, or throws {@link RunLockedError} naming the live
 * holder, `what` (e.g. `--out runs/a`) and the way out. A stale lock is replaced and reported in
 * `replaced`. Release it with `release()` (or hold it with `await using`) when the writing is
 * done; a process that dies leaves a lock that the next writer finds stale.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { acquireLock } from "./run_lock.ts";
 * const dir = await Deno.makeTempDir();
 * const lock = await acquireLock(`${dir}/run.lock`, `--out ${dir}`);
 * const second = await acquireLock(`${dir}/run.lock`, `--out ${dir}`).then(() => "taken", (e) => e.name);
 * assertEquals(second, "RunLockedError");
 * await lock.release();
 * const again = await acquireLock(`${dir}/run.lock`, `--out ${dir}`);
 * await again.release();
 * ```
 */
export async function acquireLock(path: string, what: string): Promise<RunLock> {
  let replaced: LockHolder | undefined;
  let last: LockHolder = { pid: 0, host: "(several writers)", started_at: "(unknown)" };
  for (let attempt = 0; attempt < 5; attempt++) {
    const me: LockHolder = {
      pid: Deno.pid,
      host: hostname(),
      started_at: new Date().toISOString(),
      command: holderCommand(),
    };
    hold(path);
    try {
      await Deno.mkdir(dirname(path), { recursive: true });
      const file = await Deno.open(path, { write: true, createNew: true });
      try {
        await file.write(new TextEncoder().encode(JSON.stringify(me) + "\n"));
      } finally {
        file.close();
      }
      return heldLock(path, replaced);
    } catch (error) {
      unhold(path);
      if (!(error instanceof Deno.errors.AlreadyExists)) {
        throw new Error(`${what}: cannot create the lock ${path} (${(error as Error).message})`);
      }
    }
    const found = await readHolder(path);
    if (found === undefined) continue; // released in between: try again
    last = found.holder;
    const stale = await staleReason(path, found);
    if (stale === undefined) {
      if (found.holder.pid === Deno.pid && found.holder.host === hostname()) {
        throw new RunLockedError(
          `${what}: this process already writes here (an earlier call that has not ended, e.g. ` +
            `a notebook cell that was interrupted; lock ${path}); restart it, or choose another ` +
            `output`,
          found.holder,
        );
      }
      throw new RunLockedError(
        `${what}: another process writes here (pid ${found.holder.pid} on host ` +
          `${found.holder.host}, since ${found.holder.started_at}; lock ${path}). Wait for it ` +
          `to end, or choose another output; if that process is gone, the lock is taken over ` +
          `by itself (at once on ${found.holder.host}, from another host once its heartbeat is ` +
          `${STALE_AFTER_SECONDS / 60} minutes old), or delete ${path}`,
        found.holder,
      );
    }
    // Only one of several writers that found the same stale lock takes it over: each moves the
    // file to its own name, and only the one that moved the stale content (not a fresh lock
    // taken in between) goes on.
    const aside = `${path}.stale-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
    try {
      await Deno.rename(path, aside);
    } catch {
      continue;
    }
    const moved = await Deno.readTextFile(aside).catch(() => "");
    if (moved !== found.text) {
      // A fresh lock of another writer: put it back unless a newer one exists, and retry.
      await Deno.link(aside, path).catch(() => {});
      await Deno.remove(aside).catch(() => {});
      continue;
    }
    await Deno.remove(aside).catch(() => {});
    replaced = found.holder;
  }
  // Taken and released by others in turn every time this one looked: live writers, so a writer
  // that waits (withLockWaiting) waits on.
  throw new RunLockedError(
    `${what}: could not take the lock ${path} (several writers at once); try again`,
    last,
  );
}

/**
 * Runs `work` holding the lock `path`, waiting (polling every `pollMs`) while another live process
 * holds it, for work that a second process should wait for rather than repeat or be refused
 * (two sweep shards downloading the same dataset). `onWait` is told the holder once; past
 * `timeoutMs` of waiting (default: no limit) it throws, naming the lock and its holder.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { withLockWaiting } from "./run_lock.ts";
 * const path = `${await Deno.makeTempDir()}/download.lock`;
 * const order: number[] = [];
 * const slow = () => new Promise<void>((resolve) => setTimeout(resolve, 30));
 * await Promise.all([1, 2].map((n) =>
 *   withLockWaiting(path, "test", async () => { order.push(n); await slow(); order.push(n); }, { pollMs: 5 })
 * ));
 * // Either may take the lock first, but the second starts only when the first has ended.
 * assertEquals(order[0], order[1]);
 * assertEquals(order[2], order[3]);
 * assertEquals([...order].sort(), [1, 1, 2, 2]);
 * ```
 */
export async function withLockWaiting<T>(
  path: string,
  what: string,
  work: () => Promise<T>,
  opts: { pollMs?: number; onWait?: (holder: LockHolder) => void; timeoutMs?: number } = {},
): Promise<T> {
  let told = false;
  const started = Date.now();
  for (;;) {
    let lock: RunLock;
    try {
      lock = await acquireLock(path, what);
    } catch (error) {
      if (!(error instanceof RunLockedError)) throw error;
      if (!told) opts.onWait?.(error.holder);
      told = true;
      if (opts.timeoutMs !== undefined && Date.now() - started > opts.timeoutMs) {
        const h = error.holder;
        throw new Error(
          `${what}: waited ${Math.round(opts.timeoutMs / 1000)} s for the lock ${path} (pid ` +
            `${h.pid} on ${h.host} since ${h.started_at}); if no such process is at this work, ` +
            `delete ${path}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, opts.pollMs ?? 2000));
      continue;
    }
    try {
      return await work();
    } finally {
      await lock.release();
    }
  }
}

/**
 * Locks the run folder `dir` (its `run.lock`); see {@link acquireLock}.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { lockRunFolder } from "./run_lock.ts";
 * const dir = await Deno.makeTempDir();
 * const lock = await lockRunFolder(dir, "--out");
 * assertEquals(lock.path, `${dir}/run.lock`);
 * await lock.release();
 * ```
 */
export function lockRunFolder(dir: string, flag: string): Promise<RunLock> {
  return acquireLock(join(dir, "run.lock"), `${flag} ${dir}`);
}

/**
 * Locks the single output file `path` (through `<path>.lock` beside it); see {@link acquireLock}.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { lockOutputFile } from "./run_lock.ts";
 * const dir = await Deno.makeTempDir();
 * const lock = await lockOutputFile(`${dir}/scores.csv`, "--out");
 * assertEquals(lock.path, `${dir}/scores.csv.lock`);
 * await lock.release();
 * ```
 */
export function lockOutputFile(path: string, flag: string): Promise<RunLock> {
  return acquireLock(join(dirname(path), `${basename(path)}.lock`), `${flag} ${path}`);
}

/**
 * The holder recorded in a lock file, or `undefined` when there is none.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { lockHolder } from "./run_lock.ts";
 * assertEquals(await lockHolder(`${await Deno.makeTempDir()}/run.lock`), undefined);
 * ```
 */
export async function lockHolder(path: string): Promise<LockHolder | undefined> {
  return (await readHolder(path))?.holder;
}

/**
 * Whether the writer that holds the lock `path` is gone (the lock is stale): `undefined` when a
 * live writer holds it (or there is no lock), else the reason.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { lockIsStale } from "./run_lock.ts";
 * const path = `${await Deno.makeTempDir()}/run.lock`;
 * await Deno.writeTextFile(path, JSON.stringify({ pid: 2 ** 22 + 7, host: Deno.hostname(), started_at: "" }));
 * assertEquals((await lockIsStale(path))?.startsWith("pid"), true);
 * ```
 */
export async function lockIsStale(path: string): Promise<string | undefined> {
  const found = await readHolder(path);
  return found ? await staleReason(path, found) : undefined;
}

async function readHolder(
  path: string,
): Promise<{ holder: LockHolder; text: string } | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    // An empty or torn lock file: its writer died while writing it, or is writing it now.
    return { holder: { pid: -1, host: "(unknown)", started_at: "(unknown)" }, text };
  }
  if (typeof value?.pid === "number" && typeof value?.host === "string") {
    return { holder: value as LockHolder, text };
  }
  // A marker that names no writer (older sweeps wrote `{}`): nobody to wait for.
  return { holder: { pid: 0, host: "(none)", started_at: "(unknown)" }, text };
}

async function staleReason(
  path: string,
  found: { holder: LockHolder; text: string },
): Promise<string | undefined> {
  const { holder } = found;
  const ageSeconds = await Deno.stat(path).then(
    (info) => (Date.now() - (info.mtime?.getTime() ?? Date.now())) / 1000,
    () => 0,
  );
  if (holder.pid === 0) return "a lock that names no writer";
  if (holder.pid === -1) {
    // A torn lock is given a moment, in case its writer is still writing it.
    return ageSeconds > 5 ? "an unreadable lock file" : undefined;
  }
  if (holder.host === hostname()) {
    if (holder.pid === Deno.pid) {
      return held.has(path)
        ? undefined
        : `pid ${holder.pid} is this process, which does not hold it`;
    }
    return processAlive(holder.pid) ? undefined : `pid ${holder.pid} is no longer running`;
  }
  return ageSeconds > STALE_AFTER_SECONDS
    ? `its heartbeat from host ${holder.host} is ${Math.round(ageSeconds)} s old`
    : undefined;
}

/**
 * Whether process `pid` runs on this host (one owned by another user counts as running).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { processAlive } from "./run_lock.ts";
 * assertEquals(processAlive(Deno.pid), true);
 * ```
 */
export function processAlive(pid: number): boolean {
  try {
    Deno.kill(pid, 0 as unknown as Deno.Signal);
    return true;
  } catch (error) {
    // EPERM: alive, owned by another user.
    return !(error instanceof Deno.errors.NotFound);
  }
}

function heldLock(path: string, replaced: LockHolder | undefined): RunLock {
  const timer = setInterval(() => {
    const now = new Date();
    Deno.utime(path, now, now).catch(() => {});
  }, HEARTBEAT_MS);
  Deno.unrefTimer(timer);
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    clearInterval(timer);
    unhold(path);
    await Deno.remove(path).catch(() => {});
  };
  return {
    path,
    ...(replaced ? { replaced } : {}),
    release,
    [Symbol.asyncDispose]: release,
  };
}

/** This machine's name (`Deno.hostname`), or `unknown-host` without the permission to read it. */
function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown-host";
  }
}

/** The holder's command (main module and arguments), cut at 300 characters. */
function holderCommand(): string {
  const { main, args } = commandLine();
  return ["deno", main, ...args].join(" ").slice(0, 300);
}
