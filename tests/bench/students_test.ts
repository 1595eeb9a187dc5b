/**
 * The `students` suite times what its options ask for: the teacher and the students of `ratios`,
 * at `batches`, one progress line per round (a short real run on wasm, the teacher at full size).
 */

import { assert, assertEquals } from "@std/assert";
import {
  runStudentSpeedSuite,
  type StudentSpeedRow,
  summarizeStudentSpeed,
} from "../../lib/bench/students.ts";

Deno.test("runStudentSpeedSuite: the teacher and the 700:1 student at batch 1, two rounds", async () => {
  const progress: string[] = [];
  const rows = await runStudentSpeedSuite("wasm", {
    ratios: [700],
    batches: [1],
    rounds: 2,
    poolWorkers: 2,
    onProgress: (line) => progress.push(line),
  });
  assertEquals(progress, ["wasm batch 1 round 1/2", "wasm batch 1 round 2/2"]);
  // the student alone, then data-parallel: two single-threaded workers, in the same rounds
  assertEquals(rows.map((r) => [r.backend, r.model, r.batch, r.width, r.workers, r.threads]), [
    ["wasm", "teacher", 1, 64, 1, 1],
    ["wasm", "700:1", 1, rows[1].width, 1, 1],
    ["wasm", "700:1", 1, rows[1].width, 2, 1],
  ]);
  assertEquals(rows[2].ratio, rows[1].ratio);
  assertEquals([rows[0].ratio, rows[0].speedup], [1, 1]);
  assert(rows[1].ratio > 600 && rows[1].ratio < 800, `ratio ${rows[1].ratio}`);
  assert(rows.every((r) => r.images_per_s > 0 && r.ms_per_call > 0));
});

Deno.test("summarizeStudentSpeed: data-parallel rows are judged apart, against their rounds' teacher", () => {
  const row = (model: string, ratio: number, images: number, workers: number): StudentSpeedRow => ({
    backend: "onednn",
    model,
    width: 1,
    latent: 1,
    ratio,
    batch: 256,
    ms_per_call: 1,
    images_per_s: images,
    speedup: images / 1000,
    workers,
    threads: workers > 1 ? 1 : 2,
  });
  const lines = summarizeStudentSpeed([
    row("teacher", 1, 1000, 1),
    row("311.11:1", 315, 20000, 1),
    row("700:1", 655, 21000, 1),
    row("311.11:1", 315, 30000, 2),
    row("700:1", 655, 26000, 2),
  ]);
  assertEquals(lines, [
    "onednn batch 256: 311.11:1 scores 20.0x faster than the teacher (< 25x)",
    "onednn batch 256: 700:1 scores 21.0x faster than the teacher (< 25x)",
    "onednn 2 workers x 1 thread batch 256: 311.11:1 scores 30.0x faster than the teacher (>= 25x met)",
    "onednn 2 workers x 1 thread batch 256: 700:1 scores 26.0x faster than the teacher (>= 25x met)",
    "onednn 2 workers x 1 thread batch 256: 700:1 (655:1) is slower than 311.11:1 (315:1): " +
    "26000 < 30000 images/s",
    "onnxruntime-node: no rows (it did not load; see the progress lines)",
  ]);
});
