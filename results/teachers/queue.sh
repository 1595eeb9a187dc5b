#!/usr/bin/env bash
# Trains the full-length teachers of results/teachers one after another, resumably: a finished run
# is skipped, a checkpointed one resumed. Usage (from the repository root):
#   BATCH=64 EMA=0.99 nohup bash results/teachers/queue.sh "mnist 2 1" "fashion-mnist 0 0" &
#   BATCH=1 EMA=0.9998 THREADS=1 nohup bash results/teachers/queue.sh "mnist 5 0" &
#   BATCH=1 EMA=0.9998 THREADS=1 EPOCHS=2 nohup bash results/teachers/queue.sh "mnist 5 0" &
# Each spec is "dataset class seed"; runs go to runs/t14/D-C-bB-sS-ema (log beside), or with
# EPOCHS (default: the paper preset's 15) to runs/t14/D-C-bB-sS-eN-ema. Batch 1 for EPOCHS=2 is
# the batch-64 teacher's training time (results/README.md, batch size). Then land them in
# results/teachers/ (score study, copy, tables): `bash results/teachers/land.sh`.
# EMA decay: about one epoch of steps (1 - 1/steps per epoch): 0.99 at batch 64, 0.9998 at batch 1.
set -u
BATCH=${BATCH:-64}
EMA=${EMA:-0.99}
THREADS=${THREADS:-}
EPOCHS=${EPOCHS:-}
for spec in "$@"; do
  set -- $spec
  out=runs/t14/$1-$2-b$BATCH-s$3${EPOCHS:+-e$EPOCHS}-ema
  if grep -q '"status": "finished"' "$out/run.json" 2>/dev/null; then echo "== skip $out"; continue; fi
  extra=()
  [ -f "$out/model/trainer.json" ] && extra+=(--resume)
  [ -n "$THREADS" ] && extra+=(--threads "$THREADS")
  [ -n "$EPOCHS" ] && extra+=(--epochs "$EPOCHS")
  mkdir -p runs/t14
  start=$(date +%s)
  echo "== $(date -u +%H:%M:%S) $out ${extra[*]:-}"
  deno task train --preset paper --dataset "$1" --normal "$2" --batch-size "$BATCH" --seed "$3" \
    --ema "$EMA" --backend onednn --out "$out" --no-report "${extra[@]}" > "$out.log" 2>&1
  echo "== $(date -u +%H:%M:%S) $out exit $? wall $(( $(date +%s) - start )) s"
done
