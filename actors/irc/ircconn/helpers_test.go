package ircconn_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/actorgate/actorgate/actors/irc/ircconn"
	"github.com/actorgate/actorgate/actors/irc/ircdtest"
)

// waitLimit bounds every wait of a failing test; passing tests return as
// soon as the awaited event arrives.
const waitLimit = ircdtest.DefaultWait

// recorder collects a connection's events.
type recorder struct {
	mu      sync.Mutex
	events  []ircconn.Event
	cursor  int
	changed chan struct{}
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

func (r *recorder) handle(ev ircconn.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	close(r.changed)
	r.changed = make(chan struct{})
}

// await returns the first event after the last one await returned that
// matches, or fails the test.
func (r *recorder) await(t *testing.T, match func(ircconn.Event) bool) ircconn.Event {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		for i := r.cursor; i < len(r.events); i++ {
			if match(r.events[i]) {
				r.cursor = i + 1
				ev := r.events[i]
				r.mu.Unlock()
				return ev
			}
		}
		changed := r.changed
		seen := append([]ircconn.Event(nil), r.events...)
		r.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("expected event not reported within %v; events: %s", waitLimit, describe(seen))
		}
	}
}

func describe(events []ircconn.Event) string {
	out := ""
	for _, ev := range events {
		switch e := ev.(type) {
		case *ircconn.Inbound:
			out += "\n  inbound " + e.Nick + " " + e.Channel + " " + e.Text
		case *ircconn.Joined:
			out += "\n  joined " + e.Channel
		case *ircconn.Disconnected:
			out += "\n  disconnected " + e.Err.Error()
		default:
			out += "\n  other"
		}
	}
	return out
}

func awaitInbound(t *testing.T, r *recorder) *ircconn.Inbound {
	t.Helper()
	ev := r.await(t, func(ev ircconn.Event) bool { _, ok := ev.(*ircconn.Inbound); return ok })
	return ev.(*ircconn.Inbound)
}

func awaitJoined(t *testing.T, r *recorder, channel string) {
	t.Helper()
	r.await(t, func(ev ircconn.Event) bool {
		j, ok := ev.(*ircconn.Joined)
		return ok && j.Channel == channel
	})
}

func awaitDisconnected(t *testing.T, r *recorder) error {
	t.Helper()
	ev := r.await(t, func(ev ircconn.Event) bool { _, ok := ev.(*ircconn.Disconnected); return ok })
	return ev.(*ircconn.Disconnected).Err
}

// dialBot connects a bot named "bot" to addr; edit changes the config
// first. The connection is closed when the test ends.
func dialBot(t *testing.T, addr string, edit func(*ircconn.Config)) (*ircconn.Conn, *recorder) {
	t.Helper()
	conn, rec, err := tryDial(t, addr, edit)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	return conn, rec
}

func tryDial(t *testing.T, addr string, edit func(*ircconn.Config)) (*ircconn.Conn, *recorder, error) {
	t.Helper()
	rec := newRecorder()
	cfg := ircconn.Config{Addr: addr, Nick: "bot", Handler: rec.handle}
	if edit != nil {
		edit(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	conn, err := ircconn.Dial(ctx, cfg)
	if err != nil {
		return nil, rec, err
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn, rec, nil
}

// observedLogger returns a debug logger whose entries the test can read.
func observedLogger() (*zap.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(zapcore.DebugLevel)
	return zap.New(core), logs
}

// awaitLogCount polls until the logs hold at least n entries with msg.
func awaitLogCount(t *testing.T, logs *observer.ObservedLogs, msg string, n int) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for logs.FilterMessage(msg).Len() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d %q log entries after %v, want %d", logs.FilterMessage(msg).Len(), waitLimit, msg, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
