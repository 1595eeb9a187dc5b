#!/usr/bin/env bash
# Distils the full-length batch-64 teachers of results/teachers into students at the papers'
# compression ratios, one class after another, resumably (a rerun into the same folder reuses the
# teacher and every finished job). Usage (from the repository root):
#   THREADS=1 nohup bash results/students/queue.sh "mnist 3 0" "fashion-mnist 0 0" &
# Each spec is "dataset class seed"; the teacher is runs/t14/D-C-b64-sS-ema (queue.sh of
# results/teachers), else runs/t14/D-C-b64-sS. Ratios (RATIOS overrides): MNIST 24.45:1 and
# 311.11:1, Fashion-MNIST 24.45:1 and 700:1 (the papers' headline ratio of each dataset and one near
# 24:1). Each student trains from scratch for 15 epochs, by one-step KD for 15, and by P-KDGAN for
# 10 + 5 (--preset paper), at batch 64. Output: runs/t14/distill-D-C-b64-sS (log beside); then
# land the finished ones in results/students/ (copy, tables, README): `bash results/students/land.sh`.
set -u
THREADS=${THREADS:-1}
for spec in "$@"; do
  set -- $spec
  teacher=runs/t14/$1-$2-b64-s$3-ema
  [ -d "$teacher" ] || teacher=runs/t14/$1-$2-b64-s$3
  if ! grep -q '"status": "finished"' "$teacher/run.json" 2>/dev/null; then
    echo "== skip $1 $2 $3: no finished teacher in $teacher"; continue
  fi
  case $1 in fashion-mnist) ratios=${RATIOS:-24.45:1,700:1} ;; *) ratios=${RATIOS:-24.45:1,311.11:1} ;; esac
  out=runs/t14/distill-$1-$2-b64-s$3
  if [ -f "$out/results.json" ] && [ "$(ls "$out/jobs" | grep -c "\.json$")" -ge 6 ]; then echo "== skip $out"; continue; fi
  start=$(date +%s)
  echo "== $(date -u +%H:%M:%S) $out ($ratios, teacher $teacher)"
  deno task distill --preset paper --dataset "$1" --normal "$2" --seed "$3" --model "$teacher" \
    --batch-size 64 --students "$ratios" --backend onednn --threads "$THREADS" --out "$out" \
    --no-report > "$out.log" 2>&1
  echo "== $(date -u +%H:%M:%S) $out exit $? wall $(( $(date +%s) - start )) s"
done
