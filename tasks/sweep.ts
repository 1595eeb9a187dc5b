/**
 * `deno task sweep`: a grid of datasets x normal classes x seeds x student widths x methods, one
 * distillation experiment per (dataset, class, seed), resumable, and split into disjoint shards
 * with `--shard i/n` so that a Slurm array or a Kubernetes Indexed Job runs it on many machines
 * (docs/sweeps.md). Each job writes `OUT/jobs/<id>.json`; `deno task merge` makes the tables.
 *
 *     deno task sweep --dataset mnist,fashion-mnist classes=0-9 seeds=0,1 \
 *       --students 8,4 --methods scratch,one-step,pkdgan --shard 2/8 --out results/sweep
 *
 * With `--spec FILE`, the jobs of a campaign spec instead (results/teachers/campaign.json ...:
 * `deno task train` or `distill` per job with the spec's flags, then its steps and landing; see
 * lib/sweep/campaign.ts), through the same runner: `--out` (default: the spec's) and `--shard`.
 *
 * @module
 */

import { parseEmaOption } from "../lib/train/ema.ts";
import { parseFlags, runTask } from "../lib/cli/flags.ts";
import { preset, presetFromArgs, type PresetName } from "../lib/run/presets.ts";
import type { BackendChoice } from "../lib/backend/select.ts";
import {
  DESIGN_AXES,
  parseDesignAxes,
  parseIntList,
  parseKeyValues,
  parseMethods,
  parseWidths,
  sweepJobs,
  takeDatasets,
} from "../lib/sweep/grid.ts";
import { parseShard } from "../lib/sweep/shard.ts";
import { parseOnly } from "../lib/sweep/select.ts";
import { printCampaignStatus, runCampaign, runShard, seedList } from "./_sweep_shard.ts";
import { parseDistillEpochs } from "../lib/cli/run_flags.ts";
import { prepareOutDir, removeMadeOutDir } from "../lib/util/out_dir.ts";

await runTask(async () => {
  if (Deno.args.some((a) => a === "--spec" || a.startsWith("--spec="))) {
    const flags = parseFlags(
      "sweep",
      Deno.args,
      { spec: undefined, out: undefined, shard: "1/1", only: undefined, status: false },
      "Run the jobs of a campaign spec (JSON; results/*/campaign.json), resumably, one result\n" +
        'file per job (OUT/jobs/<id>.json). --out: default the spec\'s "out". --only ID,GLOB:\n' +
        "just the jobs whose ids match (e.g. --only 'mnist-1-*'). --status: where each job\n" +
        "stands, running nothing.",
    );
    if (flags === null) return;
    if (flags.status) {
      if (String(flags.shard) !== "1/1") {
        throw new Error(
          "--status: takes no --shard (it reads every job's files; --only narrows it)",
        );
      }
      await printCampaignStatus({
        file: String(flags.spec),
        out: flags.out as string | undefined,
        only: flags.only === undefined ? undefined : parseOnly(String(flags.only)),
      });
      return;
    }
    const summary = await runCampaign({
      file: String(flags.spec),
      out: flags.out as string | undefined,
      shard: parseShard(String(flags.shard)),
      only: flags.only === undefined ? undefined : parseOnly(String(flags.only)),
    });
    if (summary.failed.length > 0) {
      throw new Error(
        `${summary.failed.length} job(s) failed; rerun the same command to retry them`,
      );
    }
    return;
  }
  // Flags of --spec's path alone: typed without --spec, say so rather than "unknown flag".
  const specOnly = Deno.args.find((a) => /^--(status|only)(=|$)/.test(a));
  if (specOnly !== undefined) {
    const flag = specOnly.split("=")[0];
    throw new Error(
      `${flag}: works on a campaign spec only; add --spec FILE, e.g. ` +
        `deno task sweep --spec results/design/chosen.json ${flag}${
          flag === "--only" ? " 'mnist-1-*'" : ""
        }`,
    );
  }
  const presetName = presetFromArgs(Deno.args);
  const p = preset(presetName);
  const { datasets, rest } = takeDatasets(Deno.args);
  const flags = parseFlags(
    "sweep",
    rest,
    {
      dataset: "mnist",
      seed: undefined,
      normal: undefined,
      students: p.students.join(","),
      methods: "scratch,one-step,pkdgan",
      shard: "1/1",
      ema: p.ema ?? "off",
      out: "results/sweep",
      preset: presetName,
      "teacher-width": undefined,
      epochs: undefined,
      "distill-epochs": undefined,
      "batch-size": undefined,
      limit: undefined,
      "test-limit": undefined,
      backend: "auto",
      threads: undefined,
      "data-dir": undefined,
    },
    "Run a grid of distillation experiments (one job per dataset, class, seed), resumably.\n" +
      "--dataset takes a comma list. Positional: classes=0-9 (default 0-9) seeds=0,1 (default " +
      "0);\n--normal N and --seed S are shorthands for one class or one seed. --teacher-width, " +
      "--epochs,\n--distill-epochs, --batch-size, --limit and --test-limit win over the preset's.\n" +
      "Design axes (the design study, results/design; each job one combination, its id suffixed when\n" +
      "not the default):\n" +
      "  student-latent=shrink,keep  kd-weights=1,1,1/1,50,1  stage1=kd-gan,kd  " +
      "bn-stats=auto,moving\n" +
      "A campaign of results/ instead: --spec FILE [--only ID,GLOB] [--out DIR] [--shard i/n]\n" +
      "(deno task sweep --spec FILE --help says more).",
  );
  if (flags === null) return;
  const kv = parseKeyValues(flags._, ["classes", "seeds", ...DESIGN_AXES]);
  if (kv.classes !== undefined && flags.normal !== undefined) {
    throw new Error("--normal: give either --normal or classes=..., not both");
  }
  const grid = {
    datasets: datasets ?? ["mnist" as const],
    classes: flags.normal !== undefined
      ? [flags.normal as number]
      : parseIntList(kv.classes ?? "0-9", "classes"),
    seeds: seedList(flags.seed as number | undefined, kv.seeds),
    widths: parseWidths(String(flags.students)),
    methods: parseMethods(String(flags.methods)),
    designs: parseDesignAxes(kv),
  };
  const all = sweepJobs(grid);
  const shard = parseShard(String(flags.shard));
  const sizes = {
    teacherWidth: flags["teacher-width"] as number | undefined,
    epochs: flags.epochs as number | undefined,
    distillEpochs: flags["distill-epochs"] === undefined
      ? undefined
      : parseDistillEpochs(String(flags["distill-epochs"])),
    batchSize: flags["batch-size"] as number | undefined,
    limit: flags.limit as number | undefined,
    testLimit: flags["test-limit"] as number | undefined,
  };
  const ema = parseEmaOption(flags.ema as string | undefined);
  // Each job trains its teacher at this width: a student must be narrower (checked again, with
  // its ratio, against each teacher before it trains).
  const teacherWidth = sizes.teacherWidth ?? p.teacherWidth;
  const wide = grid.widths.filter((w) => w >= teacherWidth);
  if (wide.length > 0) {
    throw new Error(
      `--students ${flags.students}: width ${wide.join(", ")} is not narrower than the sweep's ` +
        `teachers (width ${teacherWidth}, from ${
          sizes.teacherWidth !== undefined ? "--teacher-width" : `--preset ${presetName}`
        }); expected student widths below ${teacherWidth}`,
    );
  }
  // Every flag checked above: only then is --out made (and unmade when nothing was run into it).
  const outDir = await prepareOutDir(String(flags.out), "--out");
  const summary = await runShard({
    jobs: all,
    shard,
    out: String(flags.out),
    preset: flags.preset as PresetName,
    sizes,
    backend: flags.backend as BackendChoice,
    threads: flags.threads as number | undefined,
    dataDir: flags["data-dir"] as string | undefined,
    ema,
  }).catch(async (error) => {
    await removeMadeOutDir(outDir);
    throw error;
  });
  if (summary.failed.length > 0) {
    throw new Error(`${summary.failed.length} job(s) failed; rerun the same command to retry them`);
  }
  console.log(`merge the shards' results with: deno task merge --out ${flags.out}`);
});
