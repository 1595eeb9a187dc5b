/**
 * Progress of long loops: a terminal bar redrawn in place, or, when stdout is not a terminal or
 * `EDEGAN_NO_PROGRESS=1`, an occasional plain line.
 *
 * @module
 */

/** Something that is told how far a loop has come. */
export interface ProgressSink {
  /** `done` of `total` units, with a short status text (losses, images/s). */
  update(done: number, total: number, status?: string): void;
  /** Ends the bar with a final text. */
  finish(status?: string): void;
}

/**
 * A progress bar on stdout (or plain lines at most every `intervalSeconds` when not a terminal).
 *
 * @example
 * ```ts
 * import { terminalProgress } from "./progress.ts";
 * const bar = terminalProgress("train", { plain: true });
 * bar.update(5, 10, "loss 0.3");
 * bar.finish();
 * ```
 */
export function terminalProgress(
  label: string,
  opts: { plain?: boolean; intervalSeconds?: number; write?: (text: string) => void } = {},
): ProgressSink {
  const write = opts.write ??
    ((text: string) => Deno.stdout.writeSync(new TextEncoder().encode(text)));
  const plain = opts.plain ??
    (Deno.env.get("EDEGAN_NO_PROGRESS") === "1" || !Deno.stdout.isTerminal());
  const interval = (opts.intervalSeconds ?? 15) * 1000;
  let lastPrint = -Infinity;
  let lastLine = "";
  return {
    update(done, total, status = "") {
      const fraction = total > 0 ? Math.min(1, done / total) : 0;
      if (plain) {
        const now = Date.now();
        if (now - lastPrint < interval && done < total) return;
        lastPrint = now;
        write(`${label} ${done}/${total} ${status}\n`);
        return;
      }
      const width = 24;
      const filled = Math.round(fraction * width);
      lastLine = `\r${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ` +
        `${done}/${total} ${status}`;
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
