import { assert, assertEquals, assertMatch, assertThrows } from "@std/assert";
import {
  HELP,
  isaHint,
  parsePrefixArgs,
  recordedIsa,
  rerunOptions,
} from "../../results/prefix_check.ts";
import type { TrainRunManifest } from "../../lib/run/manifest.ts";
import { readRunManifest } from "../../lib/run/manifest.ts";
import { runDeno } from "../_helpers.ts";

/** A `train` manifest as `deno task train` writes one: the limits in both sections. */
const TRAINED: TrainRunManifest = {
  kind: "train",
  status: "finished",
  training: { epochs: 15, batchSize: 64, seed: 1, limit: 512, testLimit: 300, ema: 0.99 },
  config: { width: 64, latentSize: 100, latent: "tanh" },
  data: { dataset: "fashion-mnist", normalClass: 3, protocol: "one-class", limit: 512 },
};

Deno.test("rerunOptions: a train run's own settings, its training limits first", () => {
  assertEquals(rerunOptions(TRAINED), {
    dataset: "fashion-mnist",
    normal: 3,
    protocol: "one-class",
    epochs: 15,
    batchSize: 64,
    seed: 1,
    limit: 512,
    testLimit: 300,
    ema: 0.99,
    model: { width: 64, latentSize: 100, latent: "tanh" },
  });
});

Deno.test("rerunOptions: null training limits fall back to the data section's", () => {
  const teacher: TrainRunManifest = {
    ...TRAINED,
    training: { epochs: 2, batchSize: 16, seed: 0, limit: null, testLimit: null, ema: null },
    data: { dataset: "mnist", normalClass: 2, limit: 1024, testLimit: 2000 },
  };
  const opts = rerunOptions(teacher);
  assertEquals([opts.limit, opts.testLimit, opts.ema], [1024, 2000, undefined]);
  // Absent (older manifests) falls back the same way; no limit anywhere is none.
  const absent = rerunOptions({ ...teacher, training: { epochs: 2, batchSize: 16, seed: 0 } });
  assertEquals([absent.limit, absent.testLimit], [1024, 2000]);
  const none = rerunOptions({ ...teacher, data: { dataset: "mnist", normalClass: 2 } });
  assertEquals([none.limit, none.testLimit], [undefined, undefined]);
});

Deno.test("rerunOptions: the committed reproduce teacher reruns with data's limits 1024/2000", async () => {
  const run = await readRunManifest(
    new URL(
      "../../results/reproduce-mnist-quick/runs/mnist-c2-s0/teacher/run.json",
      import.meta.url,
    ).pathname,
  );
  if (run?.kind !== "train") throw new Error("not a train run");
  assertEquals(run.training.limit, null);
  const opts = rerunOptions(run);
  assertEquals(
    [opts.dataset, opts.normal, opts.batchSize, opts.seed, opts.limit, opts.testLimit],
    ["mnist", 2, 16, 0, 1024, 2000],
  );
  assertEquals(opts.model, { width: 32, latentSize: 100, latent: "tanh" });
});

Deno.test("rerunOptions: a manifest without data is an error", () => {
  assertThrows(() => rerunOptions({ ...TRAINED, data: null }), Error, "no data section");
});

Deno.test("recordedIsa: the set a backend description names, none in older ones", () => {
  assertEquals(
    recordedIsa(
      "oneDNN 2.6.3 convolutions (omp, 2 thread(s) from --threads, avx512_core kernels), Adam " +
        "native on 2 thread(s), wasm XNNPACK, 1 thread(s) for the rest",
    ),
    "avx512_core",
  );
  assertEquals(
    recordedIsa(
      "oneDNN 2.6.3 convolutions (omp, 1 thread(s), avx kernels under ONEDNN_MAX_CPU_ISA=avx)",
    ),
    "avx",
  );
  assertEquals(
    recordedIsa(
      "oneDNN 2.6.3 convolutions (omp, 1 thread(s)), wasm XNNPACK, 1 thread(s) for the rest",
    ),
    undefined,
  );
  assertEquals(recordedIsa(null), undefined);
});

const OLD_ONEDNN = {
  backend: {
    name: "onednn",
    device: "oneDNN 2.6.3 convolutions (omp, 1 thread(s)), wasm XNNPACK, 1 thread(s) for the rest",
  },
  machine: { cpu: "Intel(R) Xeon(R) Processor", cores: 2 },
};
const EPYC = { cpu: "AMD EPYC 7B13", simd: ["sse4_2", "avx", "avx2", "fma"], isa: "avx2" };

Deno.test("isaHint: a differing onednn run without a recorded set, made on another CPU", () => {
  const hint = isaHint(OLD_ONEDNN, EPYC, true);
  assert(hint !== undefined);
  assertMatch(hint, /^made on Intel\(R\) Xeon\(R\) Processor, rerun on AMD EPYC 7B13 \[AVX2\]/);
  assertMatch(hint, /oneDNN's avx2 kernels/);
  assertMatch(hint, /do not rerun bit for bit across instruction sets/);
  assertMatch(hint, /"Which results come back"/);
});

Deno.test("isaHint: no line when any part of the condition fails", () => {
  // The rerun came back.
  assertEquals(isaHint(OLD_ONEDNN, EPYC, false), undefined);
  // Another backend.
  assertEquals(
    isaHint({ ...OLD_ONEDNN, backend: { name: "wasm", device: "XNNPACK" } }, EPYC, true),
    undefined,
  );
  // The set is recorded (the rerun is capped to it instead).
  const recorded = {
    ...OLD_ONEDNN,
    backend: {
      name: "onednn",
      device: "oneDNN 2.6.3 convolutions (omp, 1 thread(s), avx512_core kernels)",
    },
  };
  assertEquals(isaHint(recorded, EPYC, true), undefined);
  // The same CPU.
  assertEquals(isaHint(OLD_ONEDNN, { cpu: "Intel(R) Xeon(R) Processor" }, true), undefined);
  // A CPU not known: unrecorded, or `unknown` on either side.
  assertEquals(isaHint({ ...OLD_ONEDNN, machine: null }, EPYC, true), undefined);
  assertEquals(isaHint({ ...OLD_ONEDNN, machine: { cpu: "unknown" } }, EPYC, true), undefined);
  assertEquals(isaHint(OLD_ONEDNN, { cpu: "unknown" }, true), undefined);
});

Deno.test("isaHint: one CPU name, other recorded extensions (an EPYC with and without AVX-512)", () => {
  const run = {
    ...OLD_ONEDNN,
    machine: { cpu: "AMD EPYC 7B13", simd: ["avx", "avx2", "avx512f"] },
  };
  assertMatch(
    isaHint(run, EPYC, true) ?? "",
    /^made on AMD EPYC 7B13 \[AVX-512\], rerun on AMD EPYC 7B13 \[AVX2\]/,
  );
  assertEquals(
    isaHint({ ...run, machine: { cpu: "AMD EPYC 7B13", simd: EPYC.simd } }, EPYC, true),
    undefined,
  );
});

Deno.test("parsePrefixArgs: RUN_DIR and --points, or --help", () => {
  assertEquals(parsePrefixArgs(["runs/x"]), { help: false, dir: "runs/x", points: 3 });
  assertEquals(parsePrefixArgs(["--points=2", "runs/x"]), {
    help: false,
    dir: "runs/x",
    points: 2,
  });
  assertEquals(parsePrefixArgs(["runs/x", "--help"]), { help: true });
});

Deno.test("parsePrefixArgs: bad arguments name the flag and what was expected", () => {
  const bad: [string[], string][] = [
    [["runs/x", "--points", "0"], "--points: expected an integer >= 1, got '0'"],
    [["runs/x", "--points", "-1"], "--points: expected an integer >= 1, got '-1'"],
    [["runs/x", "--points", "1.5"], "--points: expected an integer >= 1, got '1.5'"],
    [["runs/x", "--points", "two"], "--points: expected an integer >= 1, got 'two'"],
    [["runs/x", "--points"], "--points: expected an integer >= 1, got ''"],
    [["runs/x", "--pionts", "2"], "unknown flag --pionts (did you mean --points?)"],
    [[], "expected RUN_DIR"],
    [["runs/x", "runs/y"], "expected one RUN_DIR, got 2: runs/x runs/y"],
  ];
  for (const [args, message] of bad) {
    const error = assertThrows(() => parsePrefixArgs(args), Error, message);
    assert(!error.message.includes("\n"), `one line for ${args.join(" ")}`);
  }
});

Deno.test("prefix_check.ts --help prints the usage and exits 0; a bad flag exits 2 in one line", async () => {
  const help = await runDeno(["results/prefix_check.ts", "--help"]);
  assertEquals(help.code, 0);
  assertEquals(help.text.trim(), HELP);
  for (const part of ["RUN_DIR", "--points N", "Exit codes:", "1  a point differs"]) {
    assert(help.text.includes(part), part);
  }
  assert(!/^\s+at /m.test(help.text), "no stack trace");
  const bad = await runDeno([
    "results/prefix_check.ts",
    "results/teachers/mnist-2-b64-s0",
    "--points",
    "0",
  ]);
  assertEquals(bad.code, 2);
  assertEquals(bad.text.trim(), "error: --points: expected an integer >= 1, got '0'");
});

Deno.test("prefix_check.ts: a run of another model is refused (exit 2), not retrained as EDE-GAN and called different", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/run.json`,
      JSON.stringify({
        ...TRAINED,
        model: "deep-svdd",
        backend: { name: "wasm", device: "wasm", skipped: [] },
        steps: [{ step: 1, epoch: 1, loss: 0.5 }, { step: 2, epoch: 1, loss: 0.4 }],
      }),
    );
    const run = await runDeno(["results/prefix_check.ts", dir, "--points", "2"]);
    assertEquals(run.code, 2, run.text);
    assertEquals(
      run.text.trim(),
      `error: ${dir}/run.json: a deep-svdd run; this check reruns EDE-GAN runs only (model "ede-gan")`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
