/**
 * P-KDGAN: distilling a large teacher into small students (step 1 with the teacher frozen, step 2
 * jointly), the students' sizes (by width or compression ratio), the distillation loss, the
 * whole experiment with its result files, and a student saved as a scoreable run. Typed on
 * what it needs of a model, `DistillableModel` (`lib/models/distillable.ts`), which EDE-GAN
 * implements; no file here imports `lib/models/ede_gan/` (`tests/house/distill_imports_test.ts`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { studentChoiceText } from "./mod.ts";
 * assertEquals(studentChoiceText({ ratio: 311.11 }), "311.11:1");
 * ```
 *
 * @module
 */
export * from "./pkdgan.ts";
export * from "./kd_loss.ts";
export * from "./students.ts";
export * from "./student_choice.ts";
export * from "./student_run.ts";
export * from "./teacher.ts";
export * from "./experiment.ts";
export * from "./results.ts";
export * from "./checkpoint.ts";
export * from "./validation_agreement.ts";
export * from "./frozen_teacher.ts";
