#!/usr/bin/env bash
# The distillation design study (issue 26): each design choice varied alone from today's default,
# and the combination the papers describe, at the papers' headline ratio of each dataset (MNIST
# 311.11:1, Fashion-MNIST 700:1), each student trained from scratch, by one-step KD and by P-KDGAN
# (--preset paper: 15 epochs, P-KDGAN 10 frozen + 5 joint), resumably: a rerun reuses every
# finished job, and a killed student job resumes from its last finished epoch. Every job file
# keeps its per-epoch test AUCs (both protocols from one run), its design, the BatchNorm mode it
# was scored with and its validation agreement with the teacher (results/README.md, "Choosing the
# distillation design"). Usage (from the repository root; two queues at a time, one thread each):
#   TEACHERS=runs/t14 VARIANTS="default latent-keep" THREADS=1 \
#     nohup bash results/students/design_queue.sh "mnist 2 0" "fashion-mnist 0 0" > q1.log 2>&1 &
# Each spec is "dataset class seed"; the teacher is $TEACHERS/D-C-b64-sS-ema, else
# $TEACHERS/D-C-b64-sS (a finished `deno task train` run folder). Variants (VARIANTS, default all,
# in this order; each runs every spec before the next variant starts):
#   default        today's design: latent shrinks at 700:1 and 311:1, K 1,1,1, stage 1 kd-gan, batch 64
#   latent-keep    --student-latent keep            (students keep latent 100, width found for the ratio)
#   kd-weights-50  --kd-weights 1,50,1              (K's image term on the contextual loss's scale)
#   stage1-kd      --stage1 kd                      (P-KDGAN's stage 1 on K alone)
#   batch1         --batch-size 1                   (students at batch 1, BatchNorm chosen on validation)
#   papers         all four together                (the design the papers describe)
# Output: $OUT/D-C-sS-VARIANT (OUT default runs/design), its log beside it. EXTRA: more flags for
# every job (a smoke test: EXTRA="--limit 640 --distill-epochs 1,1" OUT=/tmp/design-smoke).
set -u
THREADS=${THREADS:-1}
TEACHERS=${TEACHERS:-runs/t14}
OUT=${OUT:-runs/design}
VARIANTS=${VARIANTS:-default latent-keep kd-weights-50 stage1-kd batch1 papers}
EXTRA=${EXTRA:-}
mkdir -p "$OUT"
for variant in $VARIANTS; do
  case $variant in
    default) design="--batch-size 64" ;;
    latent-keep) design="--batch-size 64 --student-latent keep" ;;
    kd-weights-50) design="--batch-size 64 --kd-weights 1,50,1" ;;
    stage1-kd) design="--batch-size 64 --stage1 kd" ;;
    batch1) design="--batch-size 1" ;;
    papers) design="--batch-size 1 --student-latent keep --kd-weights 1,50,1 --stage1 kd" ;;
    *) echo "unknown variant '$variant' (default, latent-keep, kd-weights-50, stage1-kd, batch1, papers)" >&2; exit 2 ;;
  esac
  for spec in "$@"; do
    read -r dataset class seed <<< "$spec"
    teacher=$TEACHERS/$dataset-$class-b64-s$seed-ema
    [ -d "$teacher" ] || teacher=$TEACHERS/$dataset-$class-b64-s$seed
    if ! grep -q '"status": "finished"' "$teacher/run.json" 2>/dev/null; then
      echo "== skip $dataset $class $seed: no finished teacher in $teacher"; continue
    fi
    case $dataset in fashion-mnist) ratio=700:1 ;; *) ratio=311.11:1 ;; esac
    out=$OUT/$dataset-$class-s$seed-$variant
    if [ -f "$out/results.json" ] && [ "$(ls "$out/jobs" | grep -c "\.json$")" -ge 3 ]; then
      echo "== skip $out (done)"; continue
    fi
    start=$(date +%s)
    echo "== $(date -u +%H:%M:%S) $out ($ratio, $design, teacher $teacher)"
    # shellcheck disable=SC2086
    deno task distill --preset paper --dataset "$dataset" --normal "$class" --seed "$seed" \
      --model "$teacher" --students "$ratio" --methods scratch,one-step,pkdgan $design $EXTRA \
      --backend onednn --threads "$THREADS" --out "$out" --no-report > "$out.log" 2>&1
    echo "== $(date -u +%H:%M:%S) $out exit $? wall $(( $(date +%s) - start )) s"
  done
done
