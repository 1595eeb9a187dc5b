// Issue 30: one writer per file also for downloads. Two downloads of one file at once (two sweep
// shards starting on one machine) used to append to the same `.part` file; now the second waits
// for the first and finds the file there.

import { assertEquals } from "@std/assert";
import { downloadFile, md5File } from "../../lib/data/download.ts";

Deno.test("two downloads of one file at once: one fetches, the other waits and finds it", async () => {
  const chunk = new Uint8Array(64 * 1024).map((_, i) => (i * 7) % 251);
  const chunks = 4;
  const whole = new Uint8Array(chunk.length * chunks);
  for (let i = 0; i < chunks; i++) whole.set(chunk, i * chunk.length);
  let requests = 0;
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, () => {
    requests++;
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === chunks) return controller.close();
        await new Promise((resolve) => setTimeout(resolve, 40));
        controller.enqueue(chunk);
        sent++;
      },
    });
    return new Response(body, { headers: { "content-length": String(whole.length) } });
  });
  const dest = `${await Deno.makeTempDir()}/data.bin`;
  const reference = `${dest}.reference`;
  await Deno.writeFile(reference, whole);
  const md5 = await md5File(reference);
  const url = `http://127.0.0.1:${server.addr.port}/`;
  try {
    const results = await Promise.all(
      [1, 2].map(() => downloadFile(url, dest, { md5, progress: false })),
    );
    assertEquals(results.map((r) => r.bytes), [whole.length, whole.length]);
    assertEquals(results.map((r) => r.cached).sort(), [false, true]);
    assertEquals(await Deno.readFile(dest), whole);
    assertEquals(requests, 1);
  } finally {
    await server.shutdown();
  }
});
