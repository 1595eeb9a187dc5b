/**
 * A progress bar on stderr (private). On a terminal it redraws one line; with
 * `EDEGAN_NO_PROGRESS=1` or a non-terminal stdout it prints an occasional plain line instead.
 *
 * @module
 */

import { envVar } from "./_files.ts";

/** Updates and finishes one progress display. */
export interface Progress {
  /** Reports `done` units of `total` (bytes). */
  update(done: number): void;
  /** Ends the display (a newline on a terminal). */
  finish(message?: string): void;
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

function isTerminal(): boolean {
  if (envVar("EDEGAN_NO_PROGRESS") === "1") return false;
  try {
    return Deno.stdout.isTerminal() && Deno.stderr.isTerminal();
  } catch {
    return false;
  }
}

/** A byte-progress display labelled `label`; `enabled: false` makes it silent. */
export function createProgress(
  label: string,
  total: number | undefined,
  start = 0,
  enabled = true,
): Progress {
  const encoder = new TextEncoder();
  const write = (s: string) => Deno.stderr.writeSync(encoder.encode(s));
  const tty = isTerminal();
  const t0 = performance.now();
  let lastDraw = 0;
  let lastStep = -1;
  const line = (done: number) => {
    const seconds = (performance.now() - t0) / 1000;
    const rate = seconds > 0 ? (done - start) / seconds : 0;
    const speed = `${mb(rate)} MB/s`;
    if (!total) return `${label} ${mb(done)} MB ${speed}`;
    const frac = Math.min(done / total, 1);
    const width = 30;
    const filled = Math.round(frac * width);
    return `${label} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ` +
      `${(frac * 100).toFixed(0).padStart(3)}% ${mb(done)}/${mb(total)} MB ${speed}`;
  };
  return {
    update(done) {
      if (!enabled) return;
      const now = performance.now();
      if (tty) {
        if (now - lastDraw < 100) return;
        lastDraw = now;
        write(`\r${line(done)}\x1b[K`);
        return;
      }
      // Plain lines: every 10%, or every 10 MB when the size is unknown.
      const step = total ? Math.floor((done / total) * 10) : Math.floor(done / 1e7);
      if (step !== lastStep) {
        lastStep = step;
        write(`${line(done)}\n`);
      }
    },
    finish(message) {
      if (!enabled) return;
      if (tty) write(`\r\x1b[K`);
      if (message) write(`${label} ${message}\n`);
    },
  };
}
