/**
 * The PyTorch peer of the `model` suite (`deno task bench --suite model --peer`): runs
 * `bench/pytorch_peer.py` (the same teacher, losses, Adam and step order, timed the same way, at 1
 * and 2 threads) and compares its images/s with edegan's. PyTorch is optional: it is never a
 * requirement of the tests or of the library, only of this comparison.
 *
 * @module
 */

import { fromFileUrl } from "@std/path";
import { MODEL_SUITE_TIMING, type ModelRow, withFlops } from "./model.ts";
import { modelCost } from "../models/ede_gan/mod.ts";
import { resolveConfig } from "../models/ede_gan/mod.ts";

/** How to get PyTorch where it is missing (Debian's package, the one the figures were taken with). */
export const TORCH_INSTALL_HINT = "apt-get install python3-torch";

/** Every peer row's backend starts with this (`pytorch-1t`, `pytorch-2t`). */
export const PEER_BACKEND_PREFIX = "pytorch-";

/** The Python candidates tried in order: `$EDEGAN_PYTHON`, `python3`, Debian's `/usr/bin/python3`. */
export function defaultPythons(): string[] {
  return [Deno.env.get("EDEGAN_PYTHON"), "python3", "/usr/bin/python3"].filter(
    (p): p is string => p !== undefined && p !== "",
  );
}

/** A row of the peer: a {@link ModelRow} and the generator's parameter count it checked. */
export interface PeerRow extends ModelRow {
  generator_params: number;
}

/** What {@link runPytorchPeer} runs. */
export interface PeerOptions {
  /** The interpreter; default the first of {@link defaultPythons} that imports torch. */
  python?: string;
  /** Base channel width (default 64, the teacher). */
  width?: number;
  /** Timed runs of every figure (default: the model suite's, {@link MODEL_SUITE_TIMING}). */
  repeats?: number;
  /** Thread counts, each in its own process (default 1 and 2). */
  threads?: number[];
  /** Stop repeating a figure after this many seconds (default: the model suite's). */
  budgetSeconds?: number;
  /** Each progress line of the script. */
  onProgress?: (msg: string) => void;
}

/** Where the script is: beside `lib/` in a checkout of edegan. */
export function peerScriptPath(): string {
  const url = new URL("../../bench/pytorch_peer.py", import.meta.url);
  if (url.protocol !== "file:") {
    throw new Error(
      `--peer: bench/pytorch_peer.py is only in a checkout of edegan (this copy runs from ${url.origin})`,
    );
  }
  return fromFileUrl(url);
}

/**
 * The first of `candidates` that imports torch, with torch's version; `null` when none does
 * (no such program, or no torch in it).
 *
 * @example
 * ```ts
 * import { findTorchPython } from "./peer.ts";
 * if (await findTorchPython(["/nonexistent/python3"]) !== null) throw new Error();
 * ```
 */
export async function findTorchPython(
  candidates: string[] = defaultPythons(),
): Promise<{ python: string; torch: string } | null> {
  for (const python of candidates) {
    try {
      const out = await new Deno.Command(python, {
        args: ["-c", "import torch; print(torch.__version__)"],
        stdin: "null",
        stdout: "piped",
        stderr: "null",
      }).output();
      if (out.code === 0) {
        return { python, torch: new TextDecoder().decode(out.stdout).trim() };
      }
    } catch (error) {
      if (
        !(error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied)
      ) {
        throw error;
      }
    }
  }
  return null;
}

/**
 * The rows in the script's output: one JSON object per line (other lines are ignored). Each must
 * have the fields of a {@link PeerRow}; errors name the line.
 *
 * @example
 * ```ts
 * import { parsePeerOutput } from "./peer.ts";
 * const rows = parsePeerOutput('{"backend":"pytorch-1t","phase":"train","batch":1,' +
 *   '"images_per_s":45,"peak_rss_mb":300,"device":"torch 1.13","generator_params":3200384}\n');
 * if (rows[0].images_per_s !== 45) throw new Error();
 * ```
 */
export function parsePeerOutput(stdout: string): PeerRow[] {
  const rows: PeerRow[] = [];
  stdout.split("\n").forEach((line, i) => {
    if (!line.trimStart().startsWith("{")) return;
    let row: PeerRow;
    try {
      row = JSON.parse(line);
    } catch (error) {
      throw new Error(
        `pytorch_peer.py output line ${i + 1} is not JSON: ${(error as Error).message}`,
      );
    }
    const bad = !String(row.backend).startsWith(PEER_BACKEND_PREFIX) ||
      (row.phase !== "train" && row.phase !== "score") || !Number.isInteger(row.batch) ||
      !(typeof row.images_per_s === "number" && row.images_per_s > 0) ||
      typeof row.peak_rss_mb !== "number" || !Number.isInteger(row.generator_params);
    if (bad) {
      throw new Error(
        `pytorch_peer.py output line ${i + 1}: expected backend pytorch-Nt, phase train|score, ` +
          `integer batch, images_per_s > 0, peak_rss_mb and generator_params; got ${line}`,
      );
    }
    rows.push(row);
  });
  return rows;
}

/**
 * Runs `bench/pytorch_peer.py` and returns its rows: training at batch 1 and 64 and scoring at
 * batch 1 and 256 for each thread count, as `pytorch-Nt` backends. The script checks that its
 * generator has as many parameters as edegan's of this width (3,200,384 for the teacher). Throws
 * when no Python imports torch (naming {@link TORCH_INSTALL_HINT}) or the script fails (with the
 * end of its stderr).
 *
 * @example
 * ```ts ignore
 * // not run as a test: it needs Python with PyTorch (tests/bench/peer_test.ts runs it)
 * import { runPytorchPeer } from "./peer.ts";
 * console.log(await runPytorchPeer({ width: 4, repeats: 1 }));
 * ```
 */
export async function runPytorchPeer(opts: PeerOptions = {}): Promise<PeerRow[]> {
  const width = opts.width ?? 64;
  const python = opts.python ?? (await findTorchPython())?.python;
  if (python === undefined) throw new Error(missingTorchMessage());
  const expectParams = modelCost(resolveConfig({ width })).generator.params;
  const args = [
    peerScriptPath(),
    "--width",
    String(width),
    "--expect-params",
    String(expectParams),
  ];
  const { trainRepeats, scoreRepeats, budgetSeconds, trainImagesPerCall, scoreImagesPerCall } =
    MODEL_SUITE_TIMING;
  args.push(
    "--train-repeats",
    String(opts.repeats ?? trainRepeats),
    "--score-repeats",
    String(opts.repeats ?? scoreRepeats),
    "--budget-seconds",
    String(opts.budgetSeconds ?? budgetSeconds),
    "--train-images-per-call",
    String(trainImagesPerCall),
    "--score-images-per-call",
    String(scoreImagesPerCall),
  );
  if (opts.threads !== undefined) args.push("--threads", opts.threads.join(","));
  const child = new Deno.Command(python, { args, stdin: "null", stdout: "piped", stderr: "piped" })
    .spawn();
  const stderrLines: string[] = [];
  const [stdout] = await Promise.all([
    new Response(child.stdout).text(),
    forEachLine(child.stderr, (line) => {
      stderrLines.push(line);
      if (stderrLines.length > 40) stderrLines.shift();
      if (/^\s+pytorch-\d+t /.test(line)) opts.onProgress?.(line.trim());
    }),
  ]);
  const { code } = await child.status;
  if (code !== 0) {
    throw new Error(
      `bench/pytorch_peer.py failed (${python}, exit ${code}):\n${stderrLines.join("\n")}`,
    );
  }
  return parsePeerOutput(stdout);
}

/** What `--peer` says when no Python imports torch. */
export function missingTorchMessage(candidates: string[] = defaultPythons()): string {
  return `--peer: no Python that imports torch (tried ${candidates.join(", ")}); ` +
    `install PyTorch with \`${TORCH_INSTALL_HINT}\` (or set EDEGAN_PYTHON). ` +
    `Showing edegan's rows only.`;
}

/**
 * The peer's rows, or none and a message saying why (no Python with torch: the message names
 * {@link TORCH_INSTALL_HINT}). A failing script is still an error.
 *
 * @example
 * ```ts
 * import { peerRows } from "./peer.ts";
 * const { rows, message } = await peerRows({}, ["/nonexistent/python3"]);
 * if (rows.length !== 0 || !message?.includes("apt-get install python3-torch")) throw new Error();
 * ```
 */
export async function peerRows(
  opts: PeerOptions = {},
  candidates: string[] = defaultPythons(),
): Promise<{ rows: PeerRow[]; message?: string }> {
  const python = opts.python ?? (await findTorchPython(candidates))?.python;
  if (python === undefined) return { rows: [], message: missingTorchMessage(candidates) };
  return { rows: (await runPytorchPeer({ ...opts, python })).map(withFlops) };
}

/** The figures compared, and the ratio over PyTorch that issue 29 sets for each. */
const COMPARED = [
  { phase: "train", batch: 64, target: 3 },
  { phase: "train", batch: 1, target: 2 },
  { phase: "score", batch: 256, target: 2 },
  { phase: "score", batch: 1, target: 2 },
] as const;

/**
 * Lines comparing edegan with PyTorch in one set of model-suite rows: for training at batch 64 and
 * 1 and scoring at batch 256 and 1, edegan's best backend's images/s over PyTorch's best thread
 * count's, against issue 29's targets (3x, 2x, 2x, 2x).
 * No lines when there are no peer rows.
 *
 * @example
 * ```ts
 * import { peerSummary } from "./peer.ts";
 * const row = (backend: string, images_per_s: number) =>
 *   ({ backend, phase: "train" as const, batch: 64, images_per_s, peak_rss_mb: 1 });
 * const lines = peerSummary([row("wasm", 52), row("onednn", 360), row("pytorch-1t", 179),
 *   row("pytorch-2t", 240)]);
 * if (!lines[0].includes("1.50x")) throw new Error(lines[0]);
 * ```
 */
export function peerSummary(rows: ModelRow[]): string[] {
  return peerRatios(rows).map(({ phase, batch, target, ours, theirs, ratio }) => {
    const what = `${phase === "train" ? "training" : "scoring"} at batch ${batch}`;
    if (ours === undefined || theirs === undefined || ratio === undefined) {
      return `${what}: no ${ours === undefined ? "edegan" : "PyTorch"} figure to compare`;
    }
    const met = ratio >= target ? "met" : "not met";
    return `${what}: edegan ${ours.backend} ${ours.images_per_s!.toFixed(1)} images/s / ` +
      `${theirs.backend} ${theirs.images_per_s!.toFixed(1)} = ${ratio.toFixed(2)}x PyTorch ` +
      `(target >= ${target}x: ${met})`;
  });
}

/** One compared figure: edegan's best row, PyTorch's best row and their ratio of images/s. */
export interface PeerRatio {
  phase: "train" | "score";
  batch: number;
  /** Issue 29's target ratio. */
  target: number;
  ours?: ModelRow;
  theirs?: ModelRow;
  ratio?: number;
}

/**
 * For training at batch 64 and 1 and scoring at batch 256 and 1: edegan's best backend's row,
 * PyTorch's best thread count's row and the ratio of their images/s (absent where either has no
 * figure). Empty when there are no peer rows.
 *
 * @example
 * ```ts
 * import { peerRatios } from "./peer.ts";
 * const row = (backend: string, images_per_s: number) =>
 *   ({ backend, phase: "score" as const, batch: 1, images_per_s, peak_rss_mb: 1 });
 * const r = peerRatios([row("onednn", 300), row("pytorch-1t", 150)]);
 * if (r.find((x) => x.phase === "score" && x.batch === 1)?.ratio !== 2) throw new Error();
 * ```
 */
export function peerRatios(rows: ModelRow[]): PeerRatio[] {
  const isPeer = (r: ModelRow) => r.backend.startsWith(PEER_BACKEND_PREFIX);
  if (!rows.some(isPeer)) return [];
  const best = (phase: string, batch: number, peer: boolean) =>
    rows.filter((r) =>
      r.phase === phase && r.batch === batch && isPeer(r) === peer && r.images_per_s !== null &&
      r.images_per_s > 0
    ).reduce<ModelRow | undefined>(
      (a, r) => (a === undefined || r.images_per_s! > a.images_per_s! ? r : a),
      undefined,
    );
  return COMPARED.map(({ phase, batch, target }) => {
    const ours = best(phase, batch, false);
    const theirs = best(phase, batch, true);
    const ratio = ours !== undefined && theirs !== undefined
      ? ours.images_per_s! / theirs.images_per_s!
      : undefined;
    return { phase, batch, target, ours, theirs, ratio };
  });
}

async function forEachLine(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop()!;
    lines.forEach(onLine);
  }
  if (pending !== "") onLine(pending);
}
