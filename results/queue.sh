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
# fourth column (files, comma-separated: its teacher's finished-job record, the parts a job
# gathers) does not all exist is passed over for now while each missing one is coming (the job
# that makes it runs: its .running lock names a live process; or it is a job above in the list
# that this worker has not tried) and the deadline allows, and the worker takes the next job of
# the list; when only such jobs are left it waits a minute (QUEUE_POLL_SECONDS) and looks again.
# A dependency neither there nor being made skips the job. A bare HH:MM deadline already past
# today means tomorrow's.
# Landed results rebuild their tables (one worker at a time: results/.rebuild.lock): commit them
# as they land.
set -u
cd "$(dirname "$0")/.."
usage="usage: bash results/queue.sh DEADLINE [LIST] (DEADLINE in date -d syntax, UTC: 08:25, '+150 min')"
[[ $# -ge 1 ]] || { echo "$usage" >&2; exit 2; }
. results/_deadline.sh
read_deadline results/queue.sh "$1" "$usage"
list=${2:-results/queue.txt}
[[ -r "$list" ]] || { echo "results/queue.sh: cannot read the list $list" >&2; exit 2; }
stamp() { date -u +%H:%M; }
echo "$(stamp) worker $$: jobs of $list that end by $(date -u -d "@$deadline" +%FT%H:%MZ)"
declare -A tried=() above=()

# The spec's "out" (where its jobs' records and locks are), read with Deno's own JSON parser.
spec_out() {
  deno eval --quiet 'console.log(JSON.parse(Deno.readTextFileSync(Deno.args[0])).out)' "$1" 2>/dev/null
}

# Whether a sweep lock (OUT/jobs/ID.running: JSON with pid and host) is held by a live process;
# a lock of another host counts as live (its process cannot be seen from here).
lock_alive() {
  [[ -f "$1" ]] || return 1
  local text pid host
  text=$(cat "$1" 2>/dev/null) || return 1
  pid=$(grep -o '"pid": *[0-9]*' <<< "$text" | grep -o '[0-9]*$')
  host=$(grep -o '"host": *"[^"]*"' <<< "$text" | sed 's/.*"\([^"]*\)"$/\1/')
  [[ -n "$host" && "$host" != "$(hostname)" ]] && return 0
  # No pid yet: a lock being written (made first, filled after) is live.
  [[ -z "$pid" ]] && return 0
  kill -0 "$pid" 2>/dev/null
}

while :; do
  picked=""
  waiting=""
  above=()
  while IFS= read -r raw || [[ -n "$raw" ]]; do
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
    # Its dependencies (NEEDS: files, comma-separated) not all there: wait for those being made.
    # A missing one is coming when its job runs (a live lock) or is a job above, not tried yet.
    missing="" making=1
    IFS=, read -r -a deps <<< "${needs:-}"
    for dep in "${deps[@]}"; do
      [[ -f "$dep" ]] && continue
      missing=${missing:-$dep}
      dep_id=$(basename "$dep" .json)
      [[ -n "${above[$dep_id]:-}" ]] || lock_alive "${dep%.json}.running" || making=""
    done
    if [[ -n "$missing" ]]; then
      # Come back to it once they are done, if it still fits.
      if [[ -n "$making" ]] && (( $(date +%s) + minutes * 60 <= deadline )); then
        waiting=${waiting:-$id}
        above[$id]=1
        continue
      fi
      echo "$(stamp) skip $id: $missing is not there (its job not running, or too late)"
      tried[$key]=1
      continue
    fi
    picked=$line
    break
  done < "$list"
  if [[ -z "$picked" ]]; then
    [[ -z "$waiting" ]] && break
    echo "$(stamp) $waiting (and any other job left) waits for the job its dependency comes from"
    sleep "${QUEUE_POLL_SECONDS:-60}"
    continue
  fi
  read -r minutes spec id needs <<< "$picked"
  tried["$spec|$id"]=1
  out=$(spec_out "$spec") || { echo "$(stamp) skip $id: cannot read the spec $spec"; continue; }
  [[ -f "$out/jobs/$id.json" ]] && continue
  if (( $(date +%s) + minutes * 60 > deadline )); then
    echo "$(stamp) skip $id: ${minutes} min would end after the deadline"
    continue
  fi
  echo "$(stamp) $spec --only $id"
  deno task -q sweep --spec "$spec" --only "$id" || echo "$(stamp) $id: failed (see above)"
done
echo "$(stamp) queue done"
