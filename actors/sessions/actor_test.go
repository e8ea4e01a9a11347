package sessions

import (
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
	"github.com/actorgate/actorgate/stores"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const requestTimeout = 5 * time.Second

func newSystem(t *testing.T) *actor.ActorSystem {
	t.Helper()
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
	t.Cleanup(system.Shutdown)
	return system
}

// clock is a clock that moves only when a test advances it.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func spawn(t *testing.T, system *actor.ActorSystem, cfg Config) *actor.PID {
	t.Helper()
	pid := system.Root.Spawn(Props(cfg, zap.NewNop()))
	t.Cleanup(func() { _ = system.Root.StopFuture(pid).Wait() })
	return pid
}

func request[T any](t *testing.T, system *actor.ActorSystem, pid *actor.PID, msg any) T {
	t.Helper()
	res, err := system.Root.RequestFuture(pid, msg, requestTimeout).Result()
	if err != nil {
		t.Fatalf("request %T: %v", msg, err)
	}
	reply, ok := res.(T)
	if !ok {
		t.Fatalf("reply to %T is %T", msg, res)
	}
	return reply
}

func testConfig(t *testing.T, c *clock) Config {
	t.Helper()
	return Config{
		Path: filepath.Join(t.TempDir(), "sessions.db"),
		Sessions: config.SessionsConfig{
			IdleTimeout: time.Hour, ResetHour: 4, HistoryLength: 10,
		},
		Location: time.UTC,
		Now:      c.Now,
	}
}

func TestLoadAppendReset(t *testing.T) {
	c := &clock{now: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	system := newSystem(t)
	pid := spawn(t, system, testConfig(t, c))

	load := request[*messages.LoadSessionReply](t, system, pid,
		&messages.LoadSession{RequestID: "l1", Key: "k"})
	if load.Err != nil || !load.Fresh || load.RequestID != "l1" {
		t.Fatalf("first load = %+v", load)
	}
	app := request[*messages.AppendTurnsReply](t, system, pid, &messages.AppendTurns{
		RequestID: "a1", Key: "k", SessionID: load.SessionID,
		Turns: []messages.ChatMessage{{Role: "user", Content: "hi"}, {Role: "assistant", Content: "yo"}},
	})
	if app.Err != nil || app.RequestID != "a1" {
		t.Fatalf("append = %+v", app)
	}
	again := request[*messages.LoadSessionReply](t, system, pid, &messages.LoadSession{Key: "k"})
	if again.Fresh || len(again.History) != 2 {
		t.Fatalf("second load = %+v, want 2 turns", again)
	}

	reset := request[*messages.ResetSessionReply](t, system, pid,
		&messages.ResetSession{RequestID: "r1", Key: "k"})
	if reset.Err != nil || reset.SessionID == load.SessionID {
		t.Fatalf("reset = %+v", reset)
	}
	after := request[*messages.LoadSessionReply](t, system, pid, &messages.LoadSession{Key: "k"})
	if after.SessionID != reset.SessionID || len(after.History) != 0 {
		t.Errorf("load after reset = %+v", after)
	}
}

func TestExpiryOnLoad(t *testing.T) {
	tests := []struct {
		name    string
		start   time.Time
		advance time.Duration
		reason  string
	}{
		{"idle", time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC), 61 * time.Minute, messages.SessionIdle},
		{
			"reset hour", time.Date(2026, 5, 1, 3, 40, 0, 0, time.UTC), 30 * time.Minute,
			messages.SessionDailyReset,
		},
		{"fresh enough", time.Date(2026, 5, 1, 4, 10, 0, 0, time.UTC), 30 * time.Minute, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &clock{now: tt.start}
			system := newSystem(t)
			pid := spawn(t, system, testConfig(t, c))
			first := request[*messages.LoadSessionReply](t, system, pid, &messages.LoadSession{Key: "k"})
			request[*messages.AppendTurnsReply](t, system, pid, &messages.AppendTurns{
				Key: "k", SessionID: first.SessionID,
				Turns: []messages.ChatMessage{{Role: "user", Content: "q"}},
			})
			c.Advance(tt.advance)

			got := request[*messages.LoadSessionReply](t, system, pid, &messages.LoadSession{Key: "k"})
			if got.FreshReason != tt.reason {
				t.Errorf("fresh reason = %q, want %q", got.FreshReason, tt.reason)
			}
			if kept := got.SessionID == first.SessionID; kept != (tt.reason == "") {
				t.Errorf("session kept = %v, want %v", kept, tt.reason == "")
			}
		})
	}
}

func TestLastReset(t *testing.T) {
	loc := time.FixedZone("UTC+2", 2*3600)
	tests := []struct {
		now  time.Time
		hour int
		want time.Time
	}{
		{time.Date(2026, 5, 1, 12, 0, 0, 0, loc), 4, time.Date(2026, 5, 1, 4, 0, 0, 0, loc)},
		{time.Date(2026, 5, 1, 3, 59, 0, 0, loc), 4, time.Date(2026, 4, 30, 4, 0, 0, 0, loc)},
		{time.Date(2026, 5, 1, 4, 0, 0, 0, loc), 4, time.Date(2026, 5, 1, 4, 0, 0, 0, loc)},
		{time.Date(2026, 1, 1, 0, 30, 0, 0, loc), 23, time.Date(2025, 12, 31, 23, 0, 0, 0, loc)},
	}
	for _, tt := range tests {
		if got := LastReset(tt.now, tt.hour); !got.Equal(tt.want) {
			t.Errorf("LastReset(%v, %d) = %v, want %v", tt.now, tt.hour, got, tt.want)
		}
	}
}

func TestCursorRoundTrip(t *testing.T) {
	c := &clock{now: time.Now()}
	system := newSystem(t)
	pid := spawn(t, system, testConfig(t, c))
	get := request[*messages.GetCursorReply](t, system, pid,
		&messages.GetCursor{Platform: "telegram", Name: "offset"})
	if get.Err != nil || get.Found {
		t.Fatalf("cursor before set = %+v", get)
	}
	set := request[*messages.SetCursorReply](t, system, pid,
		&messages.SetCursor{RequestID: "s", Platform: "telegram", Name: "offset", Value: "9"})
	if set.Err != nil || set.RequestID != "s" {
		t.Fatalf("set = %+v", set)
	}
	get = request[*messages.GetCursorReply](t, system, pid,
		&messages.GetCursor{Platform: "telegram", Name: "offset"})
	if !get.Found || get.Value != "9" {
		t.Errorf("cursor = %+v, want 9", get)
	}
}

var errInjected = errors.New("disk on fire")

func TestOpenFailureRecovers(t *testing.T) {
	c := &clock{now: time.Now()}
	var failing atomic.Bool
	failing.Store(true)
	var opens atomic.Int64
	cfg := testConfig(t, c)
	cfg.RetryOpen = 10 * time.Millisecond
	cfg.Open = func(path string, log *zap.Logger) (stores.Sessions, error) {
		opens.Add(1)
		if failing.Load() {
			return nil, errInjected
		}
		return stores.OpenSessions(path, log)
	}
	system := newSystem(t)
	pid := spawn(t, system, cfg)

	reply := request[*messages.LoadSessionReply](t, system, pid, &messages.LoadSession{Key: "k"})
	if !errors.Is(reply.Err, messages.ErrStoreUnavailable) || !errors.Is(reply.Err, errInjected) {
		t.Fatalf("err = %v, want ErrStoreUnavailable naming the cause", reply.Err)
	}
	failing.Store(false)
	deadline := time.Now().Add(requestTimeout)
	for {
		r := request[*messages.LoadSessionReply](t, system, pid, &messages.LoadSession{Key: "k"})
		if r.Err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("store did not recover: %v", r.Err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if opens.Load() < 2 {
		t.Errorf("opens = %d, want a retry", opens.Load())
	}
}

func TestInvalidConfigAnswersUnavailable(t *testing.T) {
	c := &clock{now: time.Now()}
	cfg := testConfig(t, c)
	cfg.Sessions.ResetHour = 24
	system := newSystem(t)
	pid := spawn(t, system, cfg)
	reply := request[*messages.AppendTurnsReply](t, system, pid,
		&messages.AppendTurns{Key: "k", SessionID: "s"})
	if !errors.Is(reply.Err, messages.ErrStoreUnavailable) || !errors.Is(reply.Err, ErrInvalidConfig) {
		t.Errorf("err = %v, want ErrStoreUnavailable and ErrInvalidConfig", reply.Err)
	}
}

// countingStore counts Close calls.
type countingStore struct {
	stores.Sessions
	closes atomic.Int64
}

func (s *countingStore) Close() error {
	s.closes.Add(1)
	return s.Sessions.Close()
}

// lifecycleContext is an actor.Context that carries only a message.
type lifecycleContext struct {
	actor.Context
	msg any
}

func (c *lifecycleContext) Message() any { return c.msg }

func TestCloseIdempotent(t *testing.T) {
	inner, err := stores.OpenSessions(filepath.Join(t.TempDir(), "s.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	store := &countingStore{Sessions: inner}
	a := newActor(Config{Path: "x"}, zap.NewNop())
	a.store = store
	for _, msg := range []any{&actor.Restarting{}, &actor.Stopping{}, &actor.Stopped{}} {
		a.Receive(&lifecycleContext{msg: msg})
	}
	if n := store.closes.Load(); n != 1 {
		t.Errorf("Close called %d times, want 1", n)
	}
}
