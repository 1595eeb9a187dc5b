/**
 * lib/results renderers on small synthetic runs whose figures are worked out by hand: the design
 * study read from its folders (with the rule that settles K's weights), the
 * teachers' and students' tables, and a bad design folder named in the error.
 */

import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { join } from "@std/path";
import { formatMarkdown } from "../../lib/results/markdown.ts";
import {
  defaultDecision,
  designGains,
  designTables,
  headlineBlocks,
  kWeightsDecision,
  loadDesignCells,
  loadPaperFigures,
  type PaperFigures,
  studentTables,
  type TeacherRun,
  teacherTables,
} from "../../lib/results/mod.ts";

const paper: PaperFigures = {
  auc_percent: { mnist: { "p-kdgan student": { value: 97.25 } } },
  compression_ratios: { by_dataset: { mnist: 311.11 } },
  student_gain_percent: { values: { mnist: 1.77 } },
};

/**
 * A design study folder: `D-C-sS-VARIANT` with results.json and a P-KDGAN job file; with
 * `perImage`, both students' job files say they were scored per image, with their best per-image
 * epoch (a job's mode given as `moving` says the other).
 */
async function designFolder(
  dir: string,
  name: string,
  aucs: { scratch: number; pkdgan: number },
  spearman?: number,
  perImage?: { scratch: number; pkdgan: number; scratchMode?: string },
) {
  await Deno.mkdir(join(dir, name, "jobs"), { recursive: true });
  await Deno.writeTextFile(
    join(dir, name, "results.json"),
    JSON.stringify({
      students: [{
        width: 3,
        latent: 32,
        ratio: 315.6,
        auc_scratch: aucs.scratch,
        auc_one_step: aucs.scratch - 0.02,
        auc_pkdgan: aucs.pkdgan,
        best_epoch_auc_scratch: aucs.scratch + 0.01,
        best_epoch_auc_pkdgan: aucs.pkdgan + 0.02,
      }],
    }),
  );
  const scored = (mode: string | undefined, best: number | undefined) =>
    perImage === undefined
      ? {}
      : { bnStats: { mode: mode ?? "per-image" }, bestTestEpochPerImage: { epoch: 3, auc: best } };
  await Deno.writeTextFile(
    join(dir, name, "jobs", "w3-pkdgan.json"),
    JSON.stringify({
      ...(spearman === undefined ? {} : { validationAgreement: { spearman } }),
      ...scored("per-image", perImage?.pkdgan),
    }),
  );
  if (perImage !== undefined) {
    await Deno.writeTextFile(
      join(dir, name, "jobs", "w3-scratch.json"),
      JSON.stringify(scored(perImage.scratchMode, perImage.scratch)),
    );
  }
}

Deno.test("design tables: gains, their interval and the validation agreement per variant", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Default: gains +1, +2, +3 points (mean +2.00; 95 % t interval 2 ± 4.303/√3 = -0.48 to +4.48).
    for (const [c, gain] of [[0, 0.01], [1, 0.02], [2, 0.03]]) {
      await designFolder(dir, `mnist-${c}-s0-default`, { scratch: 0.9, pkdgan: 0.9 + gain }, 0.8);
    }
    // One class of another variant, seed 1, without an agreement.
    await designFolder(dir, "mnist-4-s1-stage1-kd", { scratch: 0.95, pkdgan: 0.94 });
    await Deno.writeTextFile(join(dir, "notes.txt"), "not a study folder");
    const cells = await loadDesignCells(dir);
    assertEquals(cells.map((c) => `${c.variant} ${c.normal}`), [
      "default 0",
      "default 1",
      "default 2",
      "stage1-kd 4",
    ]);
    const text = await formatMarkdown(designTables(cells, paper));
    const row = (start: string) => text.split("\n").find((l) => l.startsWith(start))!;
    const cellsOf = (line: string) => line.split("|").slice(1, -1).map((c) => c.trim());
    assertEquals(cellsOf(row("| mnist   | default")), [
      "mnist",
      "default",
      "w3/l32 at 315.6:1",
      "0, 1, 2",
      "90.00",
      "92.00",
      "+2.00 (3 of 3 > 0)",
      "-0.48 to +4.48",
      // best test epoch: P-KDGAN +2 points and scratch +1 over their last epochs: gain +1 more.
      "+3.00",
      // no job file says its students were scored per image
      "",
      "0.800",
      "+1.77 at 311.11:1",
    ]);
    assertEquals(cellsOf(row("| mnist   | stage1-kd")).slice(3, 11), [
      "4 (s1)",
      "95.00",
      "94.00",
      "-1.00 (0 of 1 > 0)",
      "",
      "+0.00",
      "",
      "",
    ]);
    assertEquals(text, await formatMarkdown(text), "formatted");
    // The notebook's reader of the same cells: the table's numbers, unrounded, per class.
    const [byDefault, stage1] = designGains(cells, paper);
    assertEquals(byDefault.classes.map((c) => c.normal), [0, 1, 2]);
    assertAlmostEquals(byDefault.mean, 0.02, 1e-12);
    assertAlmostEquals(byDefault.interval!.low, -0.0048, 1e-4);
    assertAlmostEquals(byDefault.interval!.high, 0.0448, 1e-4);
    assertAlmostEquals(byDefault.bestEpochMean!, 0.03, 1e-12);
    assertAlmostEquals(byDefault.agreement!, 0.8, 1e-12);
    assertEquals(byDefault.published, { gain: 0.0177, ratio: 311.11 });
    assertEquals([stage1.variant, stage1.classes.length, stage1.interval, stage1.agreement], [
      "stage1-kd",
      1,
      null,
      null,
    ]);
    assertAlmostEquals(stage1.classes[0].gain, -0.01, 1e-12);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("headline: the papers' design as read here judged by the gain rule, each change alone beside it, the chosen design in a row of its own", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Papers' design: +3, +4, +5 points (mean +4.00, interval 4 ± 4.303 · 1/√3 = +1.52 to +6.48:
    // above 0 and holding +1.77, so "agrees"); default -1 on two classes; stage 1 K alone +1.
    for (const [c, gain] of [[2, 0.03], [5, 0.04], [8, 0.05]]) {
      await designFolder(dir, `mnist-${c}-s0-papers`, { scratch: 0.9, pkdgan: 0.9 + gain }, 0.6);
    }
    for (const c of [2, 5]) {
      await designFolder(dir, `mnist-${c}-s0-default`, { scratch: 0.9, pkdgan: 0.89 }, 0.5);
    }
    await designFolder(dir, "mnist-2-s0-stage1-kd", { scratch: 0.9, pkdgan: 0.91 }, 0.5);
    // The chosen design on two classes: -1 and +3 points, a row of its own, open below 3.
    await designFolder(dir, "mnist-1-s0-chosen", { scratch: 0.9, pkdgan: 0.89 }, 0.5);
    await designFolder(dir, "mnist-3-s0-chosen", { scratch: 0.9, pkdgan: 0.93 }, 0.5);
    const published = await loadPaperFigures(
      new URL("../../results/paper_figures.json", import.meta.url),
    );
    const { headline } = headlineBlocks([], [], published, [], await loadDesignCells(dir));
    const line = headline.split("\n").find((l) => l.includes("papers' design as read here"))!;
    const cells = line.split("|").slice(1, -1).map((c) => c.trim());
    assertEquals(cells.slice(1, 4), [
      "+1.77",
      // the reference code's protocol beside it: each best epoch one point more for P-KDGAN
      "+4.00 (higher on 3 of 3 classes; w3/l32 at 315.6:1); 95 % interval +1.52 to +6.48; best " +
      "test epoch* +5.00. The " +
      "study's baseline (today's distillation design at batch 64 on the study's classes, seed 0; " +
      "the campaign's row above has every class, MNIST 5 and 8 at seed 1): -1.00 (0 of 2); each " +
      "change alone from it: stage 1 K alone +1.00 (1 of 1), K's image term x50 not run yet, " +
      "latent kept not run yet, batch 1 not run yet",
      "agrees",
    ]);
    assertStringIncludes(cells[4], "classes 2, 5, 8 (3 of the study's 5), seed 0");
    const chosen = headline.split("\n").find((l) => l.includes("design chosen without the test"))!
      .split("|").slice(1, -1).map((c) => c.trim());
    assertEquals(chosen.slice(1, 4), [
      "+1.77",
      "+1.00 (higher on 1 of 2 classes; w3/l32 at 315.6:1); best test epoch* +2.00",
      "open (2 so far)",
    ]);
    assertStringIncludes(chosen[4], "2 of 10 classes (1, 3), seed 0");
    // No Fashion-MNIST cell: no row for it.
    assertEquals(headline.includes("Fashion-MNIST near 700:1, with the papers"), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("design tables: the best test epoch under per-image BatchNorm, like for like with batch-1 students' last epoch", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Last epoch +1 point each; best per-image epochs: P-KDGAN 0.95 against scratch 0.96 (-1) and
    // 0.97 against 0.94 (+3): mean +1.00; the moving-statistics best epochs give +1 each (helper).
    await designFolder(dir, "mnist-2-s0-chosen", { scratch: 0.9, pkdgan: 0.91 }, 0.7, {
      scratch: 0.96,
      pkdgan: 0.95,
    });
    await designFolder(dir, "mnist-5-s0-chosen", { scratch: 0.9, pkdgan: 0.91 }, 0.7, {
      scratch: 0.94,
      pkdgan: 0.97,
    });
    // A variant where scratch was scored with the moving averages: no like-for-like figure.
    await designFolder(dir, "mnist-2-s0-batch1", { scratch: 0.9, pkdgan: 0.91 }, 0.7, {
      scratch: 0.96,
      pkdgan: 0.95,
      scratchMode: "moving",
    });
    const cells = await loadDesignCells(dir);
    const [batch1, chosen] = designGains(cells, paper);
    assertEquals([batch1.variant, batch1.bestEpochPerImageMean], ["batch1", null]);
    assertAlmostEquals(chosen.bestEpochPerImageMean!, 0.01, 1e-12);
    assertAlmostEquals(chosen.classes[0].bestEpochPerImageGain!, -0.01, 1e-12);
    assertAlmostEquals(chosen.bestEpochMean!, 0.02, 1e-12);
    const text = await formatMarkdown(designTables(cells, paper));
    const cellsOf = (start: string) =>
      text.split("\n").find((l) => l.startsWith(start))!.split("|").slice(1, -1).map((c) =>
        c.trim()
      );
    assertEquals(cellsOf("| mnist   | chosen ").slice(8, 10), ["+2.00", "+1.00"]);
    assertEquals(cellsOf("| mnist   | batch1 ").slice(8, 10), ["+2.00", ""]);
    // per class: the chosen design's class 5, +3.00 per image
    assertEquals(cellsOf("| mnist   | 5     | 0    | chosen ").slice(9, 11), ["+2.00", "+3.00"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("design tables: the reference code's protocol taken apart, from the job files' curves and stages", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const folder = join(dir, "mnist-2-s0-chosen");
    await Deno.mkdir(join(folder, "jobs"), { recursive: true });
    // last epoch per image (the headline) +1; best moving (results.json) 0.95 - 0.93 = +2
    await Deno.writeTextFile(
      join(folder, "results.json"),
      JSON.stringify({
        students: [{
          width: 3,
          latent: 100,
          ratio: 255.3,
          auc_scratch: 0.9,
          auc_one_step: 0.9,
          auc_pkdgan: 0.91,
          best_epoch_auc_scratch: 0.93,
          best_epoch_auc_pkdgan: 0.95,
        }],
      }),
    );
    const job = (movingAuc: number, history: object[]) =>
      JSON.stringify({
        bnStats: { mode: "per-image" },
        movingAuc,
        history,
        bestTestEpochPerImage: {
          epoch: 1,
          auc: Math.max(...history.map((r) => (r as { perImageAuc: number }).perImageAuc)),
        },
      });
    // P-KDGAN: stage 1 holds its best per-image (0.97) and best moving (0.95) epochs
    await Deno.writeTextFile(
      join(folder, "jobs", "w3-l100-pkdgan.json"),
      job(0.80, [
        { epoch: 1, stage: 1, auc: 0.95, perImageAuc: 0.97 },
        { epoch: 1, stage: 2, auc: 0.90, perImageAuc: 0.92 },
        { epoch: 2, stage: 2, auc: 0.80, perImageAuc: 0.91 },
      ]),
    );
    await Deno.writeTextFile(
      join(folder, "jobs", "w3-l100-scratch.json"),
      job(0.85, [
        { epoch: 1, stage: 1, auc: 0.93, perImageAuc: 0.94 },
        { epoch: 1, stage: 2, auc: 0.85, perImageAuc: 0.90 },
      ]),
    );
    const text = await formatMarkdown(designTables(await loadDesignCells(dir), paper));
    const section = text.slice(text.indexOf("## The reference code's protocol, taken apart"));
    const line = section.split("\n").find((l) => l.startsWith("| mnist "))!;
    assertEquals(line.split("|").slice(1, -1).map((c) => c.trim()), [
      "mnist",
      "chosen",
      "2",
      "+1.00", // last epoch, per image: 0.91 - 0.90
      "+3.00", // best per image: 0.97 - 0.94
      "-5.00", // last epoch, moving: 0.80 - 0.85
      "+2.00", // best moving (results.json): 0.95 - 0.93
      "+2.00", // best of the last 5 (stage 2) for both, per image: 0.92 - 0.90
      "+5.00", // the same, moving: 0.90 - 0.85
      "1 / 1 of 1", // both best per-image epochs in stage 1
    ]);
    // the headline's chosen row gives both best-epoch figures beside the last epoch
    const published = await loadPaperFigures(
      new URL("../../results/paper_figures.json", import.meta.url),
    );
    const { headline } = headlineBlocks([], [], published, [], await loadDesignCells(dir));
    assertStringIncludes(
      headline,
      "+1.00 (higher on 1 of 1 classes; w3/l100 at 255.3:1); best test epoch* +2.00 (moving " +
        "statistics; per image +3.00: design/tables.md takes the protocol apart)",
    );
    // batch-64 variants (no per-image scoring) have no such section
    const plain = await Deno.makeTempDir();
    await designFolder(plain, "mnist-0-s0-default", { scratch: 0.9, pkdgan: 0.91 });
    const other = await formatMarkdown(designTables(await loadDesignCells(plain), paper));
    assertEquals(other.includes("taken apart"), false);
    await Deno.remove(plain, { recursive: true });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("design tables: K's weights settled by the written rule, from the study's 10 classes' validation agreement only", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const classes = { mnist: [0, 2, 5, 8, 9], "fashion-mnist": [0, 1, 2, 4, 6] };
    // 1,1,1 agrees 0.40 on every class; 1,50,1 0.40 + a step that differs per class. Test AUCs
    // favour 1,1,1 by 5 points: the rule must not read them.
    const write = async (step: number, skip?: string) => {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      for (const [dataset, normals] of Object.entries(classes)) {
        for (const [i, c] of normals.entries()) {
          await designFolder(
            dir,
            `${dataset}-${c}-s0-default`,
            { scratch: 0.9, pkdgan: 0.95 },
            0.4,
          );
          if (skip === `${dataset} ${c}`) continue;
          await designFolder(
            dir,
            `${dataset}-${c}-s0-kd-weights-50`,
            { scratch: 0.9, pkdgan: 0.9 },
            0.4 + step * (i % 2 ? 1.5 : 0.5), // mean over the 10: 0.4 + step * 0.9
          );
        }
      }
      return kWeightsDecision(await loadDesignCells(dir));
    };
    const above = await write(0.0112); // mean difference 0.01008 > 0.01
    assertEquals([above.compared.length, above.missing, above.chosen], [10, [], "1,50,1"]);
    assertAlmostEquals(above.image50! - above.unit!, 0.01008, 1e-12);
    const below = await write(0.011); // 0.0099: 1,1,1 stays
    assertEquals(below.chosen, "1,1,1");
    // A study class without its kd-weights-50 job leaves the choice open, naming it.
    const open = await write(0.1, "fashion-mnist 4");
    assertEquals([open.chosen, open.missing], [null, ["fashion-mnist 4 (kd-weights-50)"]]);
    // A class outside the study (MNIST 3) and another seed do not count.
    await designFolder(dir, "mnist-3-s0-kd-weights-50", { scratch: 0.9, pkdgan: 0.9 }, 0.99);
    await designFolder(dir, "mnist-3-s0-default", { scratch: 0.9, pkdgan: 0.9 }, 0.1);
    await designFolder(dir, "mnist-2-s1-kd-weights-50", { scratch: 0.9, pkdgan: 0.9 }, 0.99);
    const still = kWeightsDecision(await loadDesignCells(dir));
    assertEquals([still.compared.length, still.chosen], [9, null]);
    const text = await formatMarkdown(designTables(await loadDesignCells(dir), paper));
    assertStringIncludes(text, "**Not decided yet**: missing fashion-mnist 4 (kd-weights-50).");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("design tables: the default settled by the written rule from the chosen design's 20 classes, each dataset's interval against zero", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // MNIST: P-KDGAN 1 point above scratch on every class, +/- 0.5 (interval above zero).
    for (let c = 0; c < 10; c++) {
      await designFolder(dir, `mnist-${c}-s0-chosen`, {
        scratch: 0.9,
        pkdgan: 0.91 + (c % 2 ? 0.005 : -0.005),
      });
    }
    // Fashion-MNIST: 9 classes at +1 point; a second seed and another variant do not count.
    for (let c = 0; c < 9; c++) {
      await designFolder(dir, `fashion-mnist-${c}-s0-chosen`, { scratch: 0.9, pkdgan: 0.91 });
    }
    await designFolder(dir, "fashion-mnist-9-s1-chosen", { scratch: 0.9, pkdgan: 0.91 });
    await designFolder(dir, "fashion-mnist-9-s0-default", { scratch: 0.9, pkdgan: 0.91 });
    const open = defaultDecision(await loadDesignCells(dir));
    assertEquals(open.verdict, null);
    assertEquals(open.datasets.map((d) => [d.dataset, d.landed.length, d.missing, d.aboveZero]), [
      ["mnist", 10, [], true],
      ["fashion-mnist", 9, [9], null],
    ]);
    assertAlmostEquals(open.datasets[0].mean, 0.01, 1e-12);
    let text = await formatMarkdown(designTables(await loadDesignCells(dir), paper));
    assertStringIncludes(text, "- fashion-mnist: 9 of 10 classes, P-KDGAN − scratch +1.00");
    assertStringIncludes(text.replace(/\s+/g, " "), "**open, missing 9**");
    assertStringIncludes(text, "**Not decided yet.**");

    // Its tenth class 3 points below: the interval now reaches below zero, today's defaults stay.
    await designFolder(dir, "fashion-mnist-9-s0-chosen", { scratch: 0.9, pkdgan: 0.87 });
    const lost = defaultDecision(await loadDesignCells(dir));
    assertEquals([lost.verdict, lost.datasets[1].aboveZero], ["today", false]);
    assert(lost.datasets[1].interval!.low < 0 && lost.datasets[1].mean > 0);
    text = await formatMarkdown(designTables(await loadDesignCells(dir), paper));
    assertStringIncludes(text, "**Decided: today's defaults stay**");

    // At +1 point instead: both above zero, the chosen design becomes the default.
    await designFolder(dir, "fashion-mnist-9-s0-chosen", { scratch: 0.9, pkdgan: 0.91 });
    assertEquals(defaultDecision(await loadDesignCells(dir)).verdict, "chosen");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("design tables: a study folder without results.json is named in the error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(dir, "mnist-2-s0-default", "jobs"), { recursive: true });
    await assertRejects(
      () => loadDesignCells(dir),
      Error,
      join(dir, "mnist-2-s0-default", "results.json"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("teacher tables: class means, spread and best epochs of two seeds", () => {
  const run = (seed: number, live: number[], averaged: number[] | null): TeacherRun => ({
    folder: `mnist-3-b64-s${seed}`,
    dataset: "mnist",
    normal: 3,
    seed,
    batch: 64,
    latent: "tanh",
    epochs: live.length,
    ema: averaged ? 0.99 : null,
    live,
    averaged,
    minutes: 30,
    backend: "onednn",
    study: null,
    liveStudy: null,
  });
  const text = teacherTables([
    run(0, [0.9, 0.96, 0.94], [0.91, 0.95, 0.95]),
    run(1, [0.92, 0.9, 0.96], null),
  ]);
  const lines = text.split("\n");
  // Per class: last epochs 94 and 96 (mean 95.00, sd 1.41); best epochs 96 and 96; averaged seed 0.
  const perClass = lines.find((l) => l.startsWith("| mnist   | 3     | 64    | 3      | 0, 1"))!;
  assertStringIncludes(perClass, "| 95.00 ± 1.41 ");
  assertStringIncludes(perClass, "| 96.00 ± 0.00 ");
  assertStringIncludes(perClass, "| 95.00 (seeds 0) ");
  // Per run: seed 0's best live epoch is the second; its range 90.00-96.00; the decay beside it.
  const seed0 = lines.find((l) => l.startsWith("| mnist   | 3     | 0    | 64"))!;
  assertStringIncludes(seed0, "| 96.00 (2) ");
  assertStringIncludes(seed0, "| 95.00 (0.99) ");
  assertStringIncludes(seed0, "| 90.00-96.00 ");
});

Deno.test("student tables: the gain per ratio and the published figure beside the nearest", () => {
  const run = (c: number, gain: number) => ({
    dataset: "mnist",
    normal_class: c,
    seed: 0,
    teacher: { width: 64, auc: 0.97 },
    students: [{
      width: 3,
      latent: 32,
      ratio: 315.6,
      auc_scratch: 0.9,
      auc_one_step: 0.89,
      auc_pkdgan: 0.9 + gain,
    }, {
      width: 12,
      latent: 100,
      ratio: 24.4,
      auc_scratch: 0.95,
      auc_one_step: 0.94,
      auc_pkdgan: 0.95,
    }],
  });
  const text = studentTables([run(0, 0.01), run(1, 0.02), run(2, 0.03)], paper);
  const row = text.split("\n").find((l) => l.startsWith("| mnist   | w3/l32"))!;
  assertStringIncludes(row, "| +2.00 (3 of 3 > 0) | -0.48 to +4.48 ");
  assertStringIncludes(row, "| students 97.25 at 311.11:1; P-KDGAN +1.77 over scratch |");
  const other = text.split("\n").find((l) => l.startsWith("| mnist   | w12/l100"))!;
  assertStringIncludes(other, "| +0.00 (0 of 3 > 0) ");
  assertEquals(other.split("|").at(-2)!.trim(), "", "no published figure beside 24.4:1");
});

Deno.test("headline: the latent constraint pairs each run without it with its own teacher", async () => {
  const paper = await loadPaperFigures(
    new URL("../../results/paper_figures.json", import.meta.url).pathname,
  );
  const run = (latent: string, normal: number, seed: number, auc: number): TeacherRun => ({
    folder: `mnist-${normal}-b64-s${seed}${latent === "none" ? "-none" : ""}`,
    dataset: "mnist",
    normal,
    seed,
    batch: 64,
    latent,
    epochs: 15,
    ema: 0.99,
    live: Array(15).fill(auc),
    averaged: Array(15).fill(auc + 0.01),
    minutes: 30,
    backend: "onednn",
    study: null,
    liveStudy: null,
  });
  const teachers = [
    run("tanh", 2, 0, 0.95),
    run("tanh", 2, 1, 0.94),
    run("tanh", 5, 0, 0.97),
    run("tanh", 8, 0, 0.9),
  ];
  const row = (unconstrained: TeacherRun[]) =>
    headlineBlocks(teachers, [], paper, unconstrained).headline.split("\n")
      .find((l) => l.startsWith("| Latent-space constraint"))!;
  assertStringIncludes(row([]), "not run yet");
  assertStringIncludes(row([]), "open (0 so far)");
  // Digit 8 s1 has no twin and is left out; seed 1 of digit 2 is paired with seed 1, not seed 0.
  const text = row([
    run("none", 2, 1, 0.96),
    run("none", 5, 0, 0.93),
    run("none", 8, 0, 0.85),
    run("none", 8, 1, 0.99),
  ]);
  assertStringIncludes(text, "tanh above none on 2 of 3 runs, live weights (mean 93.67 vs 91.33;");
  assertStringIncludes(text, "MNIST 2 s1: 94.00 vs 96.00");
  assertStringIncludes(text, "averaged: above on 2 of 3 (mean 94.67 vs 92.33)");
  // By class (one pair each here): -2, +4, +5 points; mean +2.33 ± t(2) 4.303 x sd 3.79 / √3.
  assertStringIncludes(
    text,
    "tanh − none +2.33 points (live, mean of 3 classes, seeds averaged), 95 % interval -7.07 to +11.74",
  );
  assertStringIncludes(text, "| mixed ");
  assertStringIncludes(row([run("none", 5, 0, 0.93), run("none", 8, 0, 0.85)]), "open (2 so far)");
});

Deno.test("headline: the chosen design's row says the default the rule settles, once a dataset's 10 classes settle it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const published = await loadPaperFigures(
      new URL("../../results/paper_figures.json", import.meta.url),
    );
    const chosenRow = async () => {
      const { headline } = headlineBlocks([], [], published, [], await loadDesignCells(dir));
      return headline.split("\n").find((l) => l.includes("design chosen without the test"))!
        .split("|").slice(1, -1).map((c) => c.trim());
    };
    // Nine MNIST classes, P-KDGAN -1 and +1 point in turn: open, nothing said about the default.
    for (let c = 0; c < 9; c++) {
      const pkdgan = c % 2 === 0 ? 0.89 : 0.91;
      await designFolder(dir, `mnist-${c}-s0-chosen`, { scratch: 0.9, pkdgan }, 0.5);
    }
    assertEquals((await chosenRow())[4].includes("by the rule"), false);
    // The tenth: the interval over 10 classes holds zero, so MNIST settles it: defaults stay.
    await designFolder(dir, "mnist-9-s0-chosen", { scratch: 0.9, pkdgan: 0.91 }, 0.5);
    const row = await chosenRow();
    assertStringIncludes(row[4], "10 of 10 classes");
    assertStringIncludes(
      row[4],
      "; by the rule written before the study (results/README.md), the distillation defaults " +
        "stay as they were",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
