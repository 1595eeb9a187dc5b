/**
 * `deno task reproduce` over finished (synthetic) job files: it runs nothing, prints the per-class
 * table and the averages beside the published figures of results/paper_figures.json.
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import type { SweepJobResult } from "../../lib/sweep/runner.ts";

function job(normal: number): SweepJobResult {
  const student = (width: number, ratio: number) => ({
    width,
    latent: 100,
    params: 1000,
    mflops: 1,
    ratio,
    auc: { scratch: 0.55, "one-step": 0.58, pkdgan: 0.6 + normal / 1000 },
  });
  return {
    id: `mnist-c${normal}-s0`,
    dataset: "mnist",
    normal_class: normal,
    seed: 0,
    preset: "quick",
    teacher: { width: 32, params: 1108672, mflops: 27.181, auc: 0.9 + normal / 100 },
    students: [student(8, 13.09), student(4, 42.13), student(2, 121.21)],
    seconds: 1,
    finished_at: "2026-11-29T00:00:00.000Z",
  };
}

Deno.test("reproduce prints per-class AUCs and the published figures beside them", async () => {
  const out = await Deno.makeTempDir();
  await Deno.mkdir(join(out, "jobs"));
  for (let c = 0; c < 10; c++) {
    await Deno.writeTextFile(join(out, "jobs", `mnist-c${c}-s0.json`), JSON.stringify(job(c)));
  }
  const result = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "tasks/reproduce.ts",
      "--dataset",
      "mnist",
      "--preset",
      "quick",
      "--backend",
      "cpu",
      "--out",
      out,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(result.stdout);
  assertEquals(result.code, 0, text + new TextDecoder().decode(result.stderr));
  // Per class: teacher 90.00 .. 99.00, P-KDGAN 60.00 .. 60.90.
  const lines = text.split("\n");
  // The first cell of a Markdown table row.
  const row = (c: string) => lines.find((l) => l.replace(/^\|?\s*/, "").startsWith(`${c} `)) ?? "";
  assertStringIncludes(row("0"), "90.00");
  assertStringIncludes(row("9"), "99.00");
  assertStringIncludes(row("9"), "60.90");
  assertStringIncludes(row("avg"), "94.50");
  // Beside the published figures, with their sources.
  assertStringIncludes(text, "97.80");
  assertStringIncludes(text, "97.25");
  assertStringIncludes(text, "arXiv 2109.07295");
  assertStringIncludes(text, "+1.77 at 311.11:1");
  // Measured gain of P-KDGAN over scratch: 60.45 - 55.00.
  assertStringIncludes(text, "w2 (121.21:1) +5.45");
  assert((await Deno.readTextFile(join(out, "tables.md"))).includes("94.50"));
  await Deno.remove(out, { recursive: true });
});
