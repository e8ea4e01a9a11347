#!/usr/bin/env bash
# Runs every native Go fuzz target of the module for DURATION each, one
# target at a time, and prints per target the time fuzzed and the inputs
# executed. Exits non-zero when a target fails; Go then writes the failing
# input to the package's testdata/fuzz/<Target>/ folder, where plain
# `go test` replays it.
#
# Usage: scripts/fuzz.sh DURATION      (a Go duration such as 10s or 5m)
#
# Targets are found with `go test -list` in every package whose test files
# declare a func Fuzz..., so a new target needs no change here.
#
# Environment:
#   FUZZ_PACKAGES   packages to search (default: every package of the module)
#   FUZZ_PARALLEL   fuzzing workers per target (default: GOMAXPROCS)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
cd "$ROOT"

die() {
  printf 'error: %s\n' "$*" >&2
  exit 2
}

if (($# != 1)); then
  die "usage: scripts/fuzz.sh DURATION (a Go duration such as 10s or 5m)"
fi
readonly DURATION=$1
if [[ ! $DURATION =~ ^[0-9]+(ns|us|ms|s|m|h)$ ]]; then
  die "DURATION=$DURATION is not a Go duration; use for example 10s or 5m"
fi

if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
  PATH=/usr/local/go/bin:$PATH
fi
command -v go >/dev/null 2>&1 || die "go not found: install Go and put it on PATH"

# Print the import paths of the packages whose test files declare a fuzz
# target.
fuzz_packages() {
  local patterns=()
  read -r -a patterns <<<"${FUZZ_PACKAGES:-./...}"
  local pkg dir
  while IFS=$'\t' read -r pkg dir; do
    if grep -qs '^func Fuzz' "$dir"/*_test.go; then
      printf '%s\n' "$pkg"
    fi
  done < <(go list -f '{{.ImportPath}}{{"\t"}}{{.Dir}}' "${patterns[@]}")
}

# Print the fuzz targets of one package, as go test -list reports them.
fuzz_targets() {
  go test -list '^Fuzz' "$1" | grep '^Fuzz' || true
}

# deadline_only reports whether a failed fuzz run's only error is the bare
# "context deadline exceeded" that Go 1.26's fuzzing engine can print when
# -fuzztime ends while a worker is still running an input. Such a run wrote
# no failing input and printed no failure of the target itself.
deadline_only() {
  grep -q 'context deadline exceeded' "$1" &&
    ! grep -q -e 'Failing input written to' -e '^panic:' -e '_test\.go:[0-9]*:' "$1"
}

# Results, one entry per target, in the order the targets ran.
RESULT_NAMES=()
RESULT_LINES=()
FAILED=0

# Run one target and record its elapsed time and executions from the last
# progress line go test prints.
run_target() {
  local pkg=$1 target=$2
  local log
  log=$(mktemp "${TMPDIR:-/tmp}/actorgate-fuzz.XXXXXX")
  local parallel=()
  if [[ -n ${FUZZ_PARALLEL:-} ]]; then
    parallel=(-parallel "$FUZZ_PARALLEL")
  fi
  printf '\n==> %s %s for %s\n' "$pkg" "$target" "$DURATION"
  local rc attempt
  for attempt in 1 2 3; do
    rc=0
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$DURATION" "${parallel[@]}" "$pkg" \
      >"$log" 2>&1 || rc=$?
    if ((rc == 0)) || ! deadline_only "$log"; then
      break
    fi
    printf '%s stopped at its deadline without a failing input; running it again\n' "$target"
  done

  local progress elapsed execs result=ok
  progress=$(grep -E '^fuzz: elapsed: ' "$log" | tail -n 1 || true)
  elapsed=$(sed -E -n 's/^fuzz: elapsed: ([^,]+),.*/\1/p' <<<"$progress")
  execs=$(sed -E -n 's/.*execs: ([0-9]+).*/\1/p' <<<"$progress")
  if [[ -z $execs ]]; then
    # The time ran out while the corpus was replayed for baseline coverage.
    execs=$(sed -E -n 's/.*baseline coverage: ([0-9]+)\/.*/\1 (baseline)/p' <<<"$progress")
  fi
  if ((rc != 0)); then
    result=FAILED
    FAILED=1
    cat "$log"
  else
    tail -n 3 "$log"
  fi
  rm -f "$log"
  RESULT_NAMES+=("$pkg $target")
  RESULT_LINES+=("$(printf '%-8s %-10s %16s' "$result" "${elapsed:-?}" "${execs:-?}")")
}

main() {
  local start=$SECONDS pkg target targets=0
  local packages=()
  mapfile -t packages < <(fuzz_packages)
  if ((${#packages[@]} == 0)); then
    die "no package declares a fuzz target"
  fi
  for pkg in "${packages[@]}"; do
    while read -r target; do
      [[ -n $target ]] || continue
      run_target "$pkg" "$target"
      targets=$((targets + 1))
    done < <(fuzz_targets "$pkg")
  done

  printf '\n==> fuzz summary (%d targets, %s each, %ds in all)\n' \
    "$targets" "$DURATION" $((SECONDS - start))
  printf '  %-8s %-10s %16s  %s\n' result elapsed inputs target
  local i
  for i in "${!RESULT_NAMES[@]}"; do
    printf '  %s  %s\n' "${RESULT_LINES[$i]}" "${RESULT_NAMES[$i]}"
  done
  if ((FAILED)); then
    printf 'result: FAILED; the failing inputs are in testdata/fuzz/ of their packages\n'
    return 1
  fi
  printf 'result: ok\n'
}

main
