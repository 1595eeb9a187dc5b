/**
 * The distillations of results/students (one folder per teacher, `D-C-b64-sS`: results.json of
 * `deno task distill`) loaded, with the helpers `table.ts` and `../summary.ts` share.
 *
 * @module
 */
export type Student = {
  width: number;
  latent: number;
  ratio: number;
  auc_scratch: number | null;
  auc_one_step: number | null;
  auc_pkdgan: number | null;
};
export type Results = {
  dataset: string;
  normal_class: number;
  seed: number;
  teacher: { width: number; auc: number };
  students: Student[];
};

export async function loadStudents(dir: string): Promise<Results[]> {
  const runs: Results[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isDirectory) continue;
    runs.push(JSON.parse(await Deno.readTextFile(`${dir}/${entry.name}/results.json`)));
  }
  runs.sort((a, b) =>
    a.dataset.localeCompare(b.dataset) || a.normal_class - b.normal_class || a.seed - b.seed
  );
  return runs;
}

export const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? "" : (100 * x).toFixed(2);
export const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
export const signed = (x: number) => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(2)}`;
export const arch = (s: Student) => `w${s.width}/l${s.latent}`;
