package gateway

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/goleak"

	"github.com/actorgate/actorgate/actors/lifecycle"
	"github.com/actorgate/actorgate/messages"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// script decides what each start of a fake adapter does.
type script struct {
	mu      sync.Mutex
	outcome func(start int) *messages.PlatformError
	starts  atomic.Int64
	closed  atomic.Int64
}

func (s *script) set(f func(start int) *messages.PlatformError) {
	s.mu.Lock()
	s.outcome = f
	s.mu.Unlock()
}

func (s *script) next() *messages.PlatformError {
	n := int(s.starts.Add(1))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.outcome == nil {
		return nil
	}
	return s.outcome(n)
}

// fakeAdapter connects or fails as its script decides, and counts closes.
type fakeAdapter struct {
	name   string
	script *script
	closer *lifecycle.Closer
}

func (a *fakeAdapter) Receive(ctx actor.Context) {
	switch ctx.Message().(type) {
	case *actor.Started:
		a.closer = lifecycle.NewCloser(func() error { a.script.closed.Add(1); return nil })
		if perr := a.script.next(); perr != nil {
			lifecycle.MustFail(ctx, perr)
			return
		}
		ctx.Send(ctx.Parent(), &messages.PlatformConnected{Platform: a.name})
	case *actor.Restarting, *actor.Stopping, *actor.Stopped:
		_ = a.closer.Close()
	}
}

func fakePlatform(name, fingerprint string, s *script) Platform {
	return Platform{
		Name:        name,
		Fingerprint: fingerprint,
		NewActor:    func(Env) actor.Actor { return &fakeAdapter{name: name, script: s} },
	}
}

func retryable(code string) *messages.PlatformError {
	return &messages.PlatformError{Code: code, Message: "temporary", Retryable: true}
}

func fatal(code string) *messages.PlatformError {
	return &messages.PlatformError{Code: code, Message: "change the setting"}
}

// clock is a settable time source.
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
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type harness struct {
	t      *testing.T
	system *actor.ActorSystem
	pid    *actor.PID
}

func startGateway(t *testing.T, cfg Config) *harness {
	t.Helper()
	if cfg.Backoff.Base == 0 {
		cfg.Backoff = Backoff{Base: time.Millisecond, Cap: 4 * time.Millisecond}
	}
	cfg.Name = "gw"
	system := actor.NewActorSystem(quietLogs())
	pid, err := system.Root.SpawnNamed(Props(cfg), "gw")
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, system: system, pid: pid}
	t.Cleanup(func() {
		done := make(chan struct{})
		system.Root.Send(pid, &Shutdown{Done: done})
		<-done
		_ = system.Root.StopFuture(pid).Wait()
		system.Shutdown()
	})
	return h
}

func (h *harness) status(name string) messages.PlatformStatus {
	h.t.Helper()
	res, err := h.system.Root.RequestFuture(h.pid, &messages.StatusRequest{}, 5*time.Second).Result()
	if err != nil {
		h.t.Fatal(err)
	}
	for _, row := range res.(*messages.StatusReply).Platforms {
		if row.Name == name {
			return row
		}
	}
	return messages.PlatformStatus{}
}

// waitFor polls the status of a platform until ok accepts it.
func (h *harness) waitFor(name string, what string, ok func(messages.PlatformStatus) bool) messages.PlatformStatus {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		row := h.status(name)
		if ok(row) {
			return row
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%s: timed out waiting for %s; last status %+v", name, what, row)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func inState(s messages.PlatformState) func(messages.PlatformStatus) bool {
	return func(row messages.PlatformStatus) bool { return row.State == s }
}

func TestRetryableFailureRestartsUntilConnected(t *testing.T) {
	s := &script{}
	s.set(func(n int) *messages.PlatformError {
		if n <= 5 {
			return retryable("network_down")
		}
		return nil
	})
	h := startGateway(t, Config{Platforms: []Platform{fakePlatform("chat", "a", s)}})
	row := h.waitFor("chat", "connected", inState(messages.StateConnected))
	if got := s.starts.Load(); got != 6 {
		t.Errorf("starts = %d, want 6", got)
	}
	if row.Attempts != 0 {
		t.Errorf("attempts after recovery = %d, want 0", row.Attempts)
	}
	if row.Restarts != 5 {
		t.Errorf("restarts = %d, want 5", row.Restarts)
	}
	if row.ErrorCode != "" {
		t.Errorf("error code after recovery = %q, want empty", row.ErrorCode)
	}
	if got := s.closed.Load(); got != 5 {
		t.Errorf("closes = %d, want one per failed start (5)", got)
	}
}

func TestFatalFailureIsNotRetried(t *testing.T) {
	s := &script{}
	s.set(func(int) *messages.PlatformError { return fatal("api_server_port_in_use") })
	h := startGateway(t, Config{Platforms: []Platform{fakePlatform("api", "a", s)}})
	row := h.waitFor("api", "fatal", inState(messages.StateFatal))
	if row.ErrorCode != "api_server_port_in_use" {
		t.Errorf("error code = %q", row.ErrorCode)
	}
	if !row.NextRetryAt.IsZero() {
		t.Errorf("next retry = %v, want none", row.NextRetryAt)
	}
	// Many backoff periods later the adapter has still been started once.
	time.Sleep(50 * time.Millisecond)
	if got := s.starts.Load(); got != 1 {
		t.Errorf("starts = %d, want 1", got)
	}
	h.waitFor("api", "closed", func(messages.PlatformStatus) bool { return s.closed.Load() == 1 })
}

func TestRejectedPlatformIsNeverSpawned(t *testing.T) {
	s := &script{}
	p := fakePlatform("api", "a", s)
	p.Rejected = fatal("api_server_key_invalid")
	h := startGateway(t, Config{Platforms: []Platform{p}})
	row := h.waitFor("api", "fatal", inState(messages.StateFatal))
	if row.ErrorCode != "api_server_key_invalid" {
		t.Errorf("error code = %q", row.ErrorCode)
	}
	if got := s.starts.Load(); got != 0 {
		t.Errorf("starts = %d, want 0", got)
	}
	err := h.resume("api")
	if err == nil {
		t.Error("resume of a rejected platform succeeded, want an error asking for a reload")
	}
}

func TestPanicCountsAsRetryable(t *testing.T) {
	var starts atomic.Int64
	p := Platform{Name: "odd", NewActor: func(Env) actor.Actor {
		return actor.ReceiveFunc(func(ctx actor.Context) {
			if _, ok := ctx.Message().(*actor.Started); ok {
				if starts.Add(1) <= 2 {
					panic("unexpected state")
				}
				ctx.Send(ctx.Parent(), &messages.PlatformConnected{Platform: "odd"})
			}
		})
	}}
	h := startGateway(t, Config{Platforms: []Platform{p}})
	row := h.waitFor("odd", "connected", inState(messages.StateConnected))
	if row.Restarts != 2 {
		t.Errorf("restarts = %d, want 2", row.Restarts)
	}
}

func TestNeedsAttentionAfterThreshold(t *testing.T) {
	clk := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var healthy atomic.Bool
	s := &script{}
	s.set(func(int) *messages.PlatformError {
		if healthy.Load() {
			return nil
		}
		return retryable("chat_unreachable")
	})
	h := startGateway(t, Config{
		Platforms: []Platform{fakePlatform("irc", "a", s)},
		Attention: 2 * time.Hour,
		Now:       clk.Now,
	})
	row := h.waitFor("irc", "retrying", func(r messages.PlatformStatus) bool { return r.Attempts >= 3 })
	if row.NeedsAttention {
		t.Fatal("needs_attention set before the threshold")
	}
	clk.Advance(2*time.Hour + time.Second)
	row = h.waitFor("irc", "needs attention", func(r messages.PlatformStatus) bool { return r.NeedsAttention })
	if row.State != messages.StateRetrying {
		t.Errorf("state = %s, want retrying", row.State)
	}
	// Retries go on past the threshold, and the platform recovers by itself.
	healthy.Store(true)
	row = h.waitFor("irc", "connected", inState(messages.StateConnected))
	if row.NeedsAttention {
		t.Error("needs_attention still set after recovery")
	}
}

func (h *harness) command(msg any) error {
	res, err := h.system.Root.RequestFuture(h.pid, msg, 5*time.Second).Result()
	if err != nil {
		return err
	}
	return res.(*messages.PlatformCommandReply).Err
}

func (h *harness) resume(name string) error {
	return h.command(&messages.ResumePlatform{Name: name})
}

func TestPauseAndResume(t *testing.T) {
	s := &script{}
	h := startGateway(t, Config{Platforms: []Platform{fakePlatform("hook", "a", s)}})
	h.waitFor("hook", "connected", inState(messages.StateConnected))
	if err := h.command(&messages.PausePlatform{Name: "hook"}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("hook", "paused and closed", func(r messages.PlatformStatus) bool {
		return r.State == messages.StatePaused && s.closed.Load() == 1
	})
	if err := h.resume("hook"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("hook", "connected again", inState(messages.StateConnected))
	if got := s.starts.Load(); got != 2 {
		t.Errorf("starts = %d, want 2", got)
	}
	if err := h.command(&messages.PausePlatform{Name: "nope"}); !errors.Is(err, messages.ErrNotFound) {
		t.Errorf("pause of unknown platform: err = %v, want ErrNotFound", err)
	}
}

func TestFatalPlatformResumes(t *testing.T) {
	s := &script{}
	s.set(func(n int) *messages.PlatformError {
		if n == 1 {
			return fatal("api_server_port_in_use")
		}
		return nil
	})
	h := startGateway(t, Config{Platforms: []Platform{fakePlatform("api", "a", s)}})
	h.waitFor("api", "fatal", inState(messages.StateFatal))
	if err := h.resume("api"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("api", "connected", inState(messages.StateConnected))
}

func TestReloadConverges(t *testing.T) {
	same, changed, removed, added := &script{}, &script{}, &script{}, &script{}
	h := startGateway(t, Config{Platforms: []Platform{
		fakePlatform("same", "1", same),
		fakePlatform("changed", "1", changed),
		fakePlatform("removed", "1", removed),
	}})
	for _, name := range []string{"same", "changed", "removed"} {
		h.waitFor(name, "connected", inState(messages.StateConnected))
	}
	res, err := h.system.Root.RequestFuture(h.pid, &Reload{Platforms: []Platform{
		fakePlatform("same", "1", same),
		fakePlatform("changed", "2", changed),
		fakePlatform("added", "1", added),
	}}, 5*time.Second).Result()
	if err != nil {
		t.Fatal(err)
	}
	reply := res.(*ReloadReply)
	if len(reply.Restarted) != 1 || reply.Restarted[0] != "changed" {
		t.Errorf("restarted = %v, want [changed]", reply.Restarted)
	}
	if len(reply.Started) != 1 || reply.Started[0] != "added" {
		t.Errorf("started = %v, want [added]", reply.Started)
	}
	if len(reply.Stopped) != 1 || reply.Stopped[0] != "removed" {
		t.Errorf("stopped = %v, want [removed]", reply.Stopped)
	}
	h.waitFor("changed", "restarted", func(r messages.PlatformStatus) bool {
		return r.State == messages.StateConnected && changed.starts.Load() == 2
	})
	h.waitFor("added", "connected", inState(messages.StateConnected))
	h.waitFor("removed", "gone", func(r messages.PlatformStatus) bool { return r.Name == "" })
	if got := same.starts.Load(); got != 1 {
		t.Errorf("unchanged platform started %d times, want 1", got)
	}
	if got := removed.closed.Load(); got != 1 {
		t.Errorf("removed platform closed %d times, want 1", got)
	}
}

func TestShutdownStopsEveryPlatform(t *testing.T) {
	a, b := &script{}, &script{}
	b.set(func(int) *messages.PlatformError { return retryable("down") })
	system := actor.NewActorSystem(quietLogs())
	defer system.Shutdown()
	pid, err := system.Root.SpawnNamed(Props(Config{
		Name:      "gw",
		Backoff:   Backoff{Base: time.Hour, Cap: time.Hour},
		Platforms: []Platform{fakePlatform("a", "1", a), fakePlatform("b", "1", b)},
	}), "gw")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for a.starts.Load() == 0 || b.starts.Load() == 0 {
		if ctx.Err() != nil {
			t.Fatal("platforms did not start")
		}
		time.Sleep(time.Millisecond)
	}
	done := make(chan struct{})
	system.Root.Send(pid, &Shutdown{Done: done})
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("shutdown did not finish")
	}
	if a.closed.Load() != 1 || b.closed.Load() != 1 {
		t.Errorf("closes = %d, %d; want 1, 1", a.closed.Load(), b.closed.Load())
	}
	// A second shutdown request gets its reply too.
	again := make(chan struct{})
	system.Root.Send(pid, &Shutdown{Done: again})
	select {
	case <-again:
	case <-ctx.Done():
		t.Fatal("second shutdown was not answered")
	}
	if err := system.Root.StopFuture(pid).Wait(); err != nil {
		t.Fatal(err)
	}
}

func TestBackoffCeilingAndJitter(t *testing.T) {
	b := Backoff{Base: time.Second, Cap: 5 * time.Minute}
	cases := []struct {
		attempt int
		want    time.Duration
	}{
		{0, time.Second},
		{1, time.Second},
		{2, 2 * time.Second},
		{3, 4 * time.Second},
		{9, 256 * time.Second},
		{10, 5 * time.Minute},
		{1000, 5 * time.Minute},
	}
	for _, c := range cases {
		if got := b.Ceiling(c.attempt); got != c.want {
			t.Errorf("Ceiling(%d) = %v, want %v", c.attempt, got, c.want)
		}
	}
	b.Rand = func() float64 { return 0.5 }
	if got := b.Delay(3); got != 2*time.Second {
		t.Errorf("Delay(3) with draw 0.5 = %v, want 2s", got)
	}
	b.Rand = nil
	for i := 0; i < 1000; i++ {
		if d := b.Delay(20); d < 0 || d > 5*time.Minute {
			t.Fatalf("Delay(20) = %v, outside [0, cap]", d)
		}
	}
}
