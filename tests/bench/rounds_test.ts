/** `deno task bench --suite model --rounds N`: medians over rounds and each ratio's range. */

import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { medianRows, roundsSummary } from "../../lib/bench/rounds.ts";
import type { ModelRow } from "../../lib/bench/model.ts";
import { main } from "../../tasks/bench.ts";
import { benchWithStandIns, standInPython } from "./_bench_stand_ins.ts";

const row = (
  backend: string,
  phase: "train" | "score",
  batch: number,
  images_per_s: number | null,
  extra: Partial<ModelRow> = {},
): ModelRow => ({ backend, phase, batch, images_per_s, peak_rss_mb: 100, ...extra });

Deno.test("medianRows: each figure's median, range and count over rounds; gflops and RSS by median; order kept", () => {
  const rounds = [
    [row("onednn", "train", 1, 30, { gflops: 18, peak_rss_mb: 200 }), row("wasm", "train", 1, 10)],
    [
      row("onednn", "train", 1, 20, { gflops: 12, peak_rss_mb: 220 }),
      row("wasm", "train", 1, null),
    ],
    [row("onednn", "train", 1, 36, { gflops: 21, peak_rss_mb: 210 }), row("wasm", "train", 1, 12)],
    [row("onednn", "train", 1, 24, { gflops: 15, peak_rss_mb: 205 })],
  ];
  const [onednn, wasm] = medianRows(rounds);
  assertEquals(
    [onednn.backend, onednn.images_per_s, onednn.images_per_s_min, onednn.images_per_s_max],
    ["onednn", 27, 20, 36],
  );
  assertEquals([onednn.rounds, onednn.gflops, onednn.peak_rss_mb], [4, 16.5, 207.5]);
  // A round without a figure (null, or no row) does not count.
  assertEquals([wasm.images_per_s, wasm.rounds, wasm.images_per_s_min], [11, 2, 10]);
  assertEquals(medianRows([[row("wasm", "score", 1, null)]])[0].images_per_s, null);
  assertThrows(() => medianRows([]), Error, "no rounds");
});

Deno.test("roundsSummary: the medians' figures, and the ratio as the median of the rounds' own ratios", () => {
  const rounds = [
    [
      row("onednn", "train", 1, 40),
      row("pytorch-1t", "train", 1, 20),
      row("pytorch-2t", "train", 1, 10),
    ],
    [row("onednn", "train", 1, 30), row("pytorch-1t", "train", 1, 25)],
    [row("onednn", "train", 1, 36), row("pytorch-2t", "train", 1, 18)],
  ];
  const lines = roundsSummary(rounds);
  // Medians: onednn 36; PyTorch's best of its medians: 1t 22.5 (2 rounds), 2t 14 (2 rounds).
  assertStringIncludes(lines[1], "edegan onednn 36.0 images/s, pytorch-1t 22.5 (medians)");
  // Round by round: 40/20 = 2.00, 30/25 = 1.20, 36/18 = 2.00: median 2.00 (not 36/22.5 = 1.60).
  assertStringIncludes(
    lines[1],
    "2.00x PyTorch, the median of 3 rounds' ratios (1.20x-2.00x) (target >= 2x: met)",
  );
  assertStringIncludes(lines[0], "training at batch 64: no edegan figure to compare");
  assertEquals(roundsSummary([rounds[0]])[1].includes("rounds' ratios"), false);
});

Deno.test("bench --rounds: refused unless a whole number >= 1, and for suites other than model", async () => {
  const error = console.error;
  console.error = () => {};
  try {
    const messages: string[] = [];
    console.error = (...a: unknown[]) => messages.push(a.join(" "));
    assertEquals(await main(["--suite", "model", "--rounds", "0"]), 2);
    assertStringIncludes(messages.join("\n"), "--rounds: expected a whole number >= 1, got '0'");
    assertEquals(await main(["--suite", "model", "--rounds", "two"]), 2);
    assertEquals(await main(["--suite", "kernels", "--rounds", "2"]), 2);
  } finally {
    console.error = error;
  }
});

Deno.test("bench --suite model --peer --rounds 3: the medians' table and ratio lines, every round in the JSON", async () => {
  const dir = await Deno.makeTempDir();
  // A stand-in Python: PyTorch's batch-1 training at 20 images/s.
  const python = await standInPython(dir, [
    { backend: "pytorch-2t", phase: "train", batch: 1, images_per_s: 20, peak_rss_mb: 300 },
  ]);
  const figures = [30, 44, 36];
  let call = 0;
  try {
    const json = `${dir}/bench.json`;
    const { code, printed: out } = await benchWithStandIns(
      ["--suite", "model", "--peer", "--rounds", "3", "--json", json],
      () =>
        Promise.resolve(
          [row("onednn", "train", 1, figures[call++])] as unknown as Record<string, unknown>[],
        ),
      python,
    );
    assertEquals(code, 0, out);
    assertEquals(call, 3);
    assertStringIncludes(out, "(medians of 3 rounds");
    // Rounds 30/20, 44/20, 36/20: the median ratio 1.80, its range 1.50-2.20.
    assertStringIncludes(out, "1.80x PyTorch, the median of 3 rounds' ratios (1.50x-2.20x)");
    const document = JSON.parse(await Deno.readTextFile(json));
    assertEquals(document.rounds.length, 3);
    assertEquals(document.rounds.map((r: ModelRow[]) => r[0].images_per_s), figures);
    const onednn = document.rows.find((r: ModelRow) => r.backend === "onednn");
    assertEquals(
      [onednn.images_per_s, onednn.images_per_s_min, onednn.images_per_s_max, onednn.rounds],
      [36, 30, 44, 3],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bench --rounds 3: a round that fails keeps the rounds before it (table, JSON) and exits 1", async () => {
  const dir = await Deno.makeTempDir();
  let call = 0;
  try {
    const json = `${dir}/bench.json`;
    const { code, printed, messages } = await benchWithStandIns(
      ["--suite", "model", "--rounds", "3", "--json", json],
      () => {
        call++;
        if (call === 3) return Promise.reject(new Error("the machine went away"));
        return Promise.resolve(
          [row("onednn", "train", 1, call === 1 ? 30 : 40)] as unknown as Record<string, unknown>[],
        );
      },
    );
    assertEquals(code, 1);
    assertStringIncludes(messages, "round 3 failed (the machine went away)");
    assertStringIncludes(printed, "(medians of 2 rounds");
    const document = JSON.parse(await Deno.readTextFile(json));
    assertEquals(document.rounds.length, 2);
    assertEquals(document.rows[0].images_per_s, 35);
    // The code that made the figures: the checkout's commit, as a run's manifest records it.
    const head = new TextDecoder().decode(
      new Deno.Command("git", { args: ["rev-parse", "HEAD"] }).outputSync().stdout,
    ).trim();
    assertEquals(document.git.commit, head);
    assertEquals(typeof document.written, "string");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
