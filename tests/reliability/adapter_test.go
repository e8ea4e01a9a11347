//go:build reliability

package reliability

import (
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/actorgate/actorgate"
	"github.com/actorgate/actorgate/actors/gateway"
	"github.com/actorgate/actorgate/messages"
)

// poison makes a misbehavingAdapter panic in its handler.
type poison struct{}

// misbehavingAdapter is a custom platform adapter that panics on poison,
// and optionally panics or blocks while it stops.
type misbehavingAdapter struct {
	name        string
	panicOnStop bool
	// block, when set, makes the Stopping handler wait until it is closed.
	block chan struct{}

	starts  atomic.Int64
	stopped atomic.Int64
}

func (a *misbehavingAdapter) platform() gateway.Platform {
	return gateway.Platform{
		Name: a.name, Fingerprint: "1",
		NewActor: func(gateway.Env) actor.Actor { return actor.ReceiveFunc(a.receive) },
	}
}

func (a *misbehavingAdapter) receive(ctx actor.Context) {
	switch ctx.Message().(type) {
	case *actor.Started:
		a.starts.Add(1)
		ctx.Send(ctx.Parent(), &messages.PlatformConnected{Platform: a.name})
	case *poison:
		panic("poisoned message for " + a.name)
	case *actor.Stopping:
		if a.block != nil {
			<-a.block
		}
		if a.panicOnStop {
			panic("panic while stopping " + a.name)
		}
	case *actor.Stopped:
		a.stopped.Add(1)
	}
}

// chatWorks checks that the API server still serves a chat completion.
func chatWorks(t *testing.T, p *gatewayProcess, when string) {
	t.Helper()
	body := map[string]any{
		"model": "actorgate", "messages": []any{map[string]any{"role": "user", "content": "ping"}},
	}
	if r := p.mustDo("POST", chatPath, body); r.status != 200 {
		t.Errorf("chat completion %s: status %d: %s", when, r.status, r.body)
	}
}

// closeWithin closes the gateway with a deadline and returns how long
// Close took and its error.
func closeWithin(g *inProcess, d time.Duration) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	err := g.gw.Close(ctx)
	g.closed = true
	return time.Since(start), err
}

// portClosed reports whether nothing listens on the in-process API port.
func portClosed(g *inProcess) bool {
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(g.baseURL(), "http://"), time.Second)
	if err != nil {
		return true
	}
	_ = c.Close()
	return false
}

func TestMisbehavingAdapters(t *testing.T) {
	sec := newSecrets(t)
	panicky := &misbehavingAdapter{name: "panicky"}
	stopPanics := &misbehavingAdapter{name: "stop_panics", panicOnStop: true}
	g := startInProcess(t, sec, nil,
		actorgate.WithPlatform(panicky.platform()), actorgate.WithPlatform(stopPanics.platform()))
	p := g.process()
	for _, name := range []string{panicky.name, stopPanics.name} {
		g.waitState(name, messages.StateConnected)
	}

	// A panic on a message restarts that adapter alone.
	g.system.Root.Send(g.platformPID(panicky.name), &poison{})
	tally.faultsInjected.Add(1)
	g.waitRow(panicky.name, "restarted and connected", func(r messages.PlatformStatus) bool {
		return r.State == messages.StateConnected && r.Restarts == 1
	})
	if got := panicky.starts.Load(); got != 2 {
		t.Errorf("the panicking adapter started %d times, want 2", got)
	}
	if got := stopPanics.starts.Load(); got != 1 {
		t.Errorf("a bystander adapter started %d times, want 1", got)
	}
	chatWorks(t, p, "after an adapter panicked")

	// A panic while stopping is logged, and the adapter still stops.
	if err := g.gw.Pause(context.Background(), stopPanics.name); err != nil {
		t.Fatal(err)
	}
	tally.faultsInjected.Add(1)
	g.waitState(stopPanics.name, messages.StatePaused)
	waitFor(t, waitLimit, "the adapter that panics while stopping to stop", func() bool {
		return stopPanics.stopped.Load() == 1
	})
	if lines := g.logs.lines(`"level":"error"`, "panic in lifecycle handler", "stop_panics"); len(lines) != 1 {
		t.Errorf("error lines about the panic while stopping: %d, want 1", len(lines))
	}
	if err := g.gw.Resume(context.Background(), stopPanics.name); err != nil {
		t.Fatal(err)
	}
	g.waitState(stopPanics.name, messages.StateConnected)
	chatWorks(t, p, "after an adapter panicked while stopping")

	took, err := closeWithin(g, 10*time.Second)
	if err != nil {
		t.Errorf("Close: %v", err)
	}
	t.Logf("Close took %s", took.Round(time.Millisecond))
	if !portClosed(g) {
		t.Error("the API server still listens after Close")
	}
	// A restart sends the old instance Restarting, so only Close stops it.
	if got := panicky.stopped.Load(); got != 1 {
		t.Errorf("the panicking adapter reached Stopped %d times, want 1", got)
	}
}

func TestStuckAdapterAbandoned(t *testing.T) {
	sec := newSecrets(t)
	stuck := &misbehavingAdapter{name: "stuck", block: make(chan struct{})}
	healthy := &misbehavingAdapter{name: "healthy"}
	g := startInProcess(t, sec, nil,
		actorgate.WithPlatform(stuck.platform()), actorgate.WithPlatform(healthy.platform()))
	releaseAtEnd(t, stuck)
	g.waitState(stuck.name, messages.StateConnected)
	g.waitState(healthy.name, messages.StateConnected)

	if err := g.gw.Pause(context.Background(), stuck.name); err != nil {
		t.Fatal(err)
	}
	tally.faultsInjected.Add(1)
	row := g.waitRow(stuck.name, "abandoned", func(r messages.PlatformStatus) bool {
		return r.ErrorCode == gateway.CodeStopTimeout
	})
	t.Logf("abandoned row: %s: %s", row.State, row.ErrorMessage)
	lines := g.logs.lines(`"level":"error"`, "platform did not stop in time", `"platform":"stuck"`)
	if len(lines) != 1 {
		t.Errorf("error lines about the abandoned adapter: %d, want 1", len(lines))
	}
	if got := g.row(healthy.name).State; got != messages.StateConnected {
		t.Errorf("the healthy adapter is %s, want connected", got)
	}
	chatWorks(t, g.process(), "after an adapter was abandoned")

	took, err := closeWithin(g, 10*time.Second)
	t.Logf("Close took %s and returned %v", took.Round(time.Millisecond), err)
	if err == nil || !strings.Contains(err.Error(), "stuck") {
		t.Errorf("Close returned %v, want an error naming the abandoned adapter", err)
	}
	if !portClosed(g) {
		t.Error("the API server still listens after Close")
	}
	if got := healthy.stopped.Load(); got != 1 {
		t.Errorf("the healthy adapter reached Stopped %d times, want 1", got)
	}
}

func TestStuckAdapterDuringShutdown(t *testing.T) {
	sec := newSecrets(t)
	stuck := &misbehavingAdapter{name: "stuck", block: make(chan struct{})}
	g := startInProcess(t, sec, nil, actorgate.WithPlatform(stuck.platform()))
	releaseAtEnd(t, stuck)
	g.waitState(stuck.name, messages.StateConnected)

	tally.faultsInjected.Add(1)
	deadline := 10 * time.Second
	took, err := closeWithin(g, deadline)
	t.Logf("Close took %s and returned %v", took.Round(time.Millisecond), err)
	if took >= deadline {
		t.Errorf("Close took %s, want less than its deadline %s", took, deadline)
	}
	if err == nil || !strings.Contains(err.Error(), "stuck") {
		t.Errorf("Close returned %v, want an error naming the abandoned adapter", err)
	}
	lines := g.logs.lines(`"level":"error"`, "platform did not stop in time", `"platform":"stuck"`)
	if len(lines) != 1 {
		t.Errorf("error lines about the abandoned adapter: %d, want 1", len(lines))
	}
	if !portClosed(g) {
		t.Error("the API server still listens after Close")
	}
}

// releaseAtEnd unblocks a blocking adapter when the test ends. It is
// registered after startInProcess, so it runs before the gateway's
// cleanup.
func releaseAtEnd(t *testing.T, a *misbehavingAdapter) {
	t.Helper()
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(a.block) }) })
}
