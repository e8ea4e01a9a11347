package ircconn

import (
	"testing"
	"time"
)

func TestBucketBurstThenInterval(t *testing.T) {
	start := time.Unix(1000, 0)
	b := newBucket(4, 500*time.Millisecond, start)

	for i := range 4 {
		if wait := b.take(start); wait != 0 {
			t.Fatalf("line %d of the burst waits %v, want 0", i+1, wait)
		}
	}
	if wait := b.take(start); wait != 500*time.Millisecond {
		t.Fatalf("fifth line waits %v, want 500ms", wait)
	}
	if wait := b.take(start.Add(200 * time.Millisecond)); wait != 300*time.Millisecond {
		t.Fatalf("after 200ms the fifth line waits %v, want 300ms", wait)
	}
	if wait := b.take(start.Add(500 * time.Millisecond)); wait != 0 {
		t.Fatalf("after 500ms the fifth line waits %v, want 0", wait)
	}
	if wait := b.take(start.Add(500 * time.Millisecond)); wait != 500*time.Millisecond {
		t.Fatalf("sixth line waits %v, want 500ms", wait)
	}
}

func TestBucketRefillCapsAtBurst(t *testing.T) {
	start := time.Unix(1000, 0)
	b := newBucket(2, time.Second, start)
	later := start.Add(time.Hour)
	for i := range 2 {
		if wait := b.take(later); wait != 0 {
			t.Fatalf("line %d after an idle hour waits %v, want 0", i+1, wait)
		}
	}
	if wait := b.take(later); wait == 0 {
		t.Fatal("third line after an idle hour went out at once; the burst must cap the refill")
	}
}

func TestBucketDisabled(t *testing.T) {
	b := newBucket(0, 0, time.Unix(0, 0))
	for range 100 {
		if wait := b.take(time.Unix(0, 0)); wait != 0 {
			t.Fatalf("a bucket without interval waits %v", wait)
		}
	}
}

func TestBucketNeverReturnsZeroWithoutToken(t *testing.T) {
	start := time.Unix(1000, 0)
	b := newBucket(1, 3*time.Nanosecond, start)
	b.take(start)
	// One nanosecond refills a third of a token; the wait must stay
	// positive although it rounds down to zero.
	if wait := b.take(start.Add(time.Nanosecond)); wait <= 0 {
		t.Fatalf("wait = %v with less than one token, want > 0", wait)
	}
}
