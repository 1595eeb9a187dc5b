import { assertEquals, assertFalse, assertRejects, assertStringIncludes } from "@std/assert";
import { extractTarFiles, readTar } from "../../lib/data/tar.ts";
import { gzip, makeTar, randomBytes } from "./_fixtures.ts";
import { exists } from "../../lib/util/atomic.ts";

const FILES: Array<[string, Uint8Array]> = [
  ["top/a.bin", randomBytes(70_000, 1)],
  ["top/skip.txt", randomBytes(10, 2)],
  ["top/" + "n".repeat(90) + ".bin", randomBytes(513, 3)],
];

async function names(dir: string) {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

const pickBins = (dir: string) => (path: string) =>
  path.endsWith(".bin") ? `${dir}/${path.slice(path.lastIndexOf("/") + 1)}` : undefined;

Deno.test("extractTarFiles: streams a .tar.gz or a plain .tar to the files picked, in archive order", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const [file, bytes] of [["a.tar.gz", gzip(makeTar(FILES))], ["a.tar", makeTar(FILES)]]) {
      const out = `${dir}/out-${file}`;
      await Deno.mkdir(out);
      await Deno.writeFile(`${dir}/${file}`, bytes as Uint8Array);
      const written = await extractTarFiles(`${dir}/${file}`, pickBins(out));
      const long = "n".repeat(90) + ".bin";
      assertEquals(written, [`${out}/a.bin`, `${out}/${long}`]);
      assertEquals(await names(out), ["a.bin", long]);
      assertEquals(await Deno.readFile(`${out}/a.bin`), FILES[0][1]);
      assertEquals(await Deno.readFile(`${out}/${long}`), FILES[2][1]);
    }
    // The in-memory reader agrees, for both forms.
    const entries = [...readTar(gzip(makeTar(FILES)), "a.tar.gz")];
    assertEquals(entries.map((e) => e.name), ["cifar-10-batches-bin/", ...FILES.map(([n]) => n)]);
    assertEquals(entries[1].data, FILES[0][1]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("extractTarFiles: a damaged archive is named, and leaves no file under its final name", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const tar = makeTar(FILES);
    const gz = gzip(tar);
    const cases: Array<[string, Uint8Array, string]> = [
      // Cut inside the gzip stream: zlib's error, said with the archive's name.
      ["cut.tar.gz", gz.subarray(0, gz.length >> 1), "cut.tar.gz: not a valid .tar.gz"],
      // Cut inside a.bin's data (a plain tar): the entry is incomplete.
      ["cut.tar", tar.subarray(0, 512 * 2 + 40_000), "truncated tar archive"],
      // A header's checksum broken.
      [
        "bad.tar",
        (() => {
          const t = tar.slice();
          t[512 + 3] ^= 1;
          return t;
        })(),
        "corrupt tar archive",
      ],
    ];
    for (const [file, bytes, message] of cases) {
      const out = `${dir}/out-${file}`;
      await Deno.mkdir(out);
      await Deno.writeFile(`${dir}/${file}`, bytes);
      const err = await assertRejects(() => extractTarFiles(`${dir}/${file}`, pickBins(out)));
      assertStringIncludes(err.message, `${dir}/${file}: `);
      assertStringIncludes(err.message, message);
      assertFalse(await exists(`${out}/a.bin`), `${file}: no cut-off a.bin`);
      assertEquals((await names(out)).filter((n) => n.endsWith(".part")), [], `${file}: no .part`);
    }
    const err = await assertRejects(() => extractTarFiles(`${dir}/none.tar.gz`, pickBins(dir)));
    assertStringIncludes(err.message, `${dir}/none.tar.gz: file not found`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
