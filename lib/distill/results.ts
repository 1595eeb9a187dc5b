/**
 * The results of a distillation experiment, as the code uses them (camelCase types) and as they
 * are on disk (`results.json`, `results.csv`: snake_case names, the columns of every committed
 * result under `results/`). {@link STUDENT_COLUMNS} is the one mapping between the two; the
 * writers and the reader here are the only code that uses the on-disk names.
 *
 * @module
 */

import { join } from "@std/path";
import { writeFileAtomic, writeJsonAtomic } from "../util/atomic.ts";
import { csvText } from "../util/csv.ts";

/** One student size's results: its cost and the test AUC of each way of training it. */
export interface StudentResult {
  /** Channel width of the student. */
  width: number;
  /** Latent size. */
  latent: number;
  /** Generator parameters. */
  params: number;
  /** Generator MFLOPs per image along the scoring path. */
  mflops: number;
  /** Compression ratio: teacher FLOPs / student FLOPs. */
  ratio: number;
  /** Test ROC AUC trained from scratch (null: not run, or failed). */
  aucScratch: number | null;
  /** Test ROC AUC distilled in one step. */
  aucOneStep: number | null;
  /** Test ROC AUC distilled by P-KDGAN. */
  aucPkdgan: number | null;
  /** Test ROC AUC of the joint structure alone (only when that method ran). */
  aucJoint?: number | null;
  /** One-step KD from the teacher's sliced channels (`--init teacher`). */
  aucOneStepTeacherInit?: number | null;
  /** P-KDGAN from the teacher's sliced channels (`--init teacher`). */
  aucPkdganTeacherInit?: number | null;
  /** The joint structure from the teacher's sliced channels (`--init teacher`). */
  aucJointTeacherInit?: number | null;
  /** P-KDGAN's AUC minus scratch's. */
  deltaVsScratch: number | null;
  /**
   * The best per-epoch test AUC of each method: the reference code's protocol (GANomaly's, which
   * the papers build on), shown beside the last-epoch figures for comparison with published ones
   * only, never used to choose anything. Null when the job files hold no per-epoch AUCs.
   */
  bestEpochAucScratch?: number | null;
  /** One-step KD's best per-epoch test AUC (reference code's protocol, comparison only). */
  bestEpochAucOneStep?: number | null;
  /** P-KDGAN's best per-epoch test AUC (reference code's protocol, comparison only). */
  bestEpochAucPkdgan?: number | null;
  /** Scoring speed at batch 256, images per second. */
  scoreImagesPerSecond: number | null;
  /** One line per failed job (`w4-l100-pkdgan: ...`). */
  errors: string[];
}

/** The teacher's results. */
export interface TeacherResult {
  width: number;
  /** Generator parameters. */
  params: number;
  /** Generator MFLOPs per image along the scoring path. */
  mflops: number;
  /** Test ROC AUC. */
  auc: number;
  /** Scoring speed at batch 256, images per second. */
  scoreImagesPerSecond: number;
}

/** The whole experiment's results (`results.json`). */
export interface DistillResults {
  dataset: string;
  normalClass: number;
  protocol: string;
  seed: number;
  teacher: TeacherResult;
  students: StudentResult[];
  /** What the ratios divide, in words. */
  ratioDefinition: string;
}

/**
 * The on-disk column of each {@link StudentResult} field (but `errors`, which keeps its name and
 * is not a CSV column). Fields that are optional in the type are written only when present.
 */
export const STUDENT_COLUMNS = {
  width: "width",
  latent: "latent",
  params: "params",
  mflops: "mflops",
  ratio: "ratio",
  aucScratch: "auc_scratch",
  aucOneStep: "auc_one_step",
  aucPkdgan: "auc_pkdgan",
  aucJoint: "auc_joint",
  aucOneStepTeacherInit: "auc_one_step_teacher_init",
  aucPkdganTeacherInit: "auc_pkdgan_teacher_init",
  aucJointTeacherInit: "auc_joint_teacher_init",
  deltaVsScratch: "delta_vs_scratch",
  bestEpochAucScratch: "best_epoch_auc_scratch",
  bestEpochAucOneStep: "best_epoch_auc_one_step",
  bestEpochAucPkdgan: "best_epoch_auc_pkdgan",
  scoreImagesPerSecond: "score_images_per_s",
} as const satisfies Record<Exclude<keyof StudentResult, "errors">, string>;

type StudentField = keyof typeof STUDENT_COLUMNS;

/** One row of `results.json`'s `students` as on disk: the columns of {@link STUDENT_COLUMNS}. */
export type StudentResultRow =
  // `in keyof` keeps each field's optionality: optional fields are optional columns.
  & { [F in keyof Omit<StudentResult, "errors"> as (typeof STUDENT_COLUMNS)[F]]: StudentResult[F] }
  & { errors: string[] };

/** `results.json` as on disk. */
export interface DistillResultsFile {
  dataset: string;
  normal_class: number;
  protocol: string;
  seed: number;
  teacher: {
    width: number;
    params: number;
    mflops: number;
    auc: number;
    score_images_per_s: number;
  };
  students: StudentResultRow[];
  ratio_definition: string;
}

/** Fields written in this order, then `errors`, then {@link OPTIONAL_FIELDS} that are present. */
const REQUIRED_FIELDS: StudentField[] = [
  "width",
  "latent",
  "params",
  "mflops",
  "ratio",
  "aucScratch",
  "aucOneStep",
  "aucPkdgan",
  "deltaVsScratch",
  "scoreImagesPerSecond",
];
const OPTIONAL_FIELDS: StudentField[] = [
  "aucJoint",
  "aucOneStepTeacherInit",
  "aucPkdganTeacherInit",
  "aucJointTeacherInit",
  "bestEpochAucScratch",
  "bestEpochAucOneStep",
  "bestEpochAucPkdgan",
];

/**
 * The columns of `results.csv`, in order: every {@link STUDENT_COLUMNS} column but
 * `auc_joint_teacher_init` (which `results.json` alone carries) and `errors`.
 */
export const RESULT_COLUMNS = [
  "width",
  "latent",
  "params",
  "mflops",
  "ratio",
  "auc_scratch",
  "auc_one_step",
  "auc_pkdgan",
  "auc_joint",
  "auc_one_step_teacher_init",
  "auc_pkdgan_teacher_init",
  "delta_vs_scratch",
  "score_images_per_s",
] as const satisfies readonly (keyof StudentResultRow)[];

/**
 * The best-test-epoch columns (the reference code's protocol, comparison only), written after
 * {@link RESULT_COLUMNS} by distillations whose job files keep per-epoch AUCs.
 */
export const BEST_EPOCH_COLUMNS = [
  "best_epoch_auc_scratch",
  "best_epoch_auc_one_step",
  "best_epoch_auc_pkdgan",
] as const satisfies readonly (keyof StudentResultRow)[];

/**
 * The columns of a `results.csv` for these rows: {@link RESULT_COLUMNS}, then
 * {@link BEST_EPOCH_COLUMNS} when a row has one (so that files written before keep their form).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { RESULT_COLUMNS, resultColumns } from "./results.ts";
 * assertEquals(resultColumns([{ auc_pkdgan: 0.9 }]), [...RESULT_COLUMNS]);
 * assertEquals(resultColumns([{ best_epoch_auc_pkdgan: 0.9 }]).at(-1), "best_epoch_auc_pkdgan");
 * ```
 */
export function resultColumns(
  rows: readonly Partial<StudentResultRow>[],
): (typeof RESULT_COLUMNS[number] | typeof BEST_EPOCH_COLUMNS[number])[] {
  const best = BEST_EPOCH_COLUMNS.some((c) => rows.some((r) => r[c] !== undefined));
  return [...RESULT_COLUMNS, ...(best ? BEST_EPOCH_COLUMNS : [])];
}

/**
 * The on-disk row of a student.
 *
 * @example
 * ```ts
 * import { studentResultToRow } from "./results.ts";
 * const row = studentResultToRow({ width: 4, latent: 100, params: 1, mflops: 0.1, ratio: 20,
 *   aucScratch: 0.9, aucOneStep: null, aucPkdgan: 0.95, deltaVsScratch: 0.05,
 *   scoreImagesPerSecond: 10, errors: [] });
 * if (row.auc_pkdgan !== 0.95 || "auc_joint" in row) throw new Error();
 * ```
 */
export function studentResultToRow(student: StudentResult): StudentResultRow {
  const row: Record<string, unknown> = {};
  for (const field of REQUIRED_FIELDS) row[STUDENT_COLUMNS[field]] = student[field];
  row.errors = student.errors;
  for (const field of OPTIONAL_FIELDS) {
    if (student[field] !== undefined) row[STUDENT_COLUMNS[field]] = student[field];
  }
  return row as StudentResultRow;
}

/**
 * `results.json` as written, from the results.
 *
 * @example
 * ```ts
 * import { distillResultsToFile } from "./results.ts";
 * const file = distillResultsToFile({ dataset: "mnist", normalClass: 2, protocol: "one-class",
 *   seed: 0, teacher: { width: 64, params: 1, mflops: 1, auc: 0.9, scoreImagesPerSecond: 5 },
 *   students: [], ratioDefinition: "" });
 * if (file.normal_class !== 2 || file.teacher.score_images_per_s !== 5) throw new Error();
 * ```
 */
export function distillResultsToFile(results: DistillResults): DistillResultsFile {
  const { teacher } = results;
  return {
    dataset: results.dataset,
    normal_class: results.normalClass,
    protocol: results.protocol,
    seed: results.seed,
    teacher: {
      width: teacher.width,
      params: teacher.params,
      mflops: teacher.mflops,
      auc: teacher.auc,
      score_images_per_s: teacher.scoreImagesPerSecond,
    },
    students: results.students.map(studentResultToRow),
    ratio_definition: results.ratioDefinition,
  };
}

/** A field of a file that is missing or of the wrong type, naming the file and the field. */
export class FileFieldError extends Error {
  constructor(
    /** The file (or other source) read. */
    readonly file: string,
    /** The field's path in it, e.g. `students[1].auc_pkdgan`. */
    readonly field: string,
    expected: string,
    value: unknown,
  ) {
    const shown = value === undefined ? "nothing" : JSON.stringify(value);
    super(
      `${file}: ${field}: expected ${expected}, got ${
        shown.length > 80 ? `${shown.slice(0, 77)}...` : shown
      }`,
    );
    this.name = "FileFieldError";
  }
}

/** Reads fields of one object of a file, each checked, naming the file and field on error. */
export class FieldReader {
  constructor(
    /** The object read. */
    readonly value: Record<string, unknown>,
    /** The file it comes from. */
    readonly file: string,
    /** Its path in the file ("" at the top). */
    readonly at = "",
  ) {}

  /** The path of field `key`. */
  path(key: string): string {
    return this.at ? `${this.at}.${key}` : key;
  }

  /** A finite number. */
  number(key: string): number {
    const v = this.value[key];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new FileFieldError(this.file, this.path(key), "a finite number", v);
    }
    return v;
  }

  /** A finite number or null. */
  numberOrNull(key: string): number | null {
    const v = this.value[key];
    if (v === null) return null;
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new FileFieldError(this.file, this.path(key), "a finite number or null", v);
    }
    return v;
  }

  /** A string. */
  string(key: string): string {
    const v = this.value[key];
    if (typeof v !== "string") throw new FileFieldError(this.file, this.path(key), "a string", v);
    return v;
  }

  /** An object, read by another reader. */
  object(key: string): FieldReader {
    return FieldReader.of(this.value[key], this.file, this.path(key));
  }

  /** An array of objects, each read by its own reader. */
  objects(key: string): FieldReader[] {
    const v = this.value[key];
    if (!Array.isArray(v)) throw new FileFieldError(this.file, this.path(key), "an array", v);
    return v.map((item, i) => FieldReader.of(item, this.file, `${this.path(key)}[${i}]`));
  }

  /** A finite number, or undefined when the field is missing or null. */
  optionalNumber(key: string): number | undefined {
    return this.value[key] === undefined || this.value[key] === null ? undefined : this.number(key);
  }

  /** A string, or undefined when the field is missing or null. */
  optionalString(key: string): string | undefined {
    return this.value[key] === undefined || this.value[key] === null ? undefined : this.string(key);
  }

  /** An object's reader, or undefined when the field is missing or null. */
  optionalObject(key: string): FieldReader | undefined {
    return this.value[key] === undefined || this.value[key] === null ? undefined : this.object(key);
  }

  /** An array of finite numbers, or undefined when the field is missing or null. */
  optionalNumbers(key: string): number[] | undefined {
    const v = this.value[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === "number" && Number.isFinite(x))) {
      throw new FileFieldError(this.file, this.path(key), "an array of finite numbers", v);
    }
    return v;
  }

  /** A reader of `value`, which must be an object. */
  static of(value: unknown, file: string, at = ""): FieldReader {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new FileFieldError(file, at || "(the file)", "an object", value);
    }
    return new FieldReader(value as Record<string, unknown>, file, at);
  }
}

/**
 * A student from its on-disk row, every field checked.
 *
 * @throws {FileFieldError} naming the file and field that is missing or of the wrong type.
 *
 * @example
 * ```ts
 * import { studentResultFromRow } from "./results.ts";
 * const s = studentResultFromRow({ width: 4, latent: 100, params: 1, mflops: 0.1, ratio: 20,
 *   auc_scratch: 0.9, auc_one_step: null, auc_pkdgan: 0.95, delta_vs_scratch: 0.05,
 *   score_images_per_s: 10, errors: [] }, "results.json");
 * if (s.aucPkdgan !== 0.95 || "aucJoint" in s) throw new Error();
 * ```
 */
export function studentResultFromRow(row: unknown, file: string, at = "student"): StudentResult {
  const r = FieldReader.of(row, file, at);
  const student: Record<string, unknown> = {};
  for (const field of ["width", "latent", "params", "mflops", "ratio"] as const) {
    student[field] = r.number(STUDENT_COLUMNS[field]);
  }
  for (const field of REQUIRED_FIELDS.slice(5)) {
    student[field] = r.numberOrNull(STUDENT_COLUMNS[field]);
  }
  const errors = r.value.errors ?? [];
  if (!Array.isArray(errors) || errors.some((e) => typeof e !== "string")) {
    throw new FileFieldError(file, r.path("errors"), "an array of strings", errors);
  }
  student.errors = errors;
  for (const field of OPTIONAL_FIELDS) {
    if (r.value[STUDENT_COLUMNS[field]] !== undefined) {
      student[field] = r.numberOrNull(STUDENT_COLUMNS[field]);
    }
  }
  return student as unknown as StudentResult;
}

/**
 * The results from the value of a `results.json`, every field checked.
 *
 * @throws {FileFieldError} naming the file and field that is missing or of the wrong type.
 *
 * @example
 * ```ts
 * import { distillResultsFromFile } from "./results.ts";
 * const r = distillResultsFromFile({ dataset: "mnist", normal_class: 2, protocol: "one-class",
 *   seed: 0, teacher: { width: 64, params: 1, mflops: 1, auc: 0.9, score_images_per_s: 5 },
 *   students: [], ratio_definition: "" }, "results.json");
 * if (r.normalClass !== 2) throw new Error();
 * try {
 *   distillResultsFromFile({ dataset: "mnist" }, "x/results.json");
 *   throw new Error("accepted");
 * } catch (e) {
 *   if ((e as Error).message !== "x/results.json: normal_class: expected a finite number, got nothing") throw e;
 * }
 * ```
 */
export function distillResultsFromFile(value: unknown, file: string): DistillResults {
  const r = FieldReader.of(value, file);
  // Read in the file's order, so that the first bad field is the one named.
  const head = {
    dataset: r.string("dataset"),
    normalClass: r.number("normal_class"),
    protocol: r.string("protocol"),
    seed: r.number("seed"),
  };
  const t = r.object("teacher");
  return {
    ...head,
    teacher: {
      width: t.number("width"),
      params: t.number("params"),
      mflops: t.number("mflops"),
      auc: t.number("auc"),
      scoreImagesPerSecond: t.number("score_images_per_s"),
    },
    students: r.objects("students").map((s) => studentResultFromRow(s.value, file, s.at)),
    ratioDefinition: typeof r.value.ratio_definition === "string" ? r.value.ratio_definition : "",
  };
}

/**
 * Reads and checks a `results.json` (a distillation's, or one committed under `results/`).
 *
 * @throws {FileFieldError} naming the file and field that is missing or of the wrong type;
 * `Deno.errors.NotFound` when there is no file; `SyntaxError` (naming the file) on bad JSON.
 *
 * @example
 * ```ts
 * import { readDistillResults } from "./results.ts";
 * const committed = new URL("../../results/paper-lite-mnist-2/", import.meta.url).pathname;
 * const r = await readDistillResults(`${committed}results.json`);
 * if (r.students[0].aucPkdgan === null) throw new Error();
 * ```
 */
export async function readDistillResults(path: string): Promise<DistillResults> {
  const text = await Deno.readTextFile(path);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(`${path}: not JSON (${(error as Error).message})`);
  }
  return distillResultsFromFile(value, path);
}

/**
 * Writes `results.json` and `results.csv` (the students' {@link RESULT_COLUMNS}) into `dir`,
 * each atomically.
 *
 * @example
 * ```ts
 * import { readDistillResults, writeDistillResults } from "./results.ts";
 * const committed = new URL("../../results/paper-lite-mnist-2/", import.meta.url).pathname;
 * const dir = await Deno.makeTempDir();
 * await writeDistillResults(dir, await readDistillResults(`${committed}results.json`));
 * const csv = await Deno.readTextFile(`${dir}/results.csv`);
 * if (csv !== await Deno.readTextFile(`${committed}results.csv`)) throw new Error();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeDistillResults(dir: string, results: DistillResults): Promise<void> {
  const file = distillResultsToFile(results);
  await writeJsonAtomic(join(dir, "results.json"), file);
  await writeFileAtomic(
    join(dir, "results.csv"),
    csvText(file.students, resultColumns(file.students)),
  );
}
