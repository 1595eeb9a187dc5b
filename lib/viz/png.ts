/**
 * PNG export of figures through the system's headless Chromium (optional: everything else in
 * `lib/viz` works without a browser).
 *
 * @module
 */
import { dirname } from "@std/path";
import type { Figure } from "./figure.ts";
import { toHtml } from "./html.ts";
import { DEFAULT_CHROMIUM, launchChromium } from "./_chromium.ts";

/** Options of `figureToPng`. */
export interface PngOptions {
  /** Width in CSS pixels (default: the layout's width, else 800). */
  width?: number;
  /** Height in CSS pixels (default: the layout's height, else 600). */
  height?: number;
  /** Device pixels per CSS pixel (default 1; 2 for print). */
  scale?: number;
  /** The Chromium binary (default /usr/bin/chromium). */
  chromiumPath?: string;
}

/**
 * Renders `figure` with plotly.js in headless Chromium and writes it as a PNG to `path`
 * (atomically; parent directories created). Returns the PNG's bytes.
 *
 * @throws {Error} naming the missing binary when Chromium is not installed, or plotly's error
 * when the figure does not draw.
 *
 * @example
 * ```ts ignore
 * // not run as a test: starting headless Chromium takes ~10 s (tests/viz/browser_test.ts runs it)
 * import { figureToPng } from "./png.ts";
 * import { rocFigure } from "./figures.ts";
 * const fig = rocFigure([{ name: "m", fpr: [0, 0, 1], tpr: [0, 1, 1], auc: 1 }]);
 * const path = await Deno.makeTempFile({ suffix: ".png" });
 * const png = await figureToPng(fig, path, { width: 600, height: 560 });
 * if (png[1] !== 0x50 || png[2] !== 0x4e || png[3] !== 0x47) throw new Error("not a PNG");
 * await Deno.remove(path);
 * ```
 */
export async function figureToPng(
  figure: Figure,
  path: string,
  opts: PngOptions = {},
): Promise<Uint8Array> {
  const width = opts.width ?? (typeof figure.layout.width === "number" ? figure.layout.width : 800);
  const height = opts.height ??
    (typeof figure.layout.height === "number" ? figure.layout.height : 600);
  const browser = await launchChromium(opts.chromiumPath ?? DEFAULT_CHROMIUM);
  try {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    const sized = { ...figure, layout: { ...figure.layout, width, height } };
    await page.setContent(toHtml([sized], "figure"), { waitUntil: "load" });
    await page.waitForSelector("#figure-0 .main-svg", { timeout: 30_000 }).catch(() => {
      throw new Error(`figureToPng: the figure did not draw: ${errors.join("; ") || "timeout"}`);
    });
    const dataUrl = await page.evaluate(
      ([w, h, s]) =>
        // deno-lint-ignore no-explicit-any
        (globalThis as any).Plotly.toImage("figure-0", {
          format: "png",
          width: w,
          height: h,
          scale: s,
        }) as Promise<string>,
      [width, height, opts.scale ?? 1] as const,
    );
    const base64 = dataUrl.slice(dataUrl.indexOf(",") + 1);
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    await Deno.mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
    await Deno.writeFile(tmp, bytes);
    await Deno.rename(tmp, path);
    return bytes;
  } finally {
    await browser.close();
  }
}
