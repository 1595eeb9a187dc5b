// Issue 30: one writer per run. Two writers replacing one folder never write into or delete each
// other's temporary folders; a run lock refuses a second live writer, naming its pid and host, and
// is taken over once its writer is gone.

import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { recoverFolder, replaceFolderAtomic } from "../../lib/util/atomic.ts";
import {
  acquireLock,
  lockIsStale,
  lockRunFolder,
  RunLockedError,
  STALE_AFTER_SECONDS,
  withLockWaiting,
} from "../../lib/util/run_lock.ts";

Deno.test("two writers replacing one folder at once both finish, leaving one complete folder", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/model`;
  let releaseFirst!: () => void;
  const firstMayFinish = new Promise<void>((resolve) => releaseFirst = resolve);
  const first = replaceFolderAtomic(path, async (tmp) => {
    await Deno.writeTextFile(`${tmp}/model.json`, "first");
    await firstMayFinish; // the second writer starts and finishes while this one fills
    await Deno.writeTextFile(`${tmp}/weights.bin`, "first");
  });
  await new Promise((resolve) => setTimeout(resolve, 10));
  await replaceFolderAtomic(path, async (tmp) => {
    await Deno.writeTextFile(`${tmp}/model.json`, "second");
    await Deno.writeTextFile(`${tmp}/weights.bin`, "second");
  });
  releaseFirst();
  await first; // before issue 30: "model.tmp/weights.bin: No such file or directory"
  const json = await Deno.readTextFile(`${path}/model.json`);
  assertEquals(await Deno.readTextFile(`${path}/weights.bin`), json, "never a mix of writers");
  const left = [];
  for await (const e of Deno.readDir(dir)) left.push(e.name);
  assertEquals(left, ["model"], "no temporary folder left behind");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a crash between the renames is recovered from the writer's own .old folder", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/model.old-123-abcd`);
  await Deno.writeTextFile(`${dir}/model.old-123-abcd/model.json`, "kept");
  await recoverFolder(`${dir}/model`);
  assertEquals(await Deno.readTextFile(`${dir}/model/model.json`), "kept");
  // A temporary folder of a writer that no longer runs is cleared by the next writer.
  const deadPid = 2 ** 22 + 11;
  await Deno.mkdir(`${dir}/model.tmp-${deadPid}-ffff`);
  await replaceFolderAtomic(
    `${dir}/model`,
    (tmp) => Deno.writeTextFile(`${tmp}/model.json`, "new"),
  );
  const left = [];
  for await (const e of Deno.readDir(dir)) left.push(e.name);
  assertEquals(left, ["model"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a run lock refuses a live second writer, naming its pid, host and the lock", async () => {
  const dir = await Deno.makeTempDir();
  // A live process on this host holds the lock (another deno training there).
  const child = new Deno.Command("sleep", { args: ["30"] }).spawn();
  await Deno.writeTextFile(
    `${dir}/run.lock`,
    JSON.stringify({ pid: child.pid, host: Deno.hostname(), started_at: "2026-01-01T00:00:00Z" }),
  );
  const error = await assertRejects(() => lockRunFolder(dir, "--out"), RunLockedError);
  assertStringIncludes(error.message, `--out ${dir}: another process writes here`);
  assertStringIncludes(error.message, `pid ${child.pid} on host ${Deno.hostname()}`);
  assertStringIncludes(error.message, `${dir}/run.lock`);
  // Once it is gone, the next writer takes the lock over and says whose it was.
  child.kill("SIGKILL");
  await child.status;
  const lock = await lockRunFolder(dir, "--out");
  assertEquals(lock.replaced?.pid, child.pid);
  const held = JSON.parse(await Deno.readTextFile(`${dir}/run.lock`));
  assertEquals([held.pid, held.host], [Deno.pid, Deno.hostname()]);
  // This process holds it now: a second lock of its own is refused too.
  await assertRejects(() => lockRunFolder(dir, "--out"), RunLockedError);
  await lock.release();
  assertEquals(await lockIsStale(`${dir}/run.lock`), undefined, "released: no lock left");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a lock from another host is held while its heartbeat is fresh, stale once it is old", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/run.lock`;
  await Deno.writeTextFile(
    path,
    JSON.stringify({ pid: 1, host: "node-17.cluster", started_at: "2026-01-01T00:00:00Z" }),
  );
  const error = await assertRejects(() => acquireLock(path, "--out R"), RunLockedError);
  assertStringIncludes(error.message, "pid 1 on host node-17.cluster");
  const old = new Date(Date.now() - (STALE_AFTER_SECONDS + 60) * 1000);
  await Deno.utime(path, old, old);
  assertStringIncludes((await lockIsStale(path)) ?? "", "heartbeat from host node-17.cluster");
  const lock = await acquireLock(path, "--out R");
  assertEquals(lock.replaced?.host, "node-17.cluster");
  await lock.release();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a lock left by this pid without this process holding it (a restarted container) is stale", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/run.lock`;
  await Deno.writeTextFile(
    path,
    JSON.stringify({ pid: Deno.pid, host: Deno.hostname(), started_at: "2026-01-01T00:00:00Z" }),
  );
  const lock = await acquireLock(path, "--out R");
  assert(lock.replaced);
  await lock.release();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("withLockWaiting: calls of one process never overlap, even when one reads the lock before its maker has returned", async () => {
  // The clean-clone CI of 2026-12-07 saw two calls both run their work: the second read the
  // first's new lock file, naming this pid, before the first had recorded that it held it, and took
  // it for a leftover. Many rounds of many calls, no sleeping in the work, make that window likely.
  const dir = await Deno.makeTempDir();
  const path = `${dir}/download.lock`;
  for (let round = 0; round < 20; round++) {
    let inside = 0;
    let most = 0;
    let done = 0;
    await Promise.all(Array.from({ length: 8 }, () =>
      withLockWaiting(path, "test", async () => {
        inside++;
        most = Math.max(most, inside);
        await Deno.stat(dir);
        inside--;
        done++;
      }, { pollMs: 1 })));
    assertEquals([most, done], [1, 8], `round ${round}`);
  }
  await Deno.remove(dir, { recursive: true });
});
