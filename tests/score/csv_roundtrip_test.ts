// Issue 30: CSVs that other readers read. File names with commas, quotes, tabs, spaces and
// non-ASCII letters go through scores.csv and labels.csv intact, read by Python's `csv` module
// and by our readers (all through @std/csv).

import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { join } from "@std/path";
import { readScoresCsv, writeScoresCsv } from "../../lib/score/csv.ts";
import { loadFolder } from "../../lib/data/folder.ts";
import { parseLabelsCsv } from "../../lib/data/labels.ts";
import { greyPng } from "../data/_fixtures.ts";
import { skipUnless } from "../_helpers.ts";

const NAMES = [
  "test/normal/a,b.png",
  'test/normal/say "hi".png',
  "test/anomalous/tab\there.png",
  "test/anomalous/two words.png",
  "test/anomalous/Ünïcödé-日本.png",
];

/** Python's csv.reader on a file: its rows, as JSON. */
async function pythonRows(path: string): Promise<string[][] | undefined> {
  const out = await new Deno.Command("python3", {
    args: [
      "-c",
      "import csv,json,sys\n" +
      "print(json.dumps(list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))))",
      path,
    ],
    stdout: "piped",
  }).output().catch(() => undefined);
  return out?.success ? JSON.parse(new TextDecoder().decode(out.stdout)) : undefined;
}

async function pythonWrite(path: string, rows: string[][]): Promise<boolean> {
  const out = await new Deno.Command("python3", {
    args: [
      "-c",
      "import csv,json,sys\n" +
      "csv.writer(open(sys.argv[1], 'w', newline='', encoding='utf-8')).writerows(json.loads(sys.argv[2]))",
      path,
      JSON.stringify(rows),
    ],
  }).output().catch(() => undefined);
  return out?.success ?? false;
}

Deno.test("scores.csv round-trips names with commas, quotes, tabs, spaces and non-ASCII, for Python's csv too", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "scores.csv");
  const scores = [0.0819, 0.5, 1.25, 3e-7, 42];
  const labels = [0, 0, 1, 1, 1];
  const classes = [0, 0, 1, 1, 1];
  const calibration = { min: 0, max: 2, threshold: 0.75, fpr: 0.05, count: 20 };
  await writeScoresCsv(path, scores, labels, classes, calibration, NAMES);
  const back = await readScoresCsv(path);
  assertEquals(back.items, NAMES);
  assertEquals(back.scores, scores);
  assertEquals(back.labels, labels);
  assertEquals(back.decisions, [0, 0, 1, 0, 1]);
  const python = await pythonRows(path);
  if (skipUnless(python !== undefined, "python3")) return;
  assertEquals(python![0], ["item", "score", "class", "label", "decision"]);
  assertEquals(python!.slice(1).map((r) => r.length), [5, 5, 5, 5, 5]);
  assertEquals(python!.slice(1).map((r) => r[0]), NAMES);
  assertEquals(python!.slice(1).map((r) => Number(r[1])), scores);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a scores CSV written before names were quoted still reads, its commas in the item", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "old.csv");
  await Deno.writeTextFile(
    path,
    "item,score,class,label,decision\ntest/normal/a,b.png,0.0819,0,0,0\n",
  );
  const back = await readScoresCsv(path);
  assertEquals([back.items, back.scores], [["test/normal/a,b.png"], [0.0819]]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a labels.csv written by Python's csv, with an extra column, loads those files", async () => {
  const root = await Deno.makeTempDir();
  const grey = (v: number) => greyPng(new Uint8Array(16).map((_, i) => (i * 13 + v) % 256), 4, 4);
  await Deno.mkdir(join(root, "train"), { recursive: true });
  await Deno.writeFile(join(root, "train", "t,1.png"), grey(1));
  await Deno.mkdir(join(root, "test"), { recursive: true });
  const files = NAMES.map((n) => n.split("/").at(-1)!);
  for (const [i, file] of files.entries()) await Deno.writeFile(join(root, "test", file), grey(i));
  const rows = [
    ["file", "label", "defect_type"],
    ...files.map((f, i) => [f, i < 2 ? "normal" : "1", i < 2 ? "" : 'scratch, "deep"']),
  ];
  if (skipUnless(await pythonWrite(join(root, "test", "labels.csv"), rows), "python3")) return;
  const data = await loadFolder(root);
  assertEquals(data.test.names, files.map((f) => `test/${f}`));
  assertEquals([...data.test.labels], [0, 0, 1, 1, 1]);
  assertEquals(data.train.names, ["train/t,1.png"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("labels.csv: extra columns need a header naming file and label; errors name the line", () => {
  assertEquals(parseLabelsCsv("label,file,note\n1,a.png,x\n", "l.csv"), [["a.png", 1]]);
  let error = assertThrows(() => parseLabelsCsv("a.png,1,scratch\n", "l.csv"));
  assertStringIncludes(error.message, 'l.csv:1: 3 columns without a header, expected "file,label"');
  error = assertThrows(() => parseLabelsCsv("file,label\n# c\na.png,1\nb.png,7\n", "l.csv"));
  assertStringIncludes(error.message, 'l.csv:4: label "7" of b.png');
  error = assertThrows(() => parseLabelsCsv('file,label\n"a.png,1\n', "l.csv"));
  assertStringIncludes(error.message, "l.csv: not readable as CSV");
});
