/**
 * Starting the system's headless Chromium through playwright-core, offline and with a fresh
 * profile each time.
 *
 * @module
 */
import type { BrowserContext } from "playwright-core";

/** Where Debian's `chromium` package puts the browser. */
export const DEFAULT_CHROMIUM = "/usr/bin/chromium";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** True when a file exists at `path`. */
export function chromiumExists(path = DEFAULT_CHROMIUM): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** A running browser with a fresh profile; `close` stops it and deletes the profile. */
export interface Chromium {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches headless Chromium at `path` with a temporary user-data-dir. */
export async function launchChromium(path = DEFAULT_CHROMIUM): Promise<Chromium> {
  if (!chromiumExists(path)) {
    throw new Error(
      `headless Chromium not found at ${path}: install it (apt-get install chromium) ` +
        `or pass the path of a Chromium binary`,
    );
  }
  const { chromium } = await import("playwright-core");
  const profile = await Deno.makeTempDir({ prefix: "edegan-chromium-" });
  try {
    // A persistent context is playwright's way to set --user-data-dir.
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: path,
      headless: true,
      args: ARGS,
    });
    return {
      context,
      async close() {
        await context.close().catch(() => {});
        await Deno.remove(profile, { recursive: true }).catch(() => {});
      },
    };
  } catch (e) {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
    throw e;
  }
}
