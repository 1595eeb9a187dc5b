import { assertEquals } from "@std/assert";
import { parse } from "@std/csv";
import { join } from "@std/path";
import { TINY_DISTILLATION, useBackend } from "../_helpers.ts";
import { csvText } from "../../lib/util/csv.ts";
import { BEST_EPOCH_COLUMNS } from "../../lib/distill/results.ts";
import {
  RESULT_COLUMNS,
  runDistillExperiment,
  type StudentResultRow,
  studentResultToRow,
} from "../../lib/distill/experiment.ts";

Deno.test("a field with a comma, a quote or a line break round-trips through @std/csv's parse", () => {
  const rows = [
    { name: "one, two", note: 'say "hi"', n: 1 },
    { name: "line\nbreak", note: "", n: 2.5 },
  ];
  const text = csvText(rows, ["name", "note", "n"]);
  assertEquals(text, 'name,note,n\n"one, two","say ""hi""",1\n"line\nbreak",,2.5\n');
  assertEquals(parse(text, { skipFirstRow: true }), [
    { name: "one, two", note: 'say "hi"', n: "1" },
    { name: "line\nbreak", note: "", n: "2.5" },
  ]);
});

Deno.test("results.csv's rows are byte for byte what the hand-written writer made", () => {
  const students: StudentResultRow[] = [
    {
      width: 8,
      latent: 25,
      params: 12345,
      mflops: 1.2345678,
      ratio: 13.1,
      auc_scratch: 0.71,
      auc_one_step: null,
      auc_pkdgan: 0.6812345678901234,
      auc_one_step_teacher_init: 0.5,
      delta_vs_scratch: -0.03,
      score_images_per_s: 1e21,
      errors: ["one-step: failed, badly"],
    },
  ];
  const old = [RESULT_COLUMNS.join(",")];
  for (const s of students) old.push(RESULT_COLUMNS.map((c) => s[c] ?? "").join(","));
  assertEquals(csvText(students, RESULT_COLUMNS), old.join("\n") + "\n");
  assertEquals(csvText([], RESULT_COLUMNS), RESULT_COLUMNS.join(",") + "\n");
});

Deno.test("results.csv of a distillation run parses back to results.json's student rows", async () => {
  await useBackend("wasm");
  const out = await Deno.makeTempDir();
  try {
    const results = await runDistillExperiment({ ...TINY_DISTILLATION, testLimit: 100, out });
    const text = await Deno.readTextFile(join(out, "results.csv"));
    assertEquals(text.includes("\r"), false);
    const rows = parse(text, { skipFirstRow: true }) as Record<string, string>[];
    assertEquals(rows.length, 1);
    // Every job now records per-epoch AUCs, so the best-epoch columns follow the others.
    const columns = [...RESULT_COLUMNS, ...BEST_EPOCH_COLUMNS];
    const expected = Object.fromEntries(
      columns.map((c) => [c, String(studentResultToRow(results.students[0])[c] ?? "")]),
    );
    assertEquals(rows[0], expected);
    assertEquals(Number(rows[0].auc_scratch), results.students[0].aucScratch);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
