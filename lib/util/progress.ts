/**
 * Progress of long loops and downloads: a terminal bar redrawn in place, or, when stdout is not a
 * terminal or `EDEGAN_NO_PROGRESS=1`, an occasional plain line. The project's one progress bar
 * (training, scoring, distillation, sweeps and downloads all use it).
 *
 * Hand-written because no well-kept library fits here: the deno-std on npm (1.4.0, the only std
 * this project can install) has no progress bar (JSR's `@std/cli/unstable-progress-bar` is
 * unstable and unreachable), and the plain-line mode for logs and CI is a rule of this project's
 * command-line vocabulary.
 *
 * @module
 */

/** Something that is told how far a loop has come. */
export interface ProgressSink {
  /**
   * `done` of `total` units, with a short status text (losses, images/s). A `total` of `NaN`
   * means unknown: no bar is drawn, only `done`.
   */
  update(done: number, total: number, status?: string): void;
  /** Ends the bar with a final text. */
  finish(status?: string): void;
}

/** Options of {@link terminalProgress}. */
export interface TerminalProgressOptions {
  /** Plain lines instead of a redrawn bar; default when stdout (or `stream`) is no terminal. */
  plain?: boolean;
  /** Seconds between plain lines (default 15); the last update is always printed. */
  intervalSeconds?: number;
  /** Where the text goes (default: `stream`). */
  write?: (text: string) => void;
  /** The stream written to (default `stdout`; downloads use `stderr`). */
  stream?: "stdout" | "stderr";
}

function envNoProgress(): boolean {
  try {
    return Deno.env.get("EDEGAN_NO_PROGRESS") === "1";
  } catch {
    return false; // no --allow-env: the variable cannot be set for us
  }
}

function isTerminal(stream: "stdout" | "stderr"): boolean {
  try {
    return Deno.stdout.isTerminal() && (stream === "stdout" || Deno.stderr.isTerminal());
  } catch {
    return false;
  }
}

/** A terminal is redrawn at most this often (a download updates on every chunk). */
const REDRAW_MS = 100;

/**
 * A progress bar on stdout (or plain lines at most every `intervalSeconds` when not a terminal).
 *
 * @example
 * ```ts
 * import { terminalProgress } from "./progress.ts";
 * const lines: string[] = [];
 * const bar = terminalProgress("train", { plain: true, write: (text) => lines.push(text) });
 * bar.update(5, 10, "loss 0.3");
 * bar.update(10, 10, "loss 0.2");
 * bar.finish("done");
 * if (lines.join("") !== "train 5/10 loss 0.3\ntrain 10/10 loss 0.2\ntrain done\n") {
 *   throw new Error(lines.join(""));
 * }
 * ```
 */
export function terminalProgress(label: string, opts: TerminalProgressOptions = {}): ProgressSink {
  const stream = opts.stream ?? "stdout";
  const encoder = new TextEncoder();
  const write = opts.write ??
    ((text: string) => Deno[stream].writeSync(encoder.encode(text)));
  const plain = opts.plain ?? (envNoProgress() || !isTerminal(stream));
  const interval = (opts.intervalSeconds ?? 15) * 1000;
  let lastPrint = -Infinity;
  let lastDraw = -Infinity;
  let lastLine = "";
  return {
    update(done, total, status = "") {
      const known = !Number.isNaN(total);
      const text = known ? `${done}/${total} ${status}` : `${done} ${status}`;
      if (plain) {
        const now = Date.now();
        if (now - lastPrint < interval && (!known || done < total)) return;
        lastPrint = now;
        write(`${label} ${text}\n`);
        return;
      }
      const fraction = known && total > 0 ? Math.min(1, done / total) : 0;
      const width = 24;
      const filled = Math.round(fraction * width);
      const bar = known ? ` [${"#".repeat(filled)}${"-".repeat(width - filled)}]` : "";
      lastLine = `\r${label}${bar} ${text}`;
      const now = performance.now();
      if (now - lastDraw < REDRAW_MS && (!known || done < total)) return;
      lastDraw = now;
      write(lastLine + "\x1b[K");
    },
    finish(status = "") {
      if (plain) {
        if (status) write(`${label} ${status}\n`);
      } else write(`${lastLine}${status ? " " + status : ""}\x1b[K\n`);
    },
  };
}

/** A sink that drops everything (quiet runs, tests). */
export const silentProgress: ProgressSink = { update() {}, finish() {} };

/**
 * `sink` with `prefix` before every status text (a stage's name before its epochs' lines).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { prefixedProgress } from "./progress.ts";
 * const seen: string[] = [];
 * const sink = prefixedProgress({ update: (_d, _t, s) => seen.push(s!), finish: (s) => seen.push(s!) }, "step 1/2");
 * sink.update(1, 2, "epoch 1/1");
 * sink.finish();
 * assertEquals(seen, ["step 1/2 epoch 1/1", "step 1/2"]);
 * ```
 */
export function prefixedProgress(sink: ProgressSink, prefix: string): ProgressSink {
  const join = (status?: string) => status ? `${prefix} ${status}` : prefix;
  return {
    update: (done, total, status) => sink.update(done, total, join(status)),
    finish: (status) => sink.finish(join(status)),
  };
}
