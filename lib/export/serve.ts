/**
 * The scoring page: a static page, served on 127.0.0.1 only, that loads an exported TF.js model in
 * the browser and scores the images a user drops on it (see `./page/page.js`).
 *
 * @module
 */

import { fromFileUrl, join } from "@std/path";
import { exists } from "../util/atomic.ts";
import { EXPORT_METADATA_FILE, type ExportMetadata } from "./metadata.ts";
import { TFJS_WEIGHTS_FILE } from "./tfjs_graph.ts";

/**
 * The TF.js browser bundles the page loads, in this order, served as one `tf.min.js` (from the
 * project's `node_modules`): tfjs-core, its cpu backend and the converter (`loadGraphModel`), each
 * a UMD script that adds itself to the global `tf`. They are the parts of the `@tensorflow/tfjs`
 * bundle the page uses; that meta package is not installed (lib/tf.ts).
 */
const TFJS_BUNDLES: readonly string[] = [
  "tfjs-core/dist/tf-core.min.js",
  "tfjs-backend-cpu/dist/tf-backend-cpu.min.js",
  "tfjs-converter/dist/tf-converter.min.js",
].map((file) => fromFileUrl(new URL(`../../node_modules/@tensorflow/${file}`, import.meta.url)));
const PAGE_HTML = fromFileUrl(new URL("./page/index.html", import.meta.url));
const PAGE_SCRIPT = fromFileUrl(new URL("./page/page.js", import.meta.url));

/** A running scoring page. */
export interface ScoringPage {
  /** `http://127.0.0.1:PORT/`. */
  url: string;
  /** Stops serving. */
  shutdown(): Promise<void>;
}

/**
 * Reads the metadata of a TF.js export folder (written by `exportRun` with `format: "tfjs"`).
 *
 * @throws Error naming `--model` when `dir` is not an export, or an export in another format.
 *
 * @example
 * ```ts
 * import { assertRejects } from "@std/assert";
 * import { readTfjsExport } from "./serve.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/edegan-export.json`, JSON.stringify({ modelFormat: "onnx" }));
 * await assertRejects(() => readTfjsExport(dir), Error, "an export in 'onnx' format");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readTfjsExport(dir: string): Promise<ExportMetadata> {
  const path = join(dir, EXPORT_METADATA_FILE);
  let metadata: ExportMetadata;
  try {
    metadata = JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    throw new Error(`--model ${dir}: cannot read ${path} (${(error as Error).message})`);
  }
  if (metadata.modelFormat !== "tfjs-graph-model") {
    throw new Error(
      `--model ${dir}: an export in '${metadata.modelFormat}' format; the page loads a TF.js ` +
        "export (`deno task export --format tfjs`) or a run folder",
    );
  }
  return metadata;
}

/**
 * Serves the scoring page for the TF.js export in `exportDir` on 127.0.0.1 (never another
 * interface) at `port` (0: any free port). The page's script is bundled for the browser from
 * `./page/page.js` with `deno bundle` when the server starts, so that it runs the very
 * preprocessing code `deno task score` runs. Paths served: `/`, `/page.js`, `/tf.min.js` and the
 * export's `model/model.json`, `model/weights.bin`, `model/edegan-export.json`; nothing else.
 *
 * @throws Error naming `--model` when `exportDir` is not a TF.js export; an error when the
 *   TF.js bundle is missing (`deno install`) or bundling fails.
 *
 * @example
 * ```ts ignore
 * // not run as a test: it needs an exported model (tests/export/page_test.ts serves one)
 * import { serveScoringPage } from "./serve.ts";
 * const page = await serveScoringPage("exports/mnist-2-tfjs", { port: 8080 });
 * console.log(page.url);
 * ```
 */
export async function serveScoringPage(
  exportDir: string,
  opts: { port?: number } = {},
): Promise<ScoringPage> {
  await readTfjsExport(exportDir);
  for (const bundle of TFJS_BUNDLES) {
    if (!(await exists(bundle))) {
      throw new Error(`${bundle} is missing: run \`deno install\` in the project first`);
    }
  }
  const tfjs = await tfjsBundle();
  const script = await bundlePage();
  const files: Record<string, () => Promise<Uint8Array>> = {
    "/": () => Deno.readFile(PAGE_HTML),
    "/index.html": () => Deno.readFile(PAGE_HTML),
    "/page.js": () => Promise.resolve(script),
    "/tf.min.js": () => Promise.resolve(tfjs),
  };
  for (const name of ["model.json", TFJS_WEIGHTS_FILE, EXPORT_METADATA_FILE]) {
    files[`/model/${name}`] = () => Deno.readFile(join(exportDir, name));
  }
  const types: Record<string, string> = {
    html: "text/html; charset=utf-8",
    js: "text/javascript; charset=utf-8",
    json: "application/json",
    bin: "application/octet-stream",
  };
  const controller = new AbortController();
  const { promise: listening, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: opts.port ?? 8080,
    signal: controller.signal,
    onListen: resolve,
  }, async (request) => {
    const { pathname } = new URL(request.url);
    const read = files[pathname];
    if (request.method !== "GET" || !read) return new Response("not found", { status: 404 });
    const extension = pathname === "/" ? "html" : pathname.split(".").pop()!;
    return new Response(await read() as Uint8Array<ArrayBuffer>, {
      headers: { "content-type": types[extension] ?? "application/octet-stream" },
    });
  });
  const address = await listening;
  return {
    url: `http://127.0.0.1:${address.port}/`,
    async shutdown() {
      controller.abort();
      await server.finished;
    },
  };
}

/** {@link TFJS_BUNDLES} as one script, each ending its own statement. */
async function tfjsBundle(): Promise<Uint8Array> {
  const parts = await Promise.all(TFJS_BUNDLES.map((file) => Deno.readTextFile(file)));
  return new TextEncoder().encode(parts.map((text) => `${text}\n;\n`).join(""));
}

/** The page's script, bundled for the browser. */
async function bundlePage(): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir({ prefix: "edegan-page-" });
  try {
    const out = join(dir, "page.js");
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--quiet", "--platform", "browser", "-o", out, PAGE_SCRIPT],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (code !== 0) {
      throw new Error(`bundling the page's script failed: ${new TextDecoder().decode(stderr)}`);
    }
    return await Deno.readFile(out);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
