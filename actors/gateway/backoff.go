package gateway

import (
	"math/rand/v2"
	"time"
)

// Backoff computes restart delays: exponential growth from Base, capped at
// Cap, with full jitter (a uniform draw between zero and the capped value),
// so that many failing platforms do not restart in lockstep.
type Backoff struct {
	Base time.Duration
	Cap  time.Duration
	// Rand returns a value in [0, 1); nil uses math/rand/v2.
	Rand func() float64
}

// Ceiling returns the capped, unjittered delay before restart attempt n
// (n starts at 1).
func (b Backoff) Ceiling(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	d := b.Base
	for i := 1; i < n && d < b.Cap; i++ {
		d *= 2
	}
	if d > b.Cap || d <= 0 {
		d = b.Cap
	}
	return d
}

// Delay returns the jittered delay before restart attempt n.
func (b Backoff) Delay(n int) time.Duration {
	r := b.Rand
	if r == nil {
		r = rand.Float64
	}
	return time.Duration(r() * float64(b.Ceiling(n)))
}
