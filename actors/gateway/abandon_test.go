package gateway

import (
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/actorgate/actorgate/messages"
)

// stuckPlatform is a platform whose adapter blocks in its Stopping handler
// until release is closed.
func stuckPlatform(name string, release <-chan struct{}) Platform {
	return Platform{Name: name, NewActor: func(Env) actor.Actor {
		return actor.ReceiveFunc(func(ctx actor.Context) {
			switch ctx.Message().(type) {
			case *actor.Started:
				ctx.Send(ctx.Parent(), &messages.PlatformConnected{Platform: name})
			case *actor.Stopping:
				<-release
			}
		})
	}}
}

// releaseOnCleanup closes release when the test ends. Called after
// startGateway, its cleanup runs before the harness stops the gateway, so
// the stuck handler returns and no goroutine is left behind.
func releaseOnCleanup(t *testing.T, release chan struct{}) {
	t.Helper()
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
}

func TestStuckStopIsAbandoned(t *testing.T) {
	core, logs := observer.New(zapcore.ErrorLevel)
	s := &script{}
	release := make(chan struct{})
	h := startGateway(t, Config{
		Platforms:   []Platform{stuckPlatform("stuck", release), fakePlatform("ok", "a", s)},
		Logger:      zap.New(core),
		StopTimeout: 20 * time.Millisecond,
	})
	releaseOnCleanup(t, release)
	h.waitFor("stuck", "connected", inState(messages.StateConnected))
	h.waitFor("ok", "connected", inState(messages.StateConnected))

	if err := h.command(&messages.PausePlatform{Name: "stuck"}); err != nil {
		t.Fatal(err)
	}
	row := h.waitFor("stuck", "abandoned", func(r messages.PlatformStatus) bool {
		return r.ErrorCode == CodeStopTimeout
	})
	if row.State != messages.StatePaused {
		t.Errorf("state = %q, want paused", row.State)
	}
	entries := logs.FilterMessage("platform did not stop in time; abandoning it").All()
	if len(entries) != 1 {
		t.Fatalf("abandon log lines = %d, want 1", len(entries))
	}
	if got := entries[0].ContextMap()["platform"]; got != "stuck" {
		t.Errorf("abandon log names platform %v, want stuck", got)
	}
	if got := h.status("ok").State; got != messages.StateConnected {
		t.Errorf("the other platform is %q, want connected", got)
	}

	done := make(chan struct{})
	h.system.Root.Send(h.pid, &Shutdown{Done: done})
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("shutdown waited for the abandoned adapter")
	}
	if got := s.closed.Load(); got != 1 {
		t.Errorf("the other adapter closed %d times, want 1", got)
	}
}

func TestStuckStopDuringShutdown(t *testing.T) {
	release := make(chan struct{})
	h := startGateway(t, Config{
		Platforms:   []Platform{stuckPlatform("stuck", release)},
		StopTimeout: 20 * time.Millisecond,
	})
	releaseOnCleanup(t, release)
	h.waitFor("stuck", "connected", inState(messages.StateConnected))

	done := make(chan struct{})
	h.system.Root.Send(h.pid, &Shutdown{Done: done})
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("shutdown waited for the stuck adapter")
	}
	row := h.status("stuck")
	if row.State != messages.StateStopped || row.ErrorCode != CodeStopTimeout {
		t.Errorf("row = %+v, want stopped with %s", row, CodeStopTimeout)
	}
}

func TestStopInTimeIsNotAbandoned(t *testing.T) {
	core, logs := observer.New(zapcore.ErrorLevel)
	s := &script{}
	h := startGateway(t, Config{
		Platforms:   []Platform{fakePlatform("ok", "a", s)},
		Logger:      zap.New(core),
		StopTimeout: 20 * time.Millisecond,
	})
	h.waitFor("ok", "connected", inState(messages.StateConnected))
	if err := h.command(&messages.PausePlatform{Name: "ok"}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("ok", "paused and closed", func(r messages.PlatformStatus) bool {
		return r.State == messages.StatePaused && s.closed.Load() == 1
	})
	// Several stop timeouts later the row carries no abandonment.
	time.Sleep(100 * time.Millisecond)
	if row := h.status("ok"); row.ErrorCode != "" {
		t.Errorf("error code = %q, want none", row.ErrorCode)
	}
	if n := logs.FilterMessage("platform did not stop in time; abandoning it").Len(); n != 0 {
		t.Errorf("abandon log lines = %d, want 0", n)
	}
}
