#!/usr/bin/env bash
# One worker of the open campaign jobs listed in results/queue.txt; start two (one thread each):
#
#   nohup setsid nice -n 19 bash results/queue.sh 08:25 > runs/queue-A.log 2>&1 &
#   sleep 20; nohup setsid nice -n 19 bash results/queue.sh 08:25 > runs/queue-B.log 2>&1 &
#
# The first argument is the time (date -d syntax, UTC: 08:25, '+150 min') by which every job must
# have ended: a job starts only if its estimated minutes end before it, so that a time-boxed
# session leaves no half-run job (as far as the estimates hold). The second is the list (default
# results/queue.txt). A job is one `deno task sweep --spec SPEC --only ID`: its lock
# (OUT/jobs/ID.running) keeps the two workers apart, and a finished job (OUT/jobs/ID.json) is
# skipped. Before each job the worker reads the list afresh and takes, from the top, the first job
# it has not tried yet, so lines may be added, removed or reordered while it runs. A job whose
# fourth column (a file: its teacher's finished-job record) does not exist waits while the job
# that makes it runs (its .running lock is there) and the deadline allows; otherwise it is skipped.
# Landed results rebuild their tables: commit them as they land (and run `deno task results` once
# at the end, since two workers may rebuild at the same moment).
set -u
cd "$(dirname "$0")/.."
usage="usage: bash results/queue.sh DEADLINE [LIST] (DEADLINE in date -d syntax, UTC: 08:25, '+150 min')"
[[ $# -ge 1 ]] || { echo "$usage" >&2; exit 2; }
deadline=$(TZ=UTC date -d "$1" +%s 2>/dev/null) || {
  echo "results/queue.sh: DEADLINE '$1' is not a time date -d reads; $usage" >&2
  exit 2
}
(( deadline > $(date +%s) )) || {
  echo "results/queue.sh: DEADLINE '$1' ($(date -u -d "@$deadline" +%FT%H:%MZ)) has passed" >&2
  exit 2
}
list=${2:-results/queue.txt}
[[ -r "$list" ]] || { echo "results/queue.sh: cannot read the list $list" >&2; exit 2; }
stamp() { date -u +%H:%M; }
echo "$(stamp) worker $$: jobs of $list that end by $(date -u -d "@$deadline" +%FT%H:%MZ)"
declare -A tried=()

# The spec's "out" (where its jobs' records and locks are), read with Deno's own JSON parser.
spec_out() {
  deno eval --quiet 'console.log(JSON.parse(Deno.readTextFileSync(Deno.args[0])).out)' "$1" 2>/dev/null
}

while :; do
  picked=""
  while IFS= read -r raw; do
    line=${raw%%#*}
    read -r minutes spec id needs extra <<< "$line" || true
    [[ -z "${minutes:-}" ]] && continue
    key="${spec:-}|${id:-}"
    [[ -n "${tried[$key]:-}" ]] && continue
    if ! [[ $minutes =~ ^[0-9]+$ && -n "${spec:-}" && -n "${id:-}" && -z "${extra:-}" ]]; then
      echo "$(stamp) skip line '$raw': expected MINUTES SPEC ID [NEEDS]"
      tried[$key]=1
      continue
    fi
    picked=$line
    break
  done < "$list"
  [[ -z "$picked" ]] && break
  read -r minutes spec id needs <<< "$picked"
  tried["$spec|$id"]=1
  out=$(spec_out "$spec") || { echo "$(stamp) skip $id: cannot read the spec $spec"; continue; }
  [[ -f "$out/jobs/$id.json" ]] && continue
  if [[ -n "${needs:-}" && ! -f "$needs" ]]; then
    # Wait while the job that writes it runs, as long as the deadline allows.
    while [[ ! -f "$needs" && -f "${needs%.json}.running" ]] &&
      (( $(date +%s) + minutes * 60 <= deadline )); do
      echo "$(stamp) $id: waiting for $needs"
      sleep 60
    done
    if [[ ! -f "$needs" ]]; then
      echo "$(stamp) skip $id: $needs is not there (its job not running, or too late)"
      continue
    fi
  fi
  if (( $(date +%s) + minutes * 60 > deadline )); then
    echo "$(stamp) skip $id: ${minutes} min would end after the deadline"
    continue
  fi
  echo "$(stamp) $spec --only $id"
  deno task -q sweep --spec "$spec" --only "$id" || echo "$(stamp) $id: failed (see above)"
done
echo "$(stamp) queue done"
