// Package gctarget sets the garbage collector's target of the gateway's
// binaries.
package gctarget

import "runtime/debug"

// Percent is the garbage collector's target that the binaries set when
// GOGC is not set. The gateway's live heap is a few megabytes, so Go's
// default of 100 collects many times a second under load. At 300 the heap
// may grow to four times the live heap between collections, a few
// megabytes more, for less collector CPU per request.
const Percent = 300

// Set sets the target to Percent unless getenv("GOGC") returns a value,
// which the Go runtime has applied already.
func Set(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(Percent)
	}
}
