package ircconn

import "time"

// bucket is the token bucket of outgoing flood control: up to burst lines
// go out at once, then one line per interval. Servers disconnect clients
// that send faster ("Excess Flood").
type bucket struct {
	burst    float64
	interval time.Duration
	tokens   float64
	last     time.Time
}

func newBucket(burst int, interval time.Duration, now time.Time) *bucket {
	return &bucket{burst: float64(burst), interval: interval, tokens: float64(burst), last: now}
}

// take consumes one token and returns zero when a line may go out at now.
// Otherwise it consumes nothing and returns how long to wait before
// asking again.
func (b *bucket) take(now time.Time) time.Duration {
	if b.interval <= 0 {
		return 0
	}
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(b.burst, b.tokens+float64(elapsed)/float64(b.interval))
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	// A wait that rounds down to zero would read as "go"; wait a
	// nanosecond instead.
	return max(time.Duration((1-b.tokens)*float64(b.interval)), time.Nanosecond)
}
