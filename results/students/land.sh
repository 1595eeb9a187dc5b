#!/usr/bin/env bash
# Lands the finished distillations of runs/t14 (written by queue.sh) in results/students/: copies
# results.json, results.csv, run.json, teacher.json and jobs/ of every distillation whose six jobs
# (two ratios x scratch, one-step KD, P-KDGAN) are done into results/students/D-C-b64-sS/, then
# rebuilds tables.md and the README's blocks (results/summary.ts). Rerun it at will: a landed
# folder is refreshed only when its run has more jobs. Usage (from the repository root):
#   bash results/students/land.sh
set -u
for run in runs/t14/distill-*-b64-s*; do
  [ -f "$run/results.json" ] || continue
  jobs=$(ls "$run/jobs" 2>/dev/null | grep -c "\.json$")
  [ "$jobs" -ge 6 ] || continue
  name=$(basename "$run"); dest=results/students/${name#distill-}
  if [ -d "$dest" ] && [ "$(ls "$dest/jobs" | grep -c "\.json$")" -ge "$jobs" ]; then continue; fi
  mkdir -p "$dest"
  cp -r "$run/results.json" "$run/results.csv" "$run/run.json" "$run/teacher.json" "$run/jobs" "$dest/"
  echo "== landed $dest ($jobs jobs)"
done
deno run -A results/students/table.ts > /dev/null && deno fmt results/students > /dev/null &&
  deno run -A results/summary.ts > /dev/null
