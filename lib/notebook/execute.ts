/**
 * Executing notebooks headlessly: find a Python with nbclient, register Deno's Jupyter kernel,
 * run each notebook through nbclient (`_execute.py`) with its own folder as the working
 * directory, and publish the executed copies as HTML with nbconvert.
 *
 * @module
 */

import { basename, dirname, fromFileUrl, join, resolve } from "@std/path";
import { type CellError, stripAnsi } from "./notebook.ts";
import { plotlySource } from "../viz/plotly_source.ts";
import { writeFileAtomic } from "../util/atomic.ts";

/** The file published HTML pages share plotly.js from, beside them in the output folder. */
export const SHARED_PLOTLY = "plotly.min.js";

const EXECUTOR = fromFileUrl(new URL("./_execute.py", import.meta.url));

async function output(
  command: string,
  args: string[],
  opts: { env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const out = await new Deno.Command(command, { args, env: opts.env, stdin: "null" }).output();
    const text = new TextDecoder();
    return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { code: 127, stdout: "", stderr: "" };
    throw error;
  }
}

/**
 * The first Python interpreter that imports nbclient, nbformat and nbconvert: `$EDEGAN_PYTHON`,
 * then `python3` on the path, then Debian's `/usr/bin/python3` (where `apt install
 * python3-nbclient` puts them even when another python3 comes first on the path); `null` when
 * none does.
 *
 * @example
 * ```ts
 * import { findPython } from "./execute.ts";
 * const python = await findPython(); // e.g. "python3"; null where nbclient is not installed
 * if (python !== null && python.length === 0) throw new Error("empty interpreter name");
 * ```
 */
export async function findPython(): Promise<string | null> {
  const candidates = [Deno.env.get("EDEGAN_PYTHON"), "python3", "/usr/bin/python3"];
  for (const python of candidates) {
    if (!python) continue;
    const probe = await output(python, ["-c", "import nbclient, nbformat, nbconvert"]);
    if (probe.code === 0) return python;
  }
  return null;
}

/**
 * Makes sure Jupyter knows a kernel named `deno`: asks jupyter_client for its kernel specs and,
 * when `deno` is missing, runs `deno jupyter --install`. Returns the kernel spec's folder.
 *
 * @example
 * ```ts ignore
 * // not run as a test: it may install a Jupyter kernel spec into the user's Jupyter folders
 * import { ensureDenoKernel, findPython } from "./execute.ts";
 * console.log(await ensureDenoKernel((await findPython())!));
 * ```
 */
export async function ensureDenoKernel(python: string): Promise<string> {
  const list = async () => {
    const out = await output(python, [
      "-c",
      "import json; from jupyter_client.kernelspec import KernelSpecManager as K; " +
      "print(json.dumps(K().find_kernel_specs()))",
    ]);
    if (out.code !== 0) throw new Error(`listing Jupyter kernels failed:\n${out.stderr}`);
    return JSON.parse(out.stdout.trim().split("\n").at(-1)!) as Record<string, string>;
  };
  const found = (await list())["deno"];
  if (found) return found;
  const install = await output(Deno.execPath(), ["jupyter", "--install"]);
  if (install.code !== 0) throw new Error(`deno jupyter --install failed:\n${install.stderr}`);
  const installed = (await list())["deno"];
  if (!installed) throw new Error("deno jupyter --install ran, but Jupyter finds no 'deno' kernel");
  return installed;
}

/** Options of {@link executeNotebooks}. */
export interface ExecuteOptions {
  /** Notebook files to run, in order. */
  notebooks: string[];
  /** Where executed copies (and HTML) go; created when missing. */
  outDir: string;
  /** Seconds one cell may run (0: no limit; default 600). */
  cellTimeoutSeconds?: number;
  /** Also publish each executed notebook as HTML (default true). */
  html?: boolean;
  /** Extra environment of the kernels (e.g. `EDEGAN_PRESET`); `EDEGAN_NOTEBOOK_OUT` is `outDir`. */
  env?: Record<string, string>;
  /** The interpreter to use (default: {@link findPython}). */
  python?: string;
  /** Called with each progress line of the executor. */
  log?: (line: string) => void;
}

/** What running one notebook left. */
export interface NotebookRun {
  notebook: string;
  /** The executed copy. */
  executed: string;
  /** The published HTML, when asked for and nbconvert succeeded. */
  html?: string;
  seconds: number;
  /** Error outputs and executor failures (timeout, dead kernel), with their cells. */
  errors: CellError[];
}

/**
 * Runs notebooks through nbclient with the `deno` kernel (registering it if needed), writing
 * executed copies to `outDir/<name>.ipynb` and, unless `html: false`, `outDir/<name>.html`
 * through `jupyter nbconvert --to html`. A notebook with errors is still written, so its
 * failure can be read; the errors are returned, never thrown.
 *
 * @throws {Error} when no Python with nbclient is found or the executor itself fails.
 *
 * @example
 * ```ts ignore
 * // not run as a test: executing a notebook takes minutes (tests/notebooks runs them)
 * import { executeNotebooks } from "./execute.ts";
 * const [run] = await executeNotebooks({
 *   notebooks: ["notebooks/01-ede-gan.ipynb"], outDir: "notebooks/out",
 * });
 * console.log(run.seconds, run.errors);
 * ```
 */
export async function executeNotebooks(opts: ExecuteOptions): Promise<NotebookRun[]> {
  const python = opts.python ?? await findPython();
  if (!python) {
    throw new Error(
      "no Python with nbclient, nbformat and nbconvert found (tried $EDEGAN_PYTHON, python3, " +
        "/usr/bin/python3); install python3-nbclient and jupyter-nbconvert",
    );
  }
  await ensureDenoKernel(python);
  const outDir = resolve(opts.outDir);
  await Deno.mkdir(outDir, { recursive: true });
  const summary = await Deno.makeTempFile({ prefix: "edegan-notebooks-", suffix: ".json" });
  const args = [
    EXECUTOR,
    "--kernel",
    "deno",
    "--timeout",
    String(opts.cellTimeoutSeconds ?? 600),
    "--out",
    outDir,
    "--summary",
    summary,
    ...opts.notebooks.map((n) => resolve(n)),
  ];
  const child = new Deno.Command(python, {
    args,
    // EDEGAN_NOTEBOOK_OUT: where a notebook may keep its own run folders (resumable results).
    env: { EDEGAN_NOTEBOOK_OUT: outDir, ...opts.env, PYDEVD_DISABLE_FILE_VALIDATION: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const log = opts.log ?? (() => {});
  const stderr: string[] = [];
  await Promise.all([eachLine(child.stdout, log), eachLine(child.stderr, (l) => stderr.push(l))]);
  const status = await child.status;
  let runs: NotebookRun[];
  try {
    runs = JSON.parse(await Deno.readTextFile(summary));
  } catch {
    throw new Error(
      `the notebook executor failed (exit ${status.code}):\n${stderr.slice(-20).join("\n")}`,
    );
  } finally {
    await Deno.remove(summary).catch(() => {});
  }
  if (runs.length !== opts.notebooks.length) {
    throw new Error(
      `the notebook executor stopped after ${runs.length} of ${opts.notebooks.length} ` +
        `notebooks (exit ${status.code}):\n${stderr.slice(-20).join("\n")}`,
    );
  }
  if (opts.html ?? true) {
    for (const run of runs) run.html = await publishHtml(python, run.executed, outDir);
  }
  return runs.map((r) => ({
    ...r,
    notebook: relativeName(r.notebook, opts.notebooks),
    errors: r.errors.map((e) => ({ ...e, evalue: stripAnsi(e.evalue) })),
  }));
}

async function eachLine(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop()!;
    parts.forEach(onLine);
  }
  if (rest) onLine(rest);
}

function relativeName(absolute: string, given: string[]): string {
  return given.find((g) => resolve(g) === absolute) ?? absolute;
}

/**
 * Converts an executed notebook to HTML next to it (`jupyter nbconvert --to html`, run as
 * `python -m nbconvert` with the interpreter that has nbconvert). nbconvert keeps `text/html`
 * of each bundle, so the plots' HTML fallbacks draw them offline. Returns the HTML path, or
 * `undefined` (with a warning) when nbconvert fails.
 *
 * @example
 * ```ts ignore
 * // not run as a test: it needs an executed notebook and Debian's nbconvert (tests/notebooks)
 * import { findPython, publishHtml } from "./execute.ts";
 * await publishHtml((await findPython())!, "notebooks/out/01-ede-gan.ipynb", "notebooks/out");
 * ```
 */
export async function publishHtml(
  python: string,
  executed: string,
  outDir: string,
): Promise<string | undefined> {
  const out = await output(python, [
    "-m",
    "nbconvert",
    "--to",
    "html",
    "--output-dir",
    outDir,
    executed,
  ], { env: { PYDEVD_DISABLE_FILE_VALIDATION: "1" } });
  const html = join(outDir, basename(executed).replace(/\.ipynb$/, ".html"));
  if (out.code !== 0) {
    console.warn(`nbconvert failed for ${executed}:\n${out.stderr.trim().split("\n").at(-1)}`);
    return undefined;
  }
  await dropLocalScripts(html);
  await sharePlotly(html);
  return html;
}

/**
 * Removes `<script src="file:///...">` tags from a published page: Debian's nbconvert points
 * require.js and MathJax at `/usr/share/javascript/`, files of the machine that converted it
 * (absent unless libjs-requirejs and libjs-mathjax are installed, and never where the page is
 * read). The plots need neither. Returns how many tags were removed.
 *
 * @example
 * ```ts
 * import { dropLocalScripts } from "./execute.ts";
 * const page = await Deno.makeTempFile({ suffix: ".html" });
 * await Deno.writeTextFile(
 *   page,
 *   '<script src="file:///usr/share/javascript/requirejs/require.min.js"></script><p>plot</p>',
 * );
 * if (await dropLocalScripts(page) !== 1) throw new Error("one tag to remove");
 * if (await Deno.readTextFile(page) !== "<p>plot</p>") throw new Error("page kept");
 * await Deno.remove(page);
 * ```
 */
export async function dropLocalScripts(htmlPath: string): Promise<number> {
  const page = await Deno.readTextFile(htmlPath);
  let removed = 0;
  const cleaned = page.replace(/<script[^>]*\ssrc="file:\/\/[^"]*"[^>]*>\s*<\/script>/g, () => {
    removed++;
    return "";
  });
  if (removed > 0) await writeFileAtomic(htmlPath, cleaned);
  return removed;
}

/**
 * Replaces every copy of plotly.js inlined in a published page (4.8 MB each) by one
 * `<script src="plotly.min.js">`, and writes that file once beside the page, so that a folder of
 * pages carries plotly.js once and still opens offline. Returns how many copies were replaced.
 *
 * @example
 * ```ts
 * import { sharePlotly } from "./execute.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/page.html`, "<p>no plots</p>");
 * if (await sharePlotly(`${dir}/page.html`) !== 0) throw new Error("nothing to share");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function sharePlotly(htmlPath: string): Promise<number> {
  const source = plotlySource();
  const page = await Deno.readTextFile(htmlPath);
  const parts = page.split(source);
  if (parts.length === 1) return 0;
  // The inlined copy sits in `<script>if (!window.Plotly) {\n...\n}</script>`: the guarded
  // script stays (empty), and the shared file is loaded just before it.
  const shared = join(dirname(htmlPath), SHARED_PLOTLY);
  const current = await Deno.readTextFile(shared).catch(() => undefined);
  if (current !== source) await writeFileAtomic(shared, source);
  const tag = `<script src="${SHARED_PLOTLY}"></script>`;
  const rewritten = parts.map((part, i) => {
    if (i === parts.length - 1) return part;
    const open = part.lastIndexOf("<script>");
    return open < 0 ? part : `${part.slice(0, open)}${tag}${part.slice(open)}`;
  }).join("");
  await writeFileAtomic(htmlPath, rewritten);
  return parts.length - 1;
}

/**
 * The notebooks of a folder (`*.ipynb`, sorted by name, executed copies under `out/` left out).
 *
 * @example
 * ```ts
 * import { listNotebooks } from "./execute.ts";
 * const dir = await Deno.makeTempDir();
 * for (const name of ["02-b.ipynb", "01-a.ipynb", "_draft.ipynb", "notes.md"]) {
 *   await Deno.writeTextFile(`${dir}/${name}`, "{}");
 * }
 * const names = (await listNotebooks(dir)).map((path) => path.slice(dir.length + 1));
 * if (names.join() !== "01-a.ipynb,02-b.ipynb") throw new Error(names.join());
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function listNotebooks(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && entry.name.endsWith(".ipynb") && !entry.name.startsWith("_")) {
      names.push(join(dir, entry.name));
    }
  }
  return names.sort();
}
