/**
 * The onednn backend's Adam step in native code (`adam.c`), on the cores OpenMP gives oneDNN
 * (`--threads`). The wasm backend's Adam runs on one core in tfjs's wasm heap, which no other
 * thread can reach from WebAssembly; oneDNN already reads and writes that heap by address, so
 * the same update compiled to a shared library can too, split between threads. Same float32
 * operations in the same order, no fused multiply-add: the same bits as the wasm kernel (tested).
 *
 * The library is compiled on first use with the system's C compiler (`EDEGAN_CC`, else `CC`, else
 * `cc`; it needs OpenMP, as gcc and clang with libgomp/libomp have) into a cache folder
 * (`EDEGAN_CACHE_DIR`, else `$XDG_CACHE_HOME/edegan`, else `~/.cache/edegan`), named by a hash of
 * the source, the flags and the platform, written under a temporary name and renamed (two processes
 * that build at once each end with a whole file). Without a compiler the onednn backend keeps the
 * wasm Adam (same results, slower); the backend's description (printed by the tasks, kept in
 * every manifest) says which Adam ran and why. `EDEGAN_NATIVE_ADAM=0` chooses the wasm one.
 *
 * Source of the update: Kingma & Ba 2015; PyTorch's `torch.optim.Adam` (lib/ops/adam_update.ts).
 *
 * @module
 */

import { envVar } from "./threads.ts";

/** The compiler flags: optimised, OpenMP, and nothing that changes a float32 result. */
export const NATIVE_ADAM_FLAGS: readonly string[] = [
  "-O3",
  "-fPIC",
  "-shared",
  "-fopenmp",
  "-ffp-contract=off",
  "-fno-math-errno",
];

const symbols = {
  edegan_adam_version: { parameters: [], result: "i32" },
  edegan_adam_flat: {
    parameters: ["pointer", "buffer", "i32", "buffer", "i32"],
    result: "void",
  },
} as const satisfies Deno.ForeignLibraryInterface;

const INTERFACE_VERSION = 3;

/** The loaded library, or why there is none. */
export type NativeAdamStatus =
  | { state: "native"; path: string; built: boolean }
  | { state: "wasm"; reason: string };

/**
 * The update, bound: `heap` the wasm heap's first byte, `table` rows of (p, g, p', m, v byte
 * offsets in it, n), `constants` the seven of `adam.c`, on `threads` threads.
 */
export interface NativeAdam {
  adamFlat(
    heap: Deno.PointerValue,
    table: Uint32Array,
    count: number,
    constants: Float32Array,
    threads: number,
  ): void;
  path: string;
  /** How many steps it has run in this process (tests check that it ran). */
  calls: number;
}

/**
 * Whether the onednn kernel uses the native library when it has one (default true): benches set
 * it false to time the wasm Adam in the same process (`bench/adam_native.ts`).
 */
export const nativeAdamSwitch = { enabled: true };

let status: NativeAdamStatus | undefined;
let bound: NativeAdam | undefined;

/**
 * The native Adam, built and loaded on the first call (`undefined` where it cannot be: the reason
 * is in {@link nativeAdamStatus}).
 *
 * @example
 * ```ts
 * import { nativeAdam, nativeAdamStatus } from "./native_adam.ts";
 * const adam = nativeAdam();
 * if ((adam === undefined) !== (nativeAdamStatus().state === "wasm")) throw new Error();
 * ```
 */
export function nativeAdam(): NativeAdam | undefined {
  if (status === undefined) {
    try {
      if (envVar("EDEGAN_NATIVE_ADAM") === "0") {
        throw new Error("EDEGAN_NATIVE_ADAM=0");
      }
      let { path, built } = buildNativeAdam();
      let lib: Deno.DynamicLibrary<typeof symbols>;
      try {
        lib = openNativeAdam(path);
      } catch (error) {
        if (built) throw error;
        // A cached file that does not load (another machine's, a damaged one): built again once.
        Deno.removeSync(path);
        ({ path, built } = buildNativeAdam());
        lib = openNativeAdam(path);
      }
      const adam: NativeAdam = {
        path,
        calls: 0,
        adamFlat: (heap, table, count, constants, threads) => {
          adam.calls++;
          lib.symbols.edegan_adam_flat(heap, table, count, constants, threads);
        },
      };
      bound = adam;
      status = { state: "native", path, built };
    } catch (error) {
      status = { state: "wasm", reason: (error as Error).message };
    }
  }
  return bound;
}

function openNativeAdam(path: string): Deno.DynamicLibrary<typeof symbols> {
  const lib = Deno.dlopen(path, symbols);
  const version = lib.symbols.edegan_adam_version();
  if (version !== INTERFACE_VERSION) {
    lib.close();
    throw new Error(`${path}: interface ${version}, expected ${INTERFACE_VERSION}`);
  }
  return lib;
}

/**
 * Whether the onednn backend's Adam is native (and from which file) or wasm (and why); loads it
 * first if no step has yet.
 *
 * @example
 * ```ts
 * import { nativeAdamStatus } from "./native_adam.ts";
 * const s = nativeAdamStatus();
 * console.log(s.state === "native" ? s.path : s.reason);
 * ```
 */
export function nativeAdamStatus(): NativeAdamStatus {
  nativeAdam();
  return status!;
}

/**
 * The folder built libraries go to: `EDEGAN_CACHE_DIR`, `$XDG_CACHE_HOME/edegan` or
 * `~/.cache/edegan`. Throws when none of the three variables is set.
 *
 * @example
 * ```ts
 * import { nativeCacheDir } from "./native_adam.ts";
 * if (Deno.env.get("EDEGAN_CACHE_DIR") === undefined && !nativeCacheDir().endsWith("edegan")) {
 *   throw new Error();
 * }
 * ```
 */
export function nativeCacheDir(): string {
  const own = envVar("EDEGAN_CACHE_DIR");
  if (own !== undefined) return own;
  const xdg = envVar("XDG_CACHE_HOME");
  if (xdg !== undefined) return `${xdg}/edegan`;
  const home = envVar("HOME");
  if (home === undefined) throw new Error("no cache folder: set EDEGAN_CACHE_DIR or HOME");
  return `${home}/.cache/edegan`;
}

/**
 * The library's file, compiled from `adam.c` unless a file of the same source, flags and platform
 * is already in the cache folder ({@link nativeCacheDir}). Throws, naming the fix: when the
 * compiler is missing, when the compiler may not be run or the folder not written (Deno's
 * permissions), when no cache folder can be made, and with the compiler's message when it fails.
 *
 * @example
 * ```ts
 * import { buildNativeAdam } from "./native_adam.ts";
 * try {
 *   const { path } = buildNativeAdam();
 *   if (!path.endsWith(".so")) throw new Error(path);
 * } catch (error) {
 *   console.log((error as Error).message); // e.g. no C compiler 'cc' (...); install gcc ...
 * }
 * ```
 */
export function buildNativeAdam(): { path: string; built: boolean } {
  const source = Deno.readTextFileSync(new URL("./adam.c", import.meta.url));
  const cc = envVar("EDEGAN_CC") ?? envVar("CC") ?? "cc";
  const key = fnv1a64([source, cc, ...NATIVE_ADAM_FLAGS, Deno.build.target].join("\0"));
  const dir = nativeCacheDir();
  const path = `${dir}/edegan-adam-${key}.so`;
  try {
    if (Deno.statSync(path).isFile) return { path, built: false };
  } catch {
    // not built yet
  }
  try {
    Deno.mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new Error(
      `cannot make the cache folder ${dir} (${(error as Error).message.split("\n")[0]}); ` +
        `set EDEGAN_CACHE_DIR to a writable folder, or EDEGAN_NATIVE_ADAM=0`,
    );
  }
  // Names no other build shares: processes (pool workers share a pid) and machines (a home on
  // NFS) may build at once; each renames a whole file into place.
  const unique = crypto.randomUUID();
  const sourcePath = `${dir}/edegan-adam-${key}.${unique}.c`;
  const partial = `${path}.${unique}.partial`;
  Deno.writeTextFileSync(sourcePath, source);
  try {
    let result: Deno.CommandOutput;
    try {
      result = new Deno.Command(cc, {
        args: [...NATIVE_ADAM_FLAGS, "-o", partial, sourcePath],
        stdout: "piped",
        stderr: "piped",
      }).outputSync();
    } catch (error) {
      const first = (error as Error).message.split("\n")[0];
      if (error instanceof Deno.errors.NotFound) {
        throw new Error(
          `no C compiler '${cc}' (${first}); install gcc (apt-get install gcc) or set EDEGAN_CC`,
        );
      }
      throw new Error(
        `cannot run the C compiler '${cc}' (${first}); run with --allow-run=${cc} ` +
          `--allow-write=${dir} (or -A), or set EDEGAN_NATIVE_ADAM=0`,
      );
    }
    if (!result.success) {
      const message = new TextDecoder().decode(result.stderr).trim().split("\n").slice(0, 3);
      throw new Error(
        `${cc} ${NATIVE_ADAM_FLAGS.join(" ")} failed: ${message.join(" / ") || "(no message)"}; ` +
          `it needs OpenMP (gcc has it; clang needs libomp-dev): set EDEGAN_CC=gcc, or ` +
          `EDEGAN_NATIVE_ADAM=0`,
      );
    }
    Deno.renameSync(partial, path);
    return { path, built: true };
  } finally {
    for (const leftover of [sourcePath, partial]) {
      try {
        Deno.removeSync(leftover);
      } catch {
        // already gone (renamed)
      }
    }
  }
}

/** 64-bit FNV-1a of a string's UTF-16 code units, as 16 hex digits (a cache key, not security). */
function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, "0");
}
