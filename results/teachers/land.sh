#!/usr/bin/env bash
# Lands the finished runs of runs/t14 (written by queue.sh) in results/teachers/: for each finished
# run without a score study, runs `deno task study score` on it (latent / reconstruction / features
# x moving / recomputed / per-image BatchNorm, no retraining, ~2.5 min on one thread; at batch 1
# also of the live weights, --weights live), copies run.json, scores.csv and study-score(-live).json
# to results/teachers/D-C-bB-sS/, and rebuilds tables.md and the headline of results/README.md.
# Rerun it at will: what has landed is skipped. Usage (from the repository root):
#   THREADS=1 bash results/teachers/land.sh
set -u
THREADS=${THREADS:-1}
for run in runs/t14/{mnist,fashion-mnist,cifar10}-*-b*-s*; do
  [ -d "$run" ] || continue
  grep -q '"status": "finished"' "$run/run.json" 2>/dev/null || continue
  name=$(basename "$run"); name=${name%-ema}
  dest=results/teachers/$name
  [ -f "$dest/study-score.json" ] && continue
  if [ ! -f "$run/study-score.json" ]; then
    echo "== $(date -u +%H:%M:%S) study score $run"
    deno task study score --model "$run" --backend onednn --threads "$THREADS" \
      > "$run.study.log" 2>&1 || { echo "   failed: $run.study.log"; continue; }
  fi
  # At batch 1 the live weights are scored too (their curve has only the moving averages).
  if python3 -c 'import json, sys; t = json.load(open(sys.argv[1]))["training"]
sys.exit(0 if t["batchSize"] == 1 and t.get("ema") else 1)' "$run/run.json" &&
    [ ! -f "$run/study-score-live.json" ]; then
    echo "== $(date -u +%H:%M:%S) study score --weights live $run"
    deno task study score --model "$run" --weights live --backend onednn --threads "$THREADS" \
      > "$run.study-live.log" 2>&1 || echo "   failed: $run.study-live.log"
  fi
  mkdir -p "$dest"
  cp "$run/run.json" "$run/scores.csv" "$run/study-score.json" "$dest/"
  [ -f "$run/study-score-live.json" ] && cp "$run/study-score-live.json" "$dest/"
  echo "== landed $dest"
done
deno run -A results/teachers/table.ts > /dev/null && deno fmt results/teachers > /dev/null &&
  deno run -A results/summary.ts > /dev/null
