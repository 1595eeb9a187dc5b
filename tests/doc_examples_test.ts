import { assertEquals } from "@std/assert";
import { fromFileUrl, join, relative } from "@std/path";

const ROOT = fromFileUrl(new URL("..", import.meta.url));

async function* sources(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* sources(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

// `deno task test` runs every JSDoc example under lib/; one marked `ignore` is skipped, so it
// must say on its first line why it cannot run there (a GPU, the network, minutes of training).
Deno.test("every JSDoc example under lib/ marked ignore says why on its first line", async () => {
  const unexplained: string[] = [];
  let ignored = 0;
  for await (const path of sources(join(ROOT, "lib"))) {
    const lines = (await Deno.readTextFile(path)).split("\n");
    lines.forEach((line, i) => {
      if (!/^\s*\*\s*```\w*\s+ignore\b/.test(line)) return;
      ignored++;
      if (!/^\s*\*\s*\/\/ not run as a test: \S/.test(lines[i + 1] ?? "")) {
        unexplained.push(`${relative(ROOT, path)}:${i + 1}`);
      }
    });
  }
  assertEquals(unexplained, []);
  if (ignored === 0) throw new Error("no ignored example found: the pattern no longer matches");
});
