/**
 * The `students` suite times what its options ask for: the teacher and the students of `ratios`,
 * at `batches`, one progress line per round (a short real run on wasm, the teacher at full size).
 */

import { assert, assertEquals } from "@std/assert";
import { runStudentSpeedSuite } from "../../lib/bench/students.ts";

Deno.test("runStudentSpeedSuite: the teacher and the 700:1 student at batch 1, two rounds", async () => {
  const progress: string[] = [];
  const rows = await runStudentSpeedSuite("wasm", {
    ratios: [700],
    batches: [1],
    rounds: 2,
    onProgress: (line) => progress.push(line),
  });
  assertEquals(progress, ["wasm batch 1 round 1/2", "wasm batch 1 round 2/2"]);
  assertEquals(rows.map((r) => [r.backend, r.model, r.batch, r.width]), [
    ["wasm", "teacher", 1, 64],
    ["wasm", "700:1", 1, rows[1].width],
  ]);
  assertEquals([rows[0].ratio, rows[0].speedup], [1, 1]);
  assert(rows[1].ratio > 600 && rows[1].ratio < 800, `ratio ${rows[1].ratio}`);
  assert(rows.every((r) => r.images_per_s > 0 && r.ms_per_call > 0));
});
