#!/usr/bin/env bash
# One worker of the open campaign jobs listed in results/queue.txt; start two (one thread each):
#
#   nohup setsid nice -n 19 bash results/queue.sh 08:25 > runs/queue-A.log 2>&1 &
#   sleep 20; nohup setsid nice -n 19 bash results/queue.sh 08:25 > runs/queue-B.log 2>&1 &
#
# The argument is the time (date -d syntax: 08:25, '+150 min') by which every job must have
# ended: a job starts only if its estimated minutes end before it, so that a time-boxed session
# leaves no half-run job. A job is one `deno task sweep --spec SPEC --only ID`: its lock
# (OUT/jobs/ID.running) keeps the two workers apart, and a finished job is skipped. A job whose
# fourth column (a file: its teacher's finished-job record) does not exist yet waits for it while
# the deadline allows. Landed results rebuild their tables: commit them as they land.
set -u
cd "$(dirname "$0")/.."
deadline=$(date -d "${1:?usage: bash results/queue.sh DEADLINE (e.g. 08:25 or '+150 min')}" +%s)
list=${2:-results/queue.txt}
stamp() { date -u +%H:%M; }
n=0
while :; do
  # The n-th job of the list as it is now (comments and blank lines skipped).
  line=$(grep -v '^\s*#' "$list" | grep -v '^\s*$' | sed -n "$((n + 1))p")
  [[ -z "$line" ]] && break
  n=$((n + 1))
  read -r minutes spec id needs <<< "$line"
  out=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["out"])' "$spec")
  [[ -f "$out/jobs/$id.json" ]] && continue
  while [[ -n "${needs:-}" && ! -f "$needs" ]]; do
    if (( $(date +%s) + minutes * 60 > deadline )); then break; fi
    echo "$(stamp) $id: waiting for $needs"
    sleep 60
  done
  if [[ -n "${needs:-}" && ! -f "$needs" ]]; then
    echo "$(stamp) skip $id: $needs not there in time"
    continue
  fi
  if (( $(date +%s) + minutes * 60 > deadline )); then
    echo "$(stamp) skip $id: ${minutes} min would end after the deadline"
    continue
  fi
  echo "$(stamp) $spec --only $id"
  deno task -q sweep --spec "$spec" --only "$id" || echo "$(stamp) $id: failed"
done
echo "$(stamp) queue done"
