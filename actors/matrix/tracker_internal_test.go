package matrix

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
)

// fakeSessions keeps cursors in memory and fails writes while failing is
// set.
type fakeSessions struct {
	mu      sync.Mutex
	values  map[string]string
	failing bool
}

func (f *fakeSessions) Receive(ctx actor.Context) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch msg := ctx.Message().(type) {
	case *messages.GetCursor:
		v, ok := f.values[msg.Name]
		ctx.Respond(&messages.GetCursorReply{RequestID: msg.RequestID, Value: v, Found: ok})
	case *messages.SetCursor:
		var err error
		if f.failing {
			err = messages.ErrStoreUnavailable
		} else {
			f.values[msg.Name] = msg.Value
		}
		ctx.Respond(&messages.SetCursorReply{RequestID: msg.RequestID, Err: err})
	}
}

func (f *fakeSessions) setFailing(v bool) {
	f.mu.Lock()
	f.failing = v
	f.mu.Unlock()
}

// stored returns the sync state last written.
func (f *fakeSessions) stored(t *testing.T) syncState {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	var st syncState
	if raw := f.values["@bot:x/"+cursorSync]; raw != "" {
		if err := json.Unmarshal([]byte(raw), &st); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func newTrackerConn(t *testing.T) (*conn, *fakeSessions) {
	t.Helper()
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
	fake := &fakeSessions{values: make(map[string]string)}
	pid := system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return fake }))
	t.Cleanup(func() {
		_ = system.Root.StopFuture(pid).Wait()
		system.Shutdown()
	})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return &conn{
		s:    Settings{Matrix: config.MatrixConfig{UserID: "@bot:x"}},
		root: system.Root, sessions: pid, log: zap.NewNop(), ctx: ctx, cancel: cancel,
	}, fake
}

// openBatches adds batches to t: each is its next token and its events,
// all submitted.
func openBatches(t *tracker, batches map[string][]string, order ...string) {
	for _, next := range order {
		b := &openBatch{next: next, events: batches[next], left: len(batches[next])}
		for _, e := range b.events {
			t.batchOf[e] = b
		}
		t.open = append(t.open, b)
	}
}

func TestTrackerStoresCursorInOrder(t *testing.T) {
	c, fake := newTrackerConn(t)
	tr := newTracker(cursor{nextBatch: "s0", handled: map[string]bool{}})
	openBatches(tr, map[string][]string{"s1": {"$a", "$b"}, "s2": {"$c"}}, "s1", "s2")

	steps := []struct {
		answered string
		next     string
		handled  []string
	}{
		// The later batch finishes first: the cursor stays, $c is noted.
		{"$c", "s0", []string{"$c"}},
		{"$a", "s0", []string{"$a", "$c"}},
		// Both batches done: the cursor moves past both.
		{"$b", "s2", nil},
	}
	for _, step := range steps {
		if perr := c.answered(tr, step.answered); perr != nil {
			t.Fatalf("answered %s: %v", step.answered, perr)
		}
		st := fake.stored(t)
		if st.NextBatch != step.next {
			t.Errorf("after %s next_batch = %q, want %q", step.answered, st.NextBatch, step.next)
		}
		if !slices.Equal(st.Handled, step.handled) {
			t.Errorf("after %s handled = %q, want %q", step.answered, st.Handled, step.handled)
		}
	}
	if len(tr.open) != 0 || len(tr.handled) != 0 || len(tr.batchOf) != 0 {
		t.Errorf("tracker not empty: open %d, handled %v, pending %d",
			len(tr.open), tr.handled, len(tr.batchOf))
	}
}

func TestTrackerKeepsStateWhenStoreFails(t *testing.T) {
	c, fake := newTrackerConn(t)
	tr := newTracker(cursor{nextBatch: "s0", handled: map[string]bool{}})
	openBatches(tr, map[string][]string{"s1": {"$a"}, "s2": {"$b"}}, "s1", "s2")

	fake.setFailing(true)
	perr := c.answered(tr, "$a")
	if perr == nil || perr.Code != CodeSessionsUnavailable || !perr.Retryable {
		t.Fatalf("answered with a failing store = %v, want retryable %s", perr,
			CodeSessionsUnavailable)
	}
	if !errors.Is(perr, messages.ErrStoreUnavailable) {
		t.Errorf("error %v does not wrap the store's error", perr)
	}
	if tr.stored != "s0" || len(tr.open) != 2 {
		t.Errorf("tracker moved on after the failed write: stored %q, %d open", tr.stored,
			len(tr.open))
	}

	fake.setFailing(false)
	if perr := c.answered(tr, "$b"); perr != nil {
		t.Fatalf("answered after the store recovered: %v", perr)
	}
	if st := fake.stored(t); st.NextBatch != "s2" || len(st.Handled) != 0 {
		t.Errorf("stored state = %+v, want next_batch s2 and nothing handled", st)
	}
}
