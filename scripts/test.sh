#!/usr/bin/env bash
# Installs what actorgate's tests need, then runs go vet, golangci-lint and
# the race-enabled test suite, and prints a summary. Exits non-zero when any
# step fails.
#
# Expects a Debian machine with Go (on PATH or at /usr/local/go), gcc, and
# Node.js 20 or newer with npm. Installs the rest: the Debian packages the
# tests start (ngircd), the Node packages in tests/node, and golangci-lint.
#
# Environment:
#   SKIP_LINT=1            skip golangci-lint, and its install
#   GO_PACKAGES            packages to vet, lint and test (default ./...)
#   GO_TEST_FLAGS          extra go test flags, split on spaces (e.g. "-run TestAPI")
#   GO_TEST_TIMEOUT        go test -timeout value (default 30m)
#   GO_TEST_VERBOSE=1      print the output of passing tests too
#   ACTORGATE_TEST_LONG=1  passed through to the tests, which then run their
#                          long mode; also runs the reliability suite in its
#                          long mode and fuzzes each target for 2m, not 10s
#   SKIP_RELIABILITY=1     skip the reliability suite and the fuzz pass
#   RELIABILITY_TIMEOUT    go test -timeout of the reliability suite (default
#                          20m); raise it when ACTORGATE_SOAK sets a long soak
#
# Sets ACTORGATE_NODE_TESTS=1 for the tests: Node.js and tests/node's packages
# are installed, so tests that drive the Node client fail instead of skipping
# when something is missing.
set -euo pipefail

# Keep in step with GOLANGCI_LINT_VERSION in Taskfile.yml.
readonly GOLANGCI_LINT_VERSION=2.15.0
readonly GOLANGCI_LINT_MODULE=github.com/golangci/golangci-lint/v2/cmd/golangci-lint
readonly APT_PACKAGES=(ngircd)
readonly MIN_NODE_MAJOR=20

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
cd "$ROOT"

SKIP_LINT=${SKIP_LINT:-0}
SKIP_RELIABILITY=${SKIP_RELIABILITY:-0}
GO_PACKAGES=${GO_PACKAGES:-./...}
GO_TEST_FLAGS=${GO_TEST_FLAGS:-}
GO_TEST_TIMEOUT=${GO_TEST_TIMEOUT:-30m}

# Step names, results and durations, in the order the steps ran.
STEP_NAMES=()
STEP_RESULTS=()
STEP_SECONDS=()
FAILED=0

# Raw logs of this run. main removes them after a clean run, and the trap
# removes the folder when a run stops before anything was written to it.
LOG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/actorgate-test.XXXXXX")
readonly LOG_DIR
trap 'rmdir "$LOG_DIR" 2>/dev/null || true' EXIT

say() {
  printf '\n==> %s\n' "$*"
}

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

record() {
  STEP_NAMES+=("$1")
  STEP_RESULTS+=("$2")
  STEP_SECONDS+=("$3")
}

# Run one step: print its name, run the command, record ok or FAILED with the
# time it took. A failed step does not stop the later ones.
#
# The command runs in a subshell with errexit on. Calling it from an if or
# with || would switch errexit off inside it, and a failing command in the
# middle of a step function would then go unnoticed.
run_step() {
  local name=$1
  shift
  say "$name"
  local start=$SECONDS rc
  set +e
  (set -e && "$@")
  rc=$?
  set -e
  if ((rc == 0)); then
    record "$name" ok $((SECONDS - start))
  else
    record "$name" FAILED $((SECONDS - start))
    FAILED=1
  fi
}

# Run one install step the same way. An install that fails stops the script,
# because the checks after it would fail for the wrong reason.
install_step() {
  local name=$1
  shift
  say "$name"
  local start=$SECONDS rc
  set +e
  (set -e && "$@")
  rc=$?
  set -e
  if ((rc != 0)); then
    die "$name failed (exit status $rc): fix the error above and run scripts/test.sh again"
  fi
  record "$name" ok $((SECONDS - start))
}

require_tools() {
  if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
    PATH=/usr/local/go/bin:$PATH
  fi
  command -v go >/dev/null 2>&1 ||
    die "go not found: install Go and put it on PATH (or at /usr/local/go)"
  command -v gcc >/dev/null 2>&1 ||
    die "gcc not found: the race detector and SQLite need cgo (apt-get install gcc)"
  command -v node >/dev/null 2>&1 ||
    die "node not found: install Node.js ${MIN_NODE_MAJOR} or newer"
  command -v npm >/dev/null 2>&1 ||
    die "npm not found: install npm for Node.js ${MIN_NODE_MAJOR} or newer"

  local node_major
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  if ((node_major < MIN_NODE_MAJOR)); then
    die "node $(node --version) is too old: tests/node needs Node.js ${MIN_NODE_MAJOR} or newer"
  fi

  export CGO_ENABLED=1
  printf 'go:   %s\n' "$(go version)"
  printf 'node: %s, npm %s\n' "$(node --version)" "$(npm --version)"
}

# Print the Debian packages from APT_PACKAGES that are not installed.
missing_apt_packages() {
  local pkg status
  for pkg in "${APT_PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [[ $status != "install ok installed" ]]; then
      printf '%s\n' "$pkg"
    fi
  done
}

install_apt_packages() {
  local missing=()
  mapfile -t missing < <(missing_apt_packages)
  if ((${#missing[@]} == 0)); then
    printf 'already installed: %s\n' "${APT_PACKAGES[*]}"
    return 0
  fi

  local sudo=()
  if ((EUID != 0)); then
    if ! command -v sudo >/dev/null 2>&1; then
      printf 'missing Debian packages: %s\n' "${missing[*]}" >&2
      printf 'install them as root: apt-get install -y %s\n' "${missing[*]}" >&2
      return 1
    fi
    sudo=(sudo)
  fi

  printf 'installing: %s\n' "${missing[*]}"
  "${sudo[@]}" apt-get -q update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get -q install -y --no-install-recommends "${missing[@]}"
}

install_node_packages() {
  (cd tests/node && npm ci --no-audit --no-fund)
}

# Print the folder that go install writes binaries to.
go_bin_dir() {
  local gobin gopath
  gobin=$(go env GOBIN)
  if [[ -n $gobin ]]; then
    printf '%s\n' "$gobin"
    return
  fi
  gopath=$(go env GOPATH)
  printf '%s/bin\n' "${gopath%%:*}"
}

install_golangci_lint() {
  local installed=""
  if [[ -x $GOLANGCI_LINT ]]; then
    installed=$("$GOLANGCI_LINT" version --short 2>/dev/null || true)
  fi
  if [[ $installed == "$GOLANGCI_LINT_VERSION" ]]; then
    printf 'already installed: %s %s\n' "$GOLANGCI_LINT" "$installed"
    return 0
  fi

  printf 'installing golangci-lint v%s into %s\n' \
    "$GOLANGCI_LINT_VERSION" "$(dirname "$GOLANGCI_LINT")"
  GOBIN=$(dirname "$GOLANGCI_LINT") \
    go install "${GOLANGCI_LINT_MODULE}@v${GOLANGCI_LINT_VERSION}"
  "$GOLANGCI_LINT" version
}

# Print GO_PACKAGES one package pattern a line.
package_patterns() {
  local patterns=()
  read -r -a patterns <<<"$GO_PACKAGES"
  if ((${#patterns[@]} == 0)); then
    patterns=(./...)
  fi
  printf '%s\n' "${patterns[@]}"
}

go_vet() {
  local packages=()
  mapfile -t packages < <(package_patterns)
  go vet "${packages[@]}"
}

golangci_lint() {
  local packages=()
  mapfile -t packages < <(package_patterns)
  "$GOLANGCI_LINT" run "${packages[@]}"
}

go_test() {
  local flags=() packages=()
  read -r -a flags <<<"$GO_TEST_FLAGS"
  mapfile -t packages < <(package_patterns)
  local json=$LOG_DIR/go-test.json
  printf 'raw test events (kept when a step fails): %s\n' "$json"

  go test -race -count=1 -timeout "$GO_TEST_TIMEOUT" -json "${flags[@]}" "${packages[@]}" |
    tee "$json" |
    node scripts/gotest-report.mjs "$LOG_DIR/test-counts.txt"
}

# Run the build-tagged reliability suite (tests/reliability): its short
# mode, or its long mode with ACTORGATE_TEST_LONG=1.
reliability_suite() {
  local mode=short
  if [[ ${ACTORGATE_TEST_LONG:-0} == 1 ]]; then
    mode=long
  fi
  ACTORGATE_RELIABILITY=$mode go test -tags reliability -race -count=1 \
    -timeout "${RELIABILITY_TIMEOUT:-20m}" ./tests/reliability/
}

# Fuzz every native fuzz target for a short while.
fuzz_pass() {
  local duration=10s
  if [[ ${ACTORGATE_TEST_LONG:-0} == 1 ]]; then
    duration=2m
  fi
  bash scripts/fuzz.sh "$duration"
}

print_summary() {
  say "summary"
  local i
  for i in "${!STEP_NAMES[@]}"; do
    printf '  %-28s %-7s %5ss\n' "${STEP_NAMES[$i]}" "${STEP_RESULTS[$i]}" "${STEP_SECONDS[$i]}"
  done
  if ((FAILED)); then
    printf 'result: FAILED (logs in %s)\n' "$LOG_DIR"
  else
    printf 'result: ok\n'
  fi
  # The test counts come last, so that they close the output.
  if [[ -s $LOG_DIR/test-counts.txt ]]; then
    cat "$LOG_DIR/test-counts.txt"
  fi
}

main() {
  if (($# > 0)); then
    die "scripts/test.sh takes no arguments (got: $*). Set GO_PACKAGES or GO_TEST_FLAGS instead."
  fi

  say "tools"
  require_tools
  GOLANGCI_LINT=$(go_bin_dir)/golangci-lint
  local lint=on
  if [[ $SKIP_LINT == 1 ]]; then
    lint=skipped
  fi
  printf 'packages: %s, long mode: %s, lint: %s\n' \
    "$GO_PACKAGES" "${ACTORGATE_TEST_LONG:-0}" "$lint"

  install_step "install Debian packages" install_apt_packages
  install_step "install Node packages" install_node_packages
  export ACTORGATE_NODE_TESTS=1
  export ACTORGATE_IRC_TESTS=1
  install_step "build Dendrite" scripts/dendrite.sh && export ACTORGATE_MATRIX_TESTS=1
  if [[ $SKIP_LINT != 1 ]]; then
    install_step "install golangci-lint" install_golangci_lint
  fi

  run_step "go vet" go_vet
  if [[ $SKIP_LINT != 1 ]]; then
    run_step "golangci-lint" golangci_lint
  fi
  run_step "go test -race" go_test
  if [[ $SKIP_RELIABILITY != 1 ]]; then
    run_step "reliability suite" reliability_suite
    run_step "fuzz" fuzz_pass
  fi

  print_summary
  if ((FAILED == 0)); then
    rm -rf "$LOG_DIR"
  fi
  return "$FAILED"
}

main "$@"
