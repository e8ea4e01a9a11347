package stores

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/actorgate/actorgate/messages"
)

// sessClock is a clock that moves only when a test advances it.
type sessClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *sessClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *sessClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func openTestSessions(t *testing.T, opts ...SessionsOption) (*SQLiteSessions, *sessClock) {
	t.Helper()
	clock := &sessClock{now: time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)}
	opts = append([]SessionsOption{WithSessionsClock(clock.Now)}, opts...)
	s, err := OpenSessions(filepath.Join(t.TempDir(), "sessions.db"), nil, opts...)
	if err != nil {
		t.Fatalf("OpenSessions: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, clock
}

func turnPair(user, assistant string) []messages.ChatMessage {
	return []messages.ChatMessage{
		{Role: "user", Content: user},
		{Role: "assistant", Content: assistant},
	}
}

func mustLoad(t *testing.T, s Sessions, key string, p LoadPolicy) SessionHistory {
	t.Helper()
	h, err := s.Load(context.Background(), key, p)
	if err != nil {
		t.Fatalf("Load(%q): %v", key, err)
	}
	return h
}

func TestSessionsLoadCreatesSession(t *testing.T) {
	s, _ := openTestSessions(t)
	h := mustLoad(t, s, "k", LoadPolicy{MaxTurns: 10})
	if !h.Fresh || h.FreshReason != messages.SessionNew {
		t.Errorf("first load: fresh=%v reason=%q, want fresh new", h.Fresh, h.FreshReason)
	}
	if len(h.SessionID) != len(sessionIDPrefix)+32 {
		t.Errorf("session id %q has the wrong length", h.SessionID)
	}
	again := mustLoad(t, s, "k", LoadPolicy{MaxTurns: 10})
	if again.Fresh || again.SessionID != h.SessionID {
		t.Errorf("second load = %+v, want the same session, not fresh", again)
	}
}

func TestSessionsAppendAndBoundedHistory(t *testing.T) {
	s, _ := openTestSessions(t)
	ctx := context.Background()
	h := mustLoad(t, s, "k", LoadPolicy{MaxTurns: 10})
	for _, n := range []string{"1", "2", "3"} {
		if err := s.Append(ctx, "k", h.SessionID, "", turnPair("q"+n, "a"+n)); err != nil {
			t.Fatalf("Append: %v", err)
		}
	}

	all := mustLoad(t, s, "k", LoadPolicy{MaxTurns: 10})
	want := []string{"q1", "a1", "q2", "a2", "q3", "a3"}
	if len(all.Turns) != len(want) {
		t.Fatalf("got %d turns, want %d", len(all.Turns), len(want))
	}
	for i, w := range want {
		if all.Turns[i].Content != w {
			t.Errorf("turn %d = %q, want %q", i, all.Turns[i].Content, w)
		}
	}

	// Three turns end with q3/a3 and would start with a2; the leading
	// assistant turn is dropped.
	bounded := mustLoad(t, s, "k", LoadPolicy{MaxTurns: 3})
	if len(bounded.Turns) != 2 || bounded.Turns[0].Content != "q3" {
		t.Errorf("bounded history = %+v, want [q3 a3]", bounded.Turns)
	}
	none := mustLoad(t, s, "k", LoadPolicy{})
	if len(none.Turns) != 0 {
		t.Errorf("MaxTurns 0 returned %d turns", len(none.Turns))
	}
}

func TestSessionsKeysAreSeparate(t *testing.T) {
	s, _ := openTestSessions(t)
	a := mustLoad(t, s, "a", LoadPolicy{MaxTurns: 10})
	b := mustLoad(t, s, "b", LoadPolicy{MaxTurns: 10})
	if a.SessionID == b.SessionID {
		t.Fatal("two keys share a session id")
	}
	if err := s.Append(context.Background(), "a", a.SessionID, "", turnPair("x", "y")); err != nil {
		t.Fatal(err)
	}
	if got := mustLoad(t, s, "b", LoadPolicy{MaxTurns: 10}); len(got.Turns) != 0 {
		t.Errorf("key b sees %d turns of key a", len(got.Turns))
	}
}

func TestSessionsExpiry(t *testing.T) {
	tests := []struct {
		name   string
		policy func(now time.Time) LoadPolicy
		reason string
	}{
		{"idle", func(now time.Time) LoadPolicy {
			return LoadPolicy{MaxTurns: 10, IdleSince: now.Add(-time.Minute)}
		}, messages.SessionIdle},
		{"daily reset", func(now time.Time) LoadPolicy {
			return LoadPolicy{MaxTurns: 10, ResetAt: now.Add(-time.Minute)}
		}, messages.SessionDailyReset},
		{"kept", func(now time.Time) LoadPolicy {
			return LoadPolicy{MaxTurns: 10, IdleSince: now.Add(-time.Hour), ResetAt: now.Add(-time.Hour)}
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clock := openTestSessions(t)
			h := mustLoad(t, s, "k", LoadPolicy{MaxTurns: 10})
			if err := s.Append(context.Background(), "k", h.SessionID, "", turnPair("q", "a")); err != nil {
				t.Fatal(err)
			}
			clock.Advance(10 * time.Minute)

			got := mustLoad(t, s, "k", tt.policy(clock.Now()))
			if tt.reason == "" {
				if got.Fresh || len(got.Turns) != 2 {
					t.Errorf("load = %+v, want the old session with 2 turns", got)
				}
				return
			}
			if !got.Fresh || got.FreshReason != tt.reason {
				t.Errorf("fresh=%v reason=%q, want fresh %q", got.Fresh, got.FreshReason, tt.reason)
			}
			if got.SessionID == h.SessionID || len(got.Turns) != 0 {
				t.Errorf("expired session kept: %+v", got)
			}
			// The old session's turns were deleted with it.
			var n int
			if err := s.db.QueryRow("SELECT COUNT(*) FROM turns WHERE session_id = ?",
				h.SessionID).Scan(&n); err != nil || n != 0 {
				t.Errorf("old turns left: %d (%v)", n, err)
			}
		})
	}
}

func TestSessionsResetDropsLateAppend(t *testing.T) {
	s, _ := openTestSessions(t)
	ctx := context.Background()
	old := mustLoad(t, s, "k", LoadPolicy{MaxTurns: 10})
	newID, err := s.Reset(ctx, "k")
	if err != nil {
		t.Fatalf("Reset: %v", err)
	}
	if newID == old.SessionID {
		t.Fatal("Reset kept the session id")
	}
	if err := s.Append(ctx, "k", old.SessionID, "", turnPair("late", "late")); err != nil {
		t.Fatalf("Append to the reset session: %v", err)
	}
	h := mustLoad(t, s, "k", LoadPolicy{MaxTurns: 10})
	if h.SessionID != newID || len(h.Turns) != 0 {
		t.Errorf("after reset and late append: %+v, want session %s with no turns", h, newID)
	}
}

func TestSessionsAnswerByMessageID(t *testing.T) {
	s, _ := openTestSessions(t)
	ctx := context.Background()
	h := mustLoad(t, s, "k", LoadPolicy{MaxTurns: 10})
	if err := s.Append(ctx, "k", h.SessionID, "m1", turnPair("q", "stored answer")); err != nil {
		t.Fatal(err)
	}

	again := mustLoad(t, s, "k", LoadPolicy{MaxTurns: 10, MessageID: "m1"})
	other := mustLoad(t, s, "k", LoadPolicy{MaxTurns: 10, MessageID: "m2"})

	if !again.Answered || again.Answer != "stored answer" || again.Delivered {
		t.Errorf("load for an answered message = %+v, want its answer, not delivered", again)
	}
	if err := s.MarkDelivered(ctx, "k", "m1"); err != nil {
		t.Fatal(err)
	}
	if d := mustLoad(t, s, "k", LoadPolicy{MessageID: "m1"}); !d.Delivered {
		t.Errorf("after MarkDelivered: %+v, want delivered", d)
	}
	if other.Answered || other.Answer != "" {
		t.Errorf("load for a new message = %+v, want no answer", other)
	}
}

func TestSessionsTurnsKept(t *testing.T) {
	s, _ := openTestSessions(t, WithTurnsKept(4))
	ctx := context.Background()
	h := mustLoad(t, s, "k", LoadPolicy{MaxTurns: 10})
	for range 5 {
		if err := s.Append(ctx, "k", h.SessionID, "", turnPair("q", "a")); err != nil {
			t.Fatal(err)
		}
	}
	var n, minSeq int
	if err := s.db.QueryRow("SELECT COUNT(*), MIN(seq) FROM turns").Scan(&n, &minSeq); err != nil {
		t.Fatal(err)
	}
	if n != 4 || minSeq != 7 {
		t.Errorf("kept %d turns from seq %d, want 4 from seq 7", n, minSeq)
	}
}

func TestSessionsInvalidArguments(t *testing.T) {
	s, _ := openTestSessions(t)
	ctx := context.Background()
	h := mustLoad(t, s, "k", LoadPolicy{MaxTurns: 1})
	cases := map[string]error{
		"empty key load":   func() error { _, err := s.Load(ctx, "", LoadPolicy{}); return err }(),
		"empty session id": s.Append(ctx, "k", "", "", turnPair("q", "a")),
		"bad role": s.Append(ctx, "k", h.SessionID, "",
			[]messages.ChatMessage{{Role: "tool", Content: "x"}}),
		"empty reset key": func() error { _, err := s.Reset(ctx, ""); return err }(),
		"empty cursor":    s.SetCursor(ctx, "", "offset", "1"),
	}
	for name, err := range cases {
		if !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: err = %v, want ErrInvalidArgument", name, err)
		}
	}
}

func TestSessionsCursor(t *testing.T) {
	s, _ := openTestSessions(t)
	ctx := context.Background()
	if _, found, err := s.Cursor(ctx, "telegram", "offset"); err != nil || found {
		t.Fatalf("Cursor before set: found=%v err=%v", found, err)
	}
	for _, v := range []string{"41", "42"} {
		if err := s.SetCursor(ctx, "telegram", "offset", v); err != nil {
			t.Fatalf("SetCursor: %v", err)
		}
	}
	v, found, err := s.Cursor(ctx, "telegram", "offset")
	if err != nil || !found || v != "42" {
		t.Errorf("Cursor = %q, %v, %v; want 42", v, found, err)
	}
	if _, found, _ := s.Cursor(ctx, "matrix", "offset"); found {
		t.Error("a cursor of telegram is visible to matrix")
	}
}

func TestSessionsSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions.db")
	ctx := context.Background()
	s, err := OpenSessions(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := mustLoad(t, s, "k", LoadPolicy{MaxTurns: 10})
	if err := s.Append(ctx, "k", h.SessionID, "", turnPair("q", "a")); err != nil {
		t.Fatal(err)
	}
	if err := s.SetCursor(ctx, "telegram", "offset", "7"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if _, err := s.Load(ctx, "k", LoadPolicy{}); !errors.Is(err, ErrSessionsClosed) {
		t.Errorf("Load after Close: %v, want ErrSessionsClosed", err)
	}

	s2, err := OpenSessions(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s2.Close() }()
	if got := mustLoad(t, s2, "k", LoadPolicy{MaxTurns: 10}); got.SessionID != h.SessionID ||
		len(got.Turns) != 2 {
		t.Errorf("after reopen: %+v", got)
	}
	if v, _, _ := s2.Cursor(ctx, "telegram", "offset"); v != "7" {
		t.Errorf("cursor after reopen = %q, want 7", v)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("database mode = %v (%v), want 0600", info.Mode().Perm(), err)
	}
}

func TestSessionsReadOnlyDirectoryUnavailable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = os.Chmod(dir, 0o700) }()
	_, err := OpenSessions(filepath.Join(dir, "sessions.db"), nil)
	if !errors.Is(err, messages.ErrStoreUnavailable) {
		t.Errorf("OpenSessions in a read-only folder: %v, want ErrStoreUnavailable", err)
	}
}

func TestSessionsSchemaTooNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions.db")
	s, err := OpenSessions(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	if _, err := OpenSessions(path, nil); !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("OpenSessions on a newer schema: %v, want ErrSchemaTooNew", err)
	}
}
