import {
  assert,
  assertEquals,
  assertFalse,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { createHash } from "node:crypto";
import { downloadCifar10, downloadFile, md5File } from "../../lib/data/download.ts";
import { loadCifar10 } from "../../lib/data/cifar10.ts";
import { readTar } from "../../lib/data/tar.ts";
import { listDatasets } from "../../lib/data/list.ts";
import { main } from "../../tasks/data.ts";
import { fakeCifarFiles, gzip, makeTar } from "./_fixtures.ts";
import { exists } from "../../lib/util/atomic.ts";

Deno.env.set("EDEGAN_NO_PROGRESS", "1");

const FILES = fakeCifarFiles(8, 10);
const ARCHIVE = gzip(makeTar(FILES.map(([n, b]) => [`cifar-10-batches-bin/${n}`, b])));
const MD5 = createHash("md5").update(ARCHIVE).digest("hex");

interface ServerState {
  /** Serve only the first half of the next N responses, then close the connection. */
  breakOff: number;
  /** Honour Range requests (206); otherwise always send the whole file (200). */
  ranges: boolean;
  requests: Array<string | null>;
}

/** Serves `body` at /cifar.tar.gz on 127.0.0.1:<random port>. */
function serve(body: Uint8Array, state: ServerState) {
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
    const range = req.headers.get("range");
    state.requests.push(range);
    let start = 0;
    let status = 200;
    const headers = new Headers({ "accept-ranges": state.ranges ? "bytes" : "none" });
    const m = range && state.ranges ? /^bytes=(\d+)-$/.exec(range) : null;
    if (m) {
      start = Number(m[1]);
      if (start >= body.length) {
        return new Response(null, {
          status: 416,
          headers: { "content-range": `bytes */${body.length}` },
        });
      }
      status = 206;
      headers.set("content-range", `bytes ${start}-${body.length - 1}/${body.length}`);
    }
    const rest = body.subarray(start);
    headers.set("content-length", String(rest.length));
    const breaking = state.breakOff > 0;
    if (breaking) state.breakOff--;
    let sent = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent) return c.close(); // early close: the client sees fewer bytes than promised
        sent = true;
        c.enqueue(breaking ? rest.slice(0, rest.length >> 1) : rest.slice());
        if (!breaking) c.close();
      },
    });
    return new Response(stream, { status, headers });
  });
  return { server, url: `http://127.0.0.1:${server.addr.port}/cifar.tar.gz` };
}

async function assertCifarFiles(dir: string) {
  for (const [name, bytes] of FILES) assertEquals(await Deno.readFile(`${dir}/${name}`), bytes);
  const d = await loadCifar10(dir);
  assertEquals([d.train.count, d.test.count], [40, 10]);
}

Deno.test("tar reader: entries of a generated archive; a damaged header is named", () => {
  const tar = makeTar([["a/x.bin", Uint8Array.of(1, 2, 3)], [
    "a/" + "n".repeat(90),
    new Uint8Array(600),
  ]]);
  const entries = [...readTar(tar, "t.tar")];
  assertEquals(entries.map((e) => [e.name, e.type, e.data.length]), [
    ["cifar-10-batches-bin/", "directory", 0],
    ["a/x.bin", "file", 3],
    ["a/" + "n".repeat(90), "file", 600],
  ]);
  assertEquals([...entries[1].data], [1, 2, 3]);
  const bad = tar.slice();
  bad[512 + 3] ^= 1;
  assertThrows(() => [...readTar(bad, "t.tar")], Error, "t.tar: header at byte 512: checksum");
  assertThrows(() => [...readTar(tar.subarray(0, 1600), "t.tar")], Error, "truncated tar archive");
});

Deno.test("downloadCifar10: fetch, verify MD5, unpack; a second run fetches nothing", async () => {
  const state: ServerState = { breakOff: 0, ranges: true, requests: [] };
  const { server, url } = serve(ARCHIVE, state);
  const root = await Deno.makeTempDir();
  const dir = `${root}/cifar-10-batches-bin`;
  try {
    assertEquals(await downloadCifar10({ dataDir: dir, url, md5: MD5, progress: false }), dir);
    await assertCifarFiles(dir);
    assertFalse(await exists(`${root}/cifar-10-binary.tar.gz`), "archive removed after unpacking");
    assertFalse(await exists(`${root}/cifar-10-binary.tar.gz.part`));
    await downloadCifar10({ dataDir: dir, url, md5: MD5, progress: false });
    assertEquals(state.requests.length, 1);
  } finally {
    await server.shutdown();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("download broken off midway: no final file; the second run resumes with Range and verifies", async () => {
  const state: ServerState = { breakOff: 1, ranges: true, requests: [] };
  const { server, url } = serve(ARCHIVE, state);
  const root = await Deno.makeTempDir();
  const dir = `${root}/cifar-10-batches-bin`;
  const archive = `${root}/cifar-10-binary.tar.gz`;
  try {
    const err = await assertRejects(() =>
      downloadCifar10({ dataDir: dir, url, md5: MD5, progress: false })
    );
    const half = ARCHIVE.length >> 1;
    assertStringIncludes(err.message, `broke off after ${half} of ${ARCHIVE.length} bytes`);
    assertStringIncludes(err.message, "run again to resume");
    assertFalse(await exists(archive), "no final archive after a broken download");
    assertFalse(await exists(`${dir}/data_batch_1.bin`), "no batch files either");
    assertEquals((await Deno.stat(`${archive}.part`)).size, half);

    assertEquals(await downloadCifar10({ dataDir: dir, url, md5: MD5, progress: false }), dir);
    assertEquals(state.requests, [null, `bytes=${half}-`]);
    await assertCifarFiles(dir);
    assertFalse(await exists(`${archive}.part`));
  } finally {
    await server.shutdown();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("downloadFile: a server without Range support restarts cleanly; a bad MD5 leaves nothing", async () => {
  const state: ServerState = { breakOff: 1, ranges: false, requests: [] };
  const { server, url } = serve(ARCHIVE, state);
  const root = await Deno.makeTempDir();
  const dest = `${root}/a.tar.gz`;
  try {
    await assertRejects(() => downloadFile(url, dest, { md5: MD5, progress: false }));
    assertFalse(await exists(dest));
    const seen: number[] = [];
    const r = await downloadFile(url, dest, {
      md5: MD5,
      progress: false,
      onProgress: (n) => seen.push(n),
    });
    assertEquals(r.bytes, ARCHIVE.length);
    assertEquals(seen.at(-1), ARCHIVE.length);
    assertEquals(await md5File(dest), MD5);
    assertEquals(await Deno.readFile(dest), ARCHIVE);

    // A complete but unverified .part (killed before the rename): the server answers 416 to the
    // range past its end, and the file is verified and renamed without fetching it again.
    await Deno.writeFile(`${root}/c.tar.gz.part`, ARCHIVE);
    state.ranges = true;
    const r2 = await downloadFile(url, `${root}/c.tar.gz`, { md5: MD5, progress: false });
    assertEquals([r2.resumed, r2.bytes], [true, ARCHIVE.length]);
    assertEquals(state.requests.at(-1), `bytes=${ARCHIVE.length}-`);
    assertFalse(await exists(`${root}/c.tar.gz.part`));

    const wrong = "0".repeat(32);
    const err = await assertRejects(() =>
      downloadFile(url, `${root}/b.tar.gz`, { md5: wrong, progress: false })
    );
    assertStringIncludes(
      err.message,
      `MD5 ${MD5}, expected ${wrong}; the corrupt download was removed`,
    );
    assertFalse(await exists(`${root}/b.tar.gz`));
    assertFalse(await exists(`${root}/b.tar.gz.part`));
  } finally {
    await server.shutdown();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("deno task data: cifar10 with --url/--md5, list, and usage errors", async () => {
  const state: ServerState = { breakOff: 0, ranges: true, requests: [] };
  const { server, url } = serve(ARCHIVE, state);
  const root = await Deno.makeTempDir();
  const dir = `${root}/cifar`;
  const log = console.log, error = console.error;
  const out: string[] = [];
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => out.push(a.join(" "));
  try {
    assertEquals(await main(["cifar10", "--data-dir", dir, "--url", url, "--md5", MD5]), 0);
    await assertCifarFiles(dir);
    assertEquals(
      await main(["list", "--dataset", "cifar10", "--data-dir", dir, "--json", `${root}/l.json`]),
      0,
    );
    const rows = JSON.parse(await Deno.readTextFile(`${root}/l.json`));
    assertEquals(rows.find((r: { dataset: string }) => r.dataset === "cifar10").present, true);
    assert(out.some((l) => /^\|\s*cifar10\s*\|\s*yes\s*\|/m.test(l)), out.join("\n"));
    const listed = await listDatasets();
    assertEquals(listed.map((r) => r.dataset), ["mnist", "fashion-mnist", "cifar10", "folder"]);
    assertEquals(listed[0].present, true);

    out.length = 0;
    assertEquals(await main(["cifar10", "--bogus"]), 2);
    assertStringIncludes(out.join("\n"), "error: data: unknown flag --bogus; accepted: --data-dir");
    assertEquals(await main(["cifar10", "--md5", "abc"]), 2);
    assertStringIncludes(out.join("\n"), '--md5: "abc" invalid, expected 32 hexadecimal digits');
    assertEquals(await main(["fetch"]), 2);
    assertStringIncludes(out.join("\n"), 'error: data: unknown command "fetch"; accepted: list, ');
    // A near miss is named, for commands, flags and values alike.
    assertEquals(await main(["lsit"]), 2);
    assertStringIncludes(out.join("\n"), 'unknown command "lsit" (did you mean list?)');
    assertEquals(await main(["cifar10", "--data-dri", "x"]), 2);
    assertStringIncludes(out.join("\n"), "unknown flag --data-dri (did you mean --data-dir?)");
    assertEquals(await main(["list", "--dataset", "svhn"]), 2);
    assertStringIncludes(out.join("\n"), "error: data: --dataset: 'svhn' is not one of mnist");
    assertEquals(await main(["list", "--dataset", "cifar"]), 2);
    assertStringIncludes(out.join("\n"), "(did you mean cifar10?)");
    assertEquals(await main(["--help"]), 0);
    assertStringIncludes(out.join("\n"), "Usage: deno task data <command>");
  } finally {
    console.log = log;
    console.error = error;
    await server.shutdown();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("downloadCifar10: an unwritable --data-dir is refused before anything is fetched", async () => {
  const error = await assertRejects(() =>
    downloadCifar10({ dataDir: "/proc/edegan-nowhere/cifar", url: "http://127.0.0.1:9/never" })
  );
  assertStringIncludes(error.message, "--data-dir /proc/edegan-nowhere: cannot create this folder");
});
