// The import graph of lib/ as `deno info --json` sees it, and the two measures of the house that
// must stay at zero: import circles (every import counts, `import type` too: a circle of types
// still ties the files together) and imports of a private `_` file from outside its folder.

import { fromFileUrl, join, relative } from "@std/path";

/** One import of a lib/ file by a lib/ file (paths relative to the repository root). */
export interface Import {
  from: string;
  to: string;
  /** Whether it is a runtime import (else `import type` only). */
  code: boolean;
}

interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[];
}

async function* tsFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* tsFiles(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

/**
 * Every import between the files under `root/lib`, read with `deno info --json` from one entry
 * that imports them all (so that files mod.ts does not reach are counted too).
 */
export async function libImports(root: string): Promise<Import[]> {
  const lib = join(root, "lib");
  const files: string[] = [];
  for await (const file of tsFiles(lib)) files.push(file);
  const entry = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(
      entry,
      files.sort().map((f) => `import "${new URL(`file://${f}`).href}";`).join("\n"),
    );
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", `--config=${join(root, "deno.json")}`, entry],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (code !== 0) throw new Error(`deno info failed: ${new TextDecoder().decode(stderr)}`);
    const info = JSON.parse(new TextDecoder().decode(stdout)) as { modules: InfoModule[] };
    const inLib = (specifier: string) =>
      specifier.startsWith("file://") && fromFileUrl(specifier).startsWith(`${lib}/`);
    const out: Import[] = [];
    for (const m of info.modules) {
      if (!inLib(m.specifier)) continue;
      const from = relative(root, fromFileUrl(m.specifier));
      for (const d of m.dependencies ?? []) {
        const target = d.code?.specifier ?? d.type?.specifier;
        if (!target || !inLib(target)) continue;
        out.push({ from, to: relative(root, fromFileUrl(target)), code: d.code !== undefined });
      }
    }
    return out;
  } finally {
    await Deno.remove(entry);
  }
}

/**
 * The import circles: each strongly connected set of two or more files (Tarjan's algorithm), its
 * files sorted. `runtimeOnly` leaves `import type` out.
 */
export function importCircles(imports: Import[], runtimeOnly = false): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to, code } of imports) {
    if (runtimeOnly && !code) continue;
    next.set(from, [...(next.get(from) ?? []), to]);
    if (!next.has(to)) next.set(to, []);
  }
  let counter = 0;
  const index = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const set: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        set.push(w);
      } while (w !== v);
      if (set.length > 1 || (next.get(v) ?? []).includes(v)) circles.push(set.sort());
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) visit(v);
  return circles;
}

/**
 * Imports of a private file (`_name.ts`, or any file under a `_folder/`) from outside its folder
 * of lib/ (`lib/backend/onednn/_ffi.ts` is private to `lib/backend/`, as a Deno std package's `_`
 * files are to the package; `strict`: to `lib/backend/onednn/` and the folders below it).
 */
export function crossFolderPrivateImports(imports: Import[], strict = false): Import[] {
  return imports.filter(({ from, to }) => {
    const parts = to.split("/");
    const privateAt = parts.findIndex((part) => part.startsWith("_"));
    if (privateAt < 0) return false;
    const home = parts.slice(0, strict ? privateAt : Math.min(privateAt, 2)).join("/");
    return !from.startsWith(`${home}/`);
  });
}
