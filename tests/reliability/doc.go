//go:build reliability

// Package reliability is actorgate's reliability suite. It proves, against
// the real binary and an in-process gateway, that actorgate keeps serving,
// loses no response it acknowledged and leaks nothing under the faults a
// long-running gateway meets. The faults are a SIGKILL during writes, a
// read-only or full disk, a slow or broken upstream, adapters that panic
// or hang, a thousand streaming clients, and a long run of failures and
// reloads.
//
// The suite is behind the reliability build tag, so `go test ./...` skips
// it:
//
//	ACTORGATE_RELIABILITY=short go test -tags reliability -race -count=1 \
//		-timeout 20m ./tests/reliability/
//
// ACTORGATE_RELIABILITY selects the mode: short (5 crash trials, a 20 s
// soak) for CI, or long (50 crash trials, the soak only when
// ACTORGATE_SOAK is set), which is also the default. ACTORGATE_SOAK=30m
// sets the soak's duration in either mode. docs/reliability.md lists what
// each test proves.
package reliability
