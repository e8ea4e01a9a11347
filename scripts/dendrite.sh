#!/usr/bin/env bash
# Builds the Dendrite Matrix homeserver and its tools for actorgate's Matrix
# tests, unless the binaries are already there.
#
# The binaries go to ACTORGATE_BIN_DIR, by default
# ${XDG_CACHE_HOME:-$HOME/.cache}/actorgate/bin, where actors/matrix's tests
# look for them. The build runs in an empty temporary folder with go install
# module@version, so Dendrite's dependencies never enter actorgate's go.mod.
# The first build takes about five minutes on a busy 2-core machine.
#
# Environment:
#   ACTORGATE_BIN_DIR  folder for the dendrite, create-account and
#                      generate-keys binaries
#   DENDRITE_REBUILD=1 build again even when the binaries exist
set -euo pipefail

readonly DENDRITE_VERSION=v0.13.8
readonly DENDRITE_MODULE=github.com/matrix-org/dendrite
readonly DENDRITE_COMMANDS=(dendrite create-account generate-keys)

BIN_DIR=${ACTORGATE_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/actorgate/bin}
readonly BIN_DIR
# Records which Dendrite version the binaries in BIN_DIR were built from.
readonly VERSION_FILE=$BIN_DIR/dendrite.version

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# Print the commands whose binary is missing from BIN_DIR, or all of them
# when the binaries there were built from another Dendrite version.
missing_commands() {
  local built="" cmd
  if [[ -r $VERSION_FILE ]]; then
    built=$(<"$VERSION_FILE")
  fi
  for cmd in "${DENDRITE_COMMANDS[@]}"; do
    if [[ ${DENDRITE_REBUILD:-0} == 1 || $built != "$DENDRITE_VERSION" || ! -x $BIN_DIR/$cmd ]]; then
      printf '%s\n' "$cmd"
    fi
  done
}

main() {
  if (($# > 0)); then
    die "scripts/dendrite.sh takes no arguments (got: $*); set ACTORGATE_BIN_DIR instead"
  fi
  if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
    PATH=/usr/local/go/bin:$PATH
  fi
  command -v go >/dev/null 2>&1 ||
    die "go not found: install Go and put it on PATH (or at /usr/local/go)"

  local missing=()
  mapfile -t missing < <(missing_commands)
  if ((${#missing[@]} == 0)); then
    printf 'already built: Dendrite %s in %s\n' "$DENDRITE_VERSION" "$BIN_DIR"
    return 0
  fi

  command -v gcc >/dev/null 2>&1 ||
    die "gcc not found: Dendrite's SQLite driver needs cgo (apt-get install gcc)"

  local packages=() cmd
  for cmd in "${missing[@]}"; do
    packages+=("$DENDRITE_MODULE/cmd/$cmd@$DENDRITE_VERSION")
  done

  mkdir -p "$BIN_DIR"
  # go install pkg@version ignores the current module. Running it from an
  # empty folder with GOWORK=off also keeps any go.work out of the build.
  local work
  work=$(mktemp -d "${TMPDIR:-/tmp}/actorgate-dendrite.XXXXXX")
  printf 'building Dendrite %s (%s) into %s\n' "$DENDRITE_VERSION" "${missing[*]}" "$BIN_DIR"
  local start=$SECONDS rc=0
  (cd "$work" && GOBIN=$BIN_DIR GOWORK=off CGO_ENABLED=1 \
    go install "${packages[@]}") || rc=$?
  rmdir "$work" 2>/dev/null || true
  if ((rc != 0)); then
    die "building Dendrite $DENDRITE_VERSION failed (exit status $rc): see the go output above"
  fi
  printf '%s\n' "$DENDRITE_VERSION" >"$VERSION_FILE"
  printf 'built Dendrite %s in %ss\n' "$DENDRITE_VERSION" $((SECONDS - start))
}

main "$@"
