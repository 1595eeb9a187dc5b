/**
 * The README's table of shipped models, made from `models/index.json`: one row per model (teacher
 * first, then its class's students by ratio and method) and the bytes they add, between the
 * `<!-- shipped-models:start` and `<!-- shipped-models:end -->` markers. `deno task ship` rebuilds
 * it after packing a model; tests/ship checks that the committed README matches the index.
 *
 * @module
 */

import { FASHION_MNIST_CLASSES } from "../data/fashion_mnist.ts";
import { formatMarkdown, replaceBlock, table } from "../results/markdown.ts";
import { basename, dirname, join, resolve } from "@std/path";
import {
  readShippedIndex,
  repositoryModelsDir,
  SHIPPED_PREFIX,
  type ShippedIndex,
  type ShippedModel,
} from "./shipped.ts";
import { writeFileAtomic } from "../util/atomic.ts";

/** The marker name of the README's block. */
export const SHIPPED_MODELS_BLOCK = "shipped-models";

const DATASET_ORDER = ["mnist", "fashion-mnist", "cifar10"];
const METHOD_ORDER = ["scratch", "pkdgan", "one-step"];

/** "MNIST digit 2", "Fashion-MNIST 0 (T-shirt/top)", else the dataset's name and class. */
function classLabel(m: ShippedModel): string {
  if (m.dataset === "mnist") return `MNIST digit ${m.normalClass}`;
  if (m.dataset === "fashion-mnist") {
    return `Fashion-MNIST ${m.normalClass} (${FASHION_MNIST_CLASSES[m.normalClass]})`;
  }
  return `${m.dataset} ${m.normalClass}`;
}

type StudentTraining = {
  method?: string;
  ratio?: number;
  epochs?: { step1?: number; step2?: number };
  batchSize?: number;
  teacher?: string;
};

/** How a model was trained, in words, from its `training` record. */
function trainedLabel(m: ShippedModel): string {
  if (m.role === "teacher") {
    const t = m.training as { epochs?: number; batchSize?: number; ema?: number | null };
    return `${t.epochs} epochs, batch ${t.batchSize}` + (t.ema ? `, \`--ema ${t.ema}\`` : "");
  }
  const t = m.training as StudentTraining;
  const [step1, step2] = [t.epochs?.step1, t.epochs?.step2];
  const epochs = step1 !== undefined && step2 !== undefined;
  const method = t.method === "pkdgan"
    ? `P-KDGAN${epochs ? ` ${step1} + ${step2} epochs` : ""}`
    : t.method === "one-step"
    ? `one-step KD${epochs ? ` ${step1! + step2!} epochs` : ""}`
    : t.method === "scratch"
    ? `trained alone${epochs ? `, ${step1! + step2!} epochs` : ""}`
    : "distilled";
  // the teacher by its shipped name, else the run folder's own name
  const teacher = t.teacher === undefined
    ? ""
    : t.teacher.startsWith(SHIPPED_PREFIX)
    ? ` from \`${t.teacher.slice(SHIPPED_PREFIX.length)}\``
    : ` from teacher run \`${basename(t.teacher)}\``;
  return [
    (t.ratio !== undefined ? `${t.ratio.toFixed(1)}:1` : "") + teacher,
    method,
    t.batchSize !== undefined ? `batch ${t.batchSize}` : "",
    m.bnStats === "per-image" ? "scored with per-image BatchNorm" : "",
  ].filter((part) => part !== "").join(", ");
}

/** Sort key: dataset, class, teacher before students, ratio, method. */
function compareModels(a: ShippedModel, b: ShippedModel): number {
  const rank = (list: string[], x: string) =>
    (list.indexOf(x) + list.length + 1) % (list.length + 1);
  const ratio = (m: ShippedModel) => (m.training as StudentTraining).ratio ?? 0;
  const method = (m: ShippedModel) => String((m.training as StudentTraining).method ?? "");
  return rank(DATASET_ORDER, a.dataset) - rank(DATASET_ORDER, b.dataset) ||
    a.normalClass - b.normalClass ||
    (a.role === "teacher" ? 0 : 1) - (b.role === "teacher" ? 0 : 1) ||
    ratio(a) - ratio(b) || rank(METHOD_ORDER, method(a)) - rank(METHOD_ORDER, method(b)) ||
    a.name.localeCompare(b.name);
}

/**
 * The README's block (markers included) for `index`: the table of shipped models and the bytes
 * the teachers and the students add. A student's ratio is the one it reached (teacher FLOPs over
 * its own); "(the campaign's)" marks a student distilled from a teacher run rather than a shipped
 * teacher.
 *
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { shippedModelsBlock } from "./catalogue.ts";
 * const teacher = { name: "mnist-2", role: "teacher" as const, dataset: "mnist", normalClass: 2,
 *   protocol: "one-class", imageSize: 32, channels: 1, width: 64, latentSize: 100, latent: "tanh",
 *   params: 3200384, dtype: "mixed" as const, bytes: 14588948, auc: 0.96266, threshold: 0.0267,
 *   scoresMaxAbsDiff: 0, training: { epochs: 15, batchSize: 64, ema: 0.99 }, source: "runs/x" };
 * const block = shippedModelsBlock({ format: "edegan-shipped-models", models: [teacher] });
 * assertStringIncludes(block, "| `mnist-2` | teacher | MNIST digit 2         |       64 x 100 |");
 * assertStringIncludes(block, "Bytes added: the one teacher 14.6 MB (");
 * ```
 */
export function shippedModelsBlock(index: ShippedIndex): string {
  return [
    `<!-- ${SHIPPED_MODELS_BLOCK}:start (made by \`deno task ship\` from models/index.json; do not edit) -->`,
    "",
    shippedModelsTable(index),
    `<!-- ${SHIPPED_MODELS_BLOCK}:end -->`,
  ].join("\n");
}

/**
 * The table of shipped models (name, role, class, width x latent, how trained, test AUC, storage,
 * bytes; sorted by dataset, class and role), then a line with the bytes they add: what
 * `deno task ship --list` prints and the README's block holds.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { shippedModelsTable } from "./catalogue.ts";
 * assertEquals(shippedModelsTable({ format: "edegan-shipped-models", models: [] }).split("\n").at(-1),
 *   "No model is shipped yet.");
 * ```
 */
export function shippedModelsTable(index: ShippedIndex): string {
  const models = [...index.models].sort(compareModels);
  const rows = models.map((m) => [
    `\`${m.name}\``,
    m.role,
    classLabel(m),
    `${m.width} x ${m.latentSize}`,
    trainedLabel(m),
    m.auc.toFixed(4),
    m.dtype,
    m.bytes.toLocaleString("en-US"),
  ]);
  const bytes = (role: string) =>
    models.filter((m) => m.role === role).reduce((sum, m) => sum + m.bytes, 0);
  const count = (role: string) => models.filter((m) => m.role === role).length;
  const sizes = (["teacher", "student"] as const).filter((role) => count(role) > 0).map((role) =>
    `${count(role) === 1 ? `the one ${role}` : `the ${count(role)} ${role}s`} ` +
    `${(bytes(role) / 1e6).toFixed(1)} MB`
  );
  return [
    table(
      [
        "name",
        "role",
        "dataset, normal class",
        "width x latent",
        "trained",
        "test AUC",
        "storage",
        "bytes",
      ],
      rows,
      ["l", "l", "l", "r", "l", "r", "l", "r"],
    ),
    "",
    sizes.length
      ? `Bytes added: ${sizes.join(", ")} (each folder, as models/index.json lists it).`
      : "No model is shipped yet.",
  ].join("\n");
}

/**
 * Rebuilds the shipped-models block of the Markdown file `readme` from `index` and formats the
 * file with `deno fmt`; writes it (atomically) unless `check`. Returns whether its text changed.
 *
 * @throws {Error} naming the file when its markers are missing.
 */
export async function updateShippedModelsReadme(
  readme: string,
  index: ShippedIndex,
  check = false,
): Promise<boolean> {
  const before = await Deno.readTextFile(readme);
  const after = await formatMarkdown(
    replaceBlock(before, SHIPPED_MODELS_BLOCK, shippedModelsBlock(index), readme),
  );
  if (after === before) return false;
  if (!check) await writeFileAtomic(readme, after);
  return true;
}

/**
 * Rebuilds the shipped-models block of the repository's `README.md` from `modelsDir/index.json`
 * when `modelsDir` is the repository's own `models/` (`repositoryModels`; default this checkout's),
 * whatever the working directory; nothing for any other folder (a test's or a user's
 * `EDEGAN_MODELS`). Returns the README's path and whether it changed, or undefined.
 *
 * @throws {Error} naming the README when it lacks the block's markers.
 */
export async function updateReadmeBesideModels(
  modelsDir: string,
  repositoryModels: string = repositoryModelsDir(),
): Promise<{ readme: string; changed: boolean } | undefined> {
  if (resolve(modelsDir) !== resolve(repositoryModels)) return undefined;
  const readme = join(dirname(resolve(modelsDir)), "README.md");
  if (!await Deno.stat(readme).then((s) => s.isFile, () => false)) return undefined;
  return {
    readme,
    changed: await updateShippedModelsReadme(readme, await readShippedIndex(modelsDir)),
  };
}
