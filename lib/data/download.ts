/**
 * Downloads that survive being broken off: bytes go to `<dest>.part` (resumed with an HTTP Range
 * request when the server allows it), the MD5 checksum is verified, and only then is the file
 * renamed to its final name. A final file therefore always is complete and verified; a second
 * run picks up where the first stopped.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { exists } from "./_files.ts";
import { silentProgress, terminalProgress } from "../util/progress.ts";
import { CIFAR10_FILES, cifar10Present, defaultCifar10Dir } from "./cifar10.ts";
import { extractTarFiles } from "./tar.ts";
import { prepareOutDir } from "../util/out_dir.ts";
import { withLockWaiting } from "../util/run_lock.ts";

// They moved to cifar10.ts, whose registry entry needs them; importers of this module keep them.
export { CIFAR10_FILES, cifar10Present };

/**
 * The official CIFAR-10 binary archive.
 *
 * @example
 * ```ts
 * import { CIFAR10_URL } from "./download.ts";
 * if (!CIFAR10_URL.endsWith("cifar-10-binary.tar.gz")) throw new Error();
 * ```
 */
export const CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
/**
 * Its MD5 checksum, as published on the CIFAR-10 page.
 *
 * @example
 * ```ts
 * import { CIFAR10_MD5 } from "./download.ts";
 * if (CIFAR10_MD5.length !== 32) throw new Error();
 * ```
 */
export const CIFAR10_MD5 = "c32a1d4ab5d03f1284b67883e8d87530";

/**
 * Options of {@linkcode downloadFile}.
 *
 * @example
 * ```ts
 * import type { DownloadOptions } from "./download.ts";
 * const opts: DownloadOptions = { md5: "c32a1d4ab5d03f1284b67883e8d87530", progress: false };
 * if (opts.progress) throw new Error();
 * ```
 */
export interface DownloadOptions {
  /** Expected MD5 (hex); the download fails, and its partial file is removed, on a mismatch. */
  md5?: string;
  /** Show a progress bar on stderr (default true). */
  progress?: boolean;
  /** Label of the progress bar; default the file name. */
  label?: string;
  /** Called with (bytes so far, total bytes if known) as data arrives. */
  onProgress?: (received: number, total: number | undefined) => void;
}

/**
 * What {@linkcode downloadFile} did.
 *
 * @example
 * ```ts
 * import type { DownloadResult } from "./download.ts";
 * const r: DownloadResult = { path: "a.tar.gz", bytes: 3, resumed: false, cached: true };
 * if (!r.cached) throw new Error();
 * ```
 */
export interface DownloadResult {
  /** The final, verified file. */
  path: string;
  /** Size in bytes. */
  bytes: number;
  /** True when it continued a `.part` file from an earlier run. */
  resumed: boolean;
  /** True when the file was already there and nothing was fetched. */
  cached: boolean;
}

/**
 * MD5 (hex) of a file, read in chunks.
 *
 * @example
 * ```ts
 * import { md5File } from "./download.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "abc");
 * if (await md5File(path) !== "900150983cd24fb0d6963f7d28e17f72") throw new Error("md5");
 * await Deno.remove(path);
 * ```
 */
export async function md5File(path: string): Promise<string> {
  const hash = createHash("md5");
  using file = await Deno.open(path, { read: true });
  const buf = new Uint8Array(1 << 20);
  while (true) {
    const n = await file.read(buf);
    if (n === null) break;
    hash.update(buf.subarray(0, n));
  }
  return hash.digest("hex");
}

async function writeAll(file: Deno.FsFile, data: Uint8Array) {
  let off = 0;
  while (off < data.length) off += await file.write(data.subarray(off));
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return 0;
    throw err;
  }
}

/**
 * Downloads `url` to `dest` through `<dest>.part`: resumes a partial file with an HTTP Range
 * request (starting over when the server ignores the range), verifies `md5`, then renames. If
 * the connection breaks off, the error says how much arrived; the `.part` file stays for the next
 * run. A `dest` that already exists (and matches `md5`) is not fetched again.
 *
 * @example
 * ```ts
 * import { downloadFile } from "./download.ts";
 * const body = new TextEncoder().encode("abc");
 * const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, () => new Response(body));
 * const dest = (await Deno.makeTempDir()) + "/abc.txt";
 * const r = await downloadFile(`http://127.0.0.1:${server.addr.port}/`, dest, {
 *   md5: "900150983cd24fb0d6963f7d28e17f72", progress: false,
 * });
 * if (r.bytes !== 3 || await Deno.readTextFile(dest) !== "abc") throw new Error("downloaded");
 * await server.shutdown();
 * ```
 */
export function downloadFile(
  url: string,
  dest: string,
  opts: DownloadOptions = {},
): Promise<DownloadResult> {
  // One downloader per file: a second process (another sweep shard) waits, then finds it there.
  return withLockWaiting(
    `${dest}.lock`,
    `download ${dest}`,
    () => downloadLocked(url, dest, opts),
    {
      onWait: (h) => console.warn(`${dest}: pid ${h.pid} on host ${h.host} downloads it; waiting`),
    },
  );
}

async function downloadLocked(
  url: string,
  dest: string,
  opts: DownloadOptions,
): Promise<DownloadResult> {
  const md5 = opts.md5?.toLowerCase();
  if (await exists(dest)) {
    if (!md5 || (await md5File(dest)) === md5) {
      return { path: dest, bytes: await fileSize(dest), resumed: false, cached: true };
    }
    // Not written by us (we only rename verified files): fetch a good copy.
    await Deno.remove(dest);
  }
  const part = `${dest}.part`;
  let offset = await fileSize(part);
  const resumedFrom = offset;
  const headers: HeadersInit = offset > 0 ? { Range: `bytes=${offset}-` } : {};
  let res: Response;
  try {
    res = await fetch(url, { headers });
  } catch (err) {
    throw new Error(`download: cannot fetch ${url}: ${(err as Error).message}`);
  }
  let total: number | undefined;
  let append = false;
  const length = Number(res.headers.get("content-length") ?? NaN);
  if (res.status === 416 && offset > 0) {
    // The range starts at the end: the previous run got every byte but did not verify them.
    await res.body?.cancel();
    total = offset;
    append = true;
  } else if (res.status === 206 && offset > 0) {
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get("content-range") ?? "");
    if (m && Number(m[1]) === offset) {
      append = true;
      total = m[3] !== "*" ? Number(m[3]) : Number.isFinite(length) ? offset + length : undefined;
    } else {
      await res.body?.cancel();
      await Deno.remove(part).catch(() => {});
      return downloadLocked(url, dest, opts);
    }
  } else if (res.ok) {
    offset = 0; // the server sent the whole file (no range support): start over
    total = Number.isFinite(length) ? length : undefined;
  } else {
    await res.body?.cancel();
    throw new Error(`download: ${url} answered HTTP ${res.status} ${res.statusText}`);
  }

  if (res.status !== 416) {
    const label = opts.label ?? dest.slice(dest.lastIndexOf("/") + 1);
    const bar = (opts.progress ?? true)
      ? terminalProgress(label, { stream: "stderr" })
      : silentProgress;
    const started = performance.now();
    const megabytes = (bytes: number) => Math.round(bytes / 1e5) / 10;
    const show = (bytes: number) => {
      const seconds = (performance.now() - started) / 1000;
      const rate = seconds > 0 ? (bytes - offset) / seconds : 0;
      bar.update(megabytes(bytes), total ? megabytes(total) : NaN, `MB ${megabytes(rate)} MB/s`);
    };
    let received = offset;
    {
      using file = await Deno.open(part, {
        write: true,
        create: true,
        append,
        truncate: !append,
      });
      try {
        for await (const chunk of res.body!) {
          await writeAll(file, chunk);
          received += chunk.length;
          show(received);
          opts.onProgress?.(received, total);
        }
      } catch (err) {
        bar.finish();
        throw new Error(
          `download: ${url} broke off after ${received}${total ? ` of ${total}` : ""} bytes ` +
            `(${(err as Error).message}); ${part} is kept, run again to resume`,
        );
      }
    }
    bar.finish();
    if (total !== undefined && received !== total) {
      throw new Error(
        `download: ${url} ended after ${received} of ${total} bytes; ` +
          `${part} is kept, run again to resume`,
      );
    }
  }
  if (md5) {
    const actual = await md5File(part);
    if (actual !== md5) {
      await Deno.remove(part);
      throw new Error(
        `download: ${url}: MD5 ${actual}, expected ${md5}; the corrupt download was removed`,
      );
    }
  }
  await Deno.rename(part, dest);
  return { path: dest, bytes: await fileSize(dest), resumed: resumedFrom > 0, cached: false };
}

/**
 * Options of {@linkcode downloadCifar10}.
 *
 * @example
 * ```ts
 * import type { Cifar10DownloadOptions } from "./download.ts";
 * const opts: Cifar10DownloadOptions = { dataDir: "./data/cifar-10-batches-bin", keepArchive: true };
 * if (!opts.keepArchive) throw new Error();
 * ```
 */
export interface Cifar10DownloadOptions {
  /** Where the `.bin` batches go; default {@linkcode defaultCifar10Dir}. */
  dataDir?: string;
  /** The archive's URL; default {@linkcode CIFAR10_URL} (overridable for mirrors and tests). */
  url?: string;
  /** The archive's MD5; default {@linkcode CIFAR10_MD5}. */
  md5?: string;
  /** Keep the `.tar.gz` after unpacking (default false). */
  keepArchive?: boolean;
  /** Show a progress bar on stderr (default true). */
  progress?: boolean;
}

/**
 * Downloads the CIFAR-10 binary archive next to `dataDir` (as `cifar-10-binary.tar.gz`), verifies
 * its MD5, and unpacks the batch files into `dataDir`, each written as `.part` and renamed, so
 * that an interrupted run never leaves a damaged batch file. Does nothing when all files are
 * already there. Returns the directory.
 *
 * @example
 * ```ts ignore
 * // not run as a test: it downloads 170 MB from the network
 * import { downloadCifar10 } from "./download.ts";
 * const dir = await downloadCifar10(); // ~170 MB from www.cs.toronto.edu
 * ```
 */
export async function downloadCifar10(opts: Cifar10DownloadOptions = {}): Promise<string> {
  const dir = (opts.dataDir ?? defaultCifar10Dir()).replace(/\/+$/, "");
  if (await cifar10Present(dir)) return dir;
  const parent = dir.includes("/") ? dir.slice(0, dir.lastIndexOf("/")) || "/" : ".";
  // Checked before a 170 MB download, not after it.
  await prepareOutDir(parent, "--data-dir");
  // One process fetches and unpacks; another waits for it and then finds the files there.
  return withLockWaiting(`${dir}.lock`, `--data-dir ${dir}`, async () => {
    if (await cifar10Present(dir)) return dir;
    return await fetchCifar10(dir, parent, opts);
  }, { onWait: (h) => console.warn(`${dir}: pid ${h.pid} on host ${h.host} fetches it; waiting`) });
}

async function fetchCifar10(
  dir: string,
  parent: string,
  opts: Cifar10DownloadOptions,
): Promise<string> {
  const archive = `${parent}/cifar-10-binary.tar.gz`;
  const url = opts.url ?? CIFAR10_URL;
  await downloadFile(url, archive, {
    md5: opts.md5 ?? CIFAR10_MD5,
    progress: opts.progress,
    label: "cifar-10-binary.tar.gz",
  });
  await extractCifar10(archive, dir);
  if (!opts.keepArchive) await Deno.remove(archive);
  return dir;
}

/**
 * Unpacks the CIFAR-10 batch files (and `batches.meta.txt`) of a `.tar.gz` archive into `dir`,
 * flattening the archive's folder, streaming it from disk ({@linkcode extractTarFiles}); each file
 * is written as `.part` and renamed. Errors name the archive when it is damaged or lacks a batch.
 *
 * @example
 * ```ts ignore
 * // not run as a test: it needs the 170 MB CIFAR-10 archive
 * import { extractCifar10 } from "./download.ts";
 * await extractCifar10("cifar-10-binary.tar.gz", "cifar-10-batches-bin");
 * ```
 */
export async function extractCifar10(archive: string, dir: string): Promise<void> {
  const wanted = new Set([...CIFAR10_FILES, "batches.meta.txt"]);
  await Deno.mkdir(dir, { recursive: true });
  // Streamed: the archive is read once from disk, never held in memory whole.
  const written = await extractTarFiles(archive, (path) => {
    const base = path.slice(path.lastIndexOf("/") + 1);
    return wanted.has(base) ? `${dir}/${base}` : undefined;
  });
  const found = new Set(written.map((path) => path.slice(path.lastIndexOf("/") + 1)));
  const missing = CIFAR10_FILES.filter((f) => !found.has(f));
  if (missing.length > 0) {
    throw new Error(
      `${archive}: lacks ${missing.join(", ")}; expected the CIFAR-10 binary archive`,
    );
  }
}
