package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/actorgate/actorgate/messages"
)

func newSystem(t *testing.T) *actor.ActorSystem {
	t.Helper()
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
	t.Cleanup(system.Shutdown)
	return system
}

// spawnAgent spawns an agent on backend and stops it at cleanup. A test
// creates its requester first, so that the requester is still alive when
// the stopping agent sends the replies of cancelled runs.
func spawnAgent(
	t *testing.T, system *actor.ActorSystem, backend Backend, logger *zap.Logger,
) *actor.PID {
	t.Helper()
	pid := system.Root.Spawn(Props(func() (Backend, error) { return backend, nil }, logger))
	t.Cleanup(func() { stopActor(t, system, pid) })
	return pid
}

func stopActor(t *testing.T, system *actor.ActorSystem, pid *actor.PID) {
	t.Helper()
	if err := system.Root.StopFuture(pid).Wait(); err != nil {
		t.Errorf("stopping %s: %v", pid, err)
	}
}

// flushMarker is sent to a collector after everything else it may receive.
type flushMarker struct{}

// collector is a requester that records every message sent to it.
type collector struct {
	pid *actor.PID
	ch  chan any
}

func newCollector(t *testing.T, system *actor.ActorSystem) *collector {
	t.Helper()
	c := &collector{ch: make(chan any, 1024)}
	c.pid = system.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		switch m := ctx.Message().(type) {
		case *messages.AgentDelta, *messages.AgentReply, flushMarker:
			c.ch <- m
		}
	}))
	t.Cleanup(func() { stopActor(t, system, c.pid) })
	return c
}

// flush returns the messages that reached the collector before a marker
// sent now, which the mailbox delivers after every earlier message.
func (c *collector) flush(t *testing.T, system *actor.ActorSystem) []any {
	t.Helper()
	system.Root.Send(c.pid, flushMarker{})
	var got []any
	for {
		m := receive(t, c.ch, "the flush marker")
		if _, ok := m.(flushMarker); ok {
			return got
		}
		got = append(got, m)
	}
}

// blockingBackend runs until its context is done.
type blockingBackend struct {
	started chan string
	closes  atomic.Int32
	mu      sync.Mutex
	runs    int
}

func newBlockingBackend() *blockingBackend {
	return &blockingBackend{started: make(chan string, 64)}
}

func (b *blockingBackend) Name() string { return "blocking" }

func (b *blockingBackend) Close() error {
	b.closes.Add(1)
	return nil
}

func (b *blockingBackend) Run(
	ctx context.Context, req *messages.AgentRequest, emit func(messages.AgentDelta),
) messages.AgentReply {
	b.mu.Lock()
	b.runs++
	b.mu.Unlock()
	if emit != nil {
		emit(messages.AgentDelta{Text: "working "})
	}
	b.started <- req.RequestID
	<-ctx.Done()
	reply := messages.AgentReply{RequestID: req.RequestID, Text: "working "}
	failContext(&reply, ctx)
	return reply
}

func (b *blockingBackend) runCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.runs
}

func TestAgentRequestReply(t *testing.T) {
	system := newSystem(t)
	pid := spawnAgent(t, system, NewEcho(), nil)
	req := userRequest("hello agent", false)
	req.Deadline = time.Now().Add(time.Minute)

	res, err := system.Root.RequestFuture(pid, req, waitLimit).Result()
	if err != nil {
		t.Fatalf("request failed: %v", err)
	}
	reply, ok := res.(*messages.AgentReply)
	if !ok {
		t.Fatalf("reply is %T, want *messages.AgentReply", res)
	}
	if reply.Err != nil {
		t.Fatalf("run failed: %v", reply.Err)
	}
	if reply.Text != "turn 1: hello agent" || reply.RequestID != "req-1" {
		t.Errorf("reply = %q for %q, want turn 1: hello agent for req-1", reply.Text, reply.RequestID)
	}
}

func TestAgentStreamsToSender(t *testing.T) {
	system := newSystem(t)
	requester := newCollector(t, system)
	pid := spawnAgent(t, system, NewEcho(), nil)

	system.Root.RequestWithCustomSender(pid, userRequest("one two three", true), requester.pid)

	var text string
	var reply *messages.AgentReply
	for reply == nil {
		switch m := receive(t, requester.ch, "a streamed message").(type) {
		case *messages.AgentDelta:
			if m.RequestID != "req-1" {
				t.Errorf("delta request id = %q, want req-1", m.RequestID)
			}
			text += m.Text
		case *messages.AgentReply:
			reply = m
		}
	}
	if reply.Err != nil {
		t.Fatalf("run failed: %v", reply.Err)
	}
	if text != "turn 1: one two three" {
		t.Errorf("deltas joined = %q, want the whole answer in order", text)
	}
	if reply.Text != text {
		t.Errorf("reply text = %q, want the joined deltas %q", reply.Text, text)
	}
}

func TestAgentCancel(t *testing.T) {
	system := newSystem(t)
	backend := newBlockingBackend()
	requester := newCollector(t, system)
	pid := spawnAgent(t, system, backend, nil)

	system.Root.RequestWithCustomSender(pid, userRequest("wait", false), requester.pid)
	receive(t, backend.started, "the run to start")
	system.Root.Send(pid, &messages.CancelAgentRequest{RequestID: "req-1"})

	m := receive(t, requester.ch, "the reply of the cancelled run")
	reply, ok := m.(*messages.AgentReply)
	if !ok {
		t.Fatalf("got %T, want *messages.AgentReply", m)
	}
	requireError(t, *reply, CodeCancelled)
	if reply.Text != "working " {
		t.Errorf("text = %q, want the text produced before the cancel", reply.Text)
	}
}

func TestAgentCancelUnknownRequest(t *testing.T) {
	system := newSystem(t)
	pid := spawnAgent(t, system, NewEcho(), nil)

	system.Root.Send(pid, &messages.CancelAgentRequest{RequestID: "nobody"})
	res, err := system.Root.RequestFuture(pid, userRequest("still here", false), waitLimit).Result()
	if err != nil {
		t.Fatalf("request after a stray cancel failed: %v", err)
	}
	if reply := res.(*messages.AgentReply); reply.Err != nil {
		t.Errorf("run failed: %v", reply.Err)
	}
}

func TestAgentDropsExpiredRequest(t *testing.T) {
	system := newSystem(t)
	backend := newBlockingBackend()
	pid := system.Root.Spawn(Props(func() (Backend, error) { return backend, nil }, nil))
	requester := newCollector(t, system)
	expiredReq := userRequest("too late", false)
	expiredReq.RequestID = "late"
	expiredReq.Deadline = time.Now().Add(-time.Second)
	liveReq := userRequest("in time", false)
	liveReq.RequestID = "live"

	system.Root.RequestWithCustomSender(pid, expiredReq, requester.pid)
	system.Root.RequestWithCustomSender(pid, liveReq, requester.pid)
	if id := receive(t, backend.started, "the live run"); id != "live" {
		t.Fatalf("first run started = %q, want live", id)
	}
	// Stopping cancels the live run and waits for every run's goroutine.
	stopActor(t, system, pid)

	got := requester.flush(t, system)
	if backend.runCount() != 1 {
		t.Errorf("backend ran %d times, want only the live request", backend.runCount())
	}
	if len(got) != 1 {
		t.Fatalf("requester got %d messages, want only the live run's reply: %+v", len(got), got)
	}
	if reply := got[0].(*messages.AgentReply); reply.RequestID != "live" {
		t.Errorf("reply is for %q, want live", reply.RequestID)
	}
}

func TestAgentDropsReplyAfterDeadline(t *testing.T) {
	system := newSystem(t)
	backend := newBlockingBackend()
	pid := system.Root.Spawn(Props(func() (Backend, error) { return backend, nil }, nil))
	requester := newCollector(t, system)
	req := userRequest("short deadline", true)
	req.Deadline = time.Now().Add(200 * time.Millisecond)

	system.Root.RequestWithCustomSender(pid, req, requester.pid)
	receive(t, backend.started, "the run to start")
	waitFor(t, "the deadline to pass", func() bool { return time.Now().After(req.Deadline) })
	// Stopping waits for the run's goroutine, which ends at the deadline
	// and sends its reply after it. That reply is dropped, so only the
	// delta sent before the deadline arrives.
	stopActor(t, system, pid)

	got := requester.flush(t, system)
	for _, m := range got {
		if _, ok := m.(*messages.AgentReply); ok {
			t.Errorf("requester got a reply after the deadline: %+v", m)
		}
	}
}

func TestAgentRejectsDuplicateRequestID(t *testing.T) {
	system := newSystem(t)
	backend := newBlockingBackend()
	requester := newCollector(t, system)
	pid := spawnAgent(t, system, backend, nil)

	system.Root.RequestWithCustomSender(pid, userRequest("first", false), requester.pid)
	receive(t, backend.started, "the first run")
	res, err := system.Root.RequestFuture(pid, userRequest("second", false), waitLimit).Result()
	if err != nil {
		t.Fatalf("duplicate request got no reply: %v", err)
	}
	requireError(t, *res.(*messages.AgentReply), CodeAgentBusy)
	if backend.runCount() != 1 {
		t.Errorf("backend ran %d times, want 1", backend.runCount())
	}
}

func TestAgentStopEndsRuns(t *testing.T) {
	system := newSystem(t)
	backend := newBlockingBackend()
	pid := system.Root.Spawn(Props(func() (Backend, error) { return backend, nil }, nil))
	requester := newCollector(t, system)
	const runs = 5

	for i := range runs {
		req := userRequest("block", true)
		req.RequestID = fmt.Sprintf("run-%d", i)
		system.Root.RequestWithCustomSender(pid, req, requester.pid)
	}
	for range runs {
		receive(t, backend.started, "every run to start")
	}
	stopActor(t, system, pid)

	replies := 0
	for _, m := range requester.flush(t, system) {
		if reply, ok := m.(*messages.AgentReply); ok {
			replies++
			requireError(t, *reply, CodeCancelled)
		}
	}
	if replies != runs {
		t.Errorf("got %d replies, want a cancelled reply for each of the %d runs", replies, runs)
	}
	if n := backend.closes.Load(); n != 1 {
		t.Errorf("backend closed %d times, want 1", n)
	}
}

func TestAgentRestartClosesBackend(t *testing.T) {
	system := newSystem(t)
	var built []*blockingBackend
	var mu sync.Mutex
	newBackend := func() (Backend, error) {
		mu.Lock()
		defer mu.Unlock()
		b := newBlockingBackend()
		built = append(built, b)
		return b, nil
	}
	pid := system.Root.Spawn(Props(newBackend, nil))
	requester := newCollector(t, system)

	system.Root.RequestWithCustomSender(pid, userRequest("x", false), requester.pid)
	var first *blockingBackend
	waitFor(t, "the first backend", func() bool {
		mu.Lock()
		defer mu.Unlock()
		if len(built) > 0 {
			first = built[0]
		}
		return first != nil
	})
	receive(t, first.started, "the run to start")
	proc, ok := system.ProcessRegistry.Get(pid)
	if !ok {
		t.Fatal("agent process not found")
	}
	proc.SendSystemMessage(pid, &actor.Restart{})

	m := receive(t, requester.ch, "the reply of the run cancelled by the restart")
	requireError(t, *m.(*messages.AgentReply), CodeCancelled)
	waitFor(t, "a new backend after the restart", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(built) == 2
	})
	if n := first.closes.Load(); n != 1 {
		t.Errorf("first backend closed %d times, want 1", n)
	}
	stopActor(t, system, pid)
}

func TestAgentBackendFailure(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		code      string
		retryable bool
	}{
		{
			"invalid config", fmt.Errorf("%w: agent.timeout must be greater than zero", ErrInvalidConfig),
			CodeConfigInvalid, false,
		},
		{"other failure", errors.New("upstream certificate unreadable"), CodeBackendUnavailable, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			system := newSystem(t)
			reasons := make(chan any, 8)
			supervisor := actor.NewOneForOneStrategy(0, 0, func(reason any) actor.Directive {
				reasons <- reason
				return actor.StopDirective
			})
			parentProps := actor.PropsFromFunc(func(ctx actor.Context) {
				if _, ok := ctx.Message().(*actor.Started); ok {
					ctx.Spawn(Props(func() (Backend, error) { return nil, tt.err }, nil))
				}
			}, actor.WithSupervisor(supervisor))
			parent := system.Root.Spawn(parentProps)
			defer stopActor(t, system, parent)

			reason := receive(t, reasons, "the escalated failure")

			pe, ok := reason.(*messages.PlatformError)
			if !ok {
				t.Fatalf("failure reason is %T (%v), want *messages.PlatformError", reason, reason)
			}
			if pe.Code != tt.code || pe.Retryable != tt.retryable {
				t.Errorf("failure = %s retryable=%v, want %s retryable=%v", pe.Code, pe.Retryable,
					tt.code, tt.retryable)
			}
			if !errors.Is(pe, tt.err) {
				t.Errorf("failure %v does not wrap the constructor's error", pe)
			}
		})
	}
}

func TestAgentLogs(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	system := newSystem(t)
	f := newFakeUpstream(t, serveJSON(500, `{"error":{"message":"boom"}}`))
	backend := newTestBackend(t, f, 5*time.Second)
	pid := spawnAgent(t, system, backend, zap.New(core))
	secret := "my private question"

	res, err := system.Root.RequestFuture(pid, userRequest(secret, false), waitLimit).Result()
	if err != nil {
		t.Fatalf("request failed: %v", err)
	}
	requireError(t, *res.(*messages.AgentReply), CodeUpstreamError)
	system.Root.Send(pid, userRequest("no sender", false))
	waitFor(t, "the run's failure log", func() bool {
		return logs.FilterMessage("agent run failed").Len() == 1
	})

	entry := logs.FilterMessage("agent run failed").All()[0]
	fields := entry.ContextMap()
	if entry.LoggerName != "agent" {
		t.Errorf("logger name = %q, want agent", entry.LoggerName)
	}
	if fields["request_id"] != "req-1" || fields["backend"] != "openai" ||
		fields["error_code"] != CodeUpstreamError {
		t.Errorf("failure log fields = %v", fields)
	}
	if _, ok := fields["duration"]; !ok {
		t.Errorf("failure log has no duration")
	}
	waitFor(t, "the no-sender warning", func() bool {
		return logs.FilterMessageSnippet("no sender").Len() == 1
	})
	for _, e := range logs.All() {
		for k, v := range e.ContextMap() {
			if s, ok := v.(string); ok && s == secret {
				t.Errorf("log %q field %s contains the message text", e.Message, k)
			}
		}
	}
}

// panickingBackend panics in Run.
type panickingBackend struct{}

func (panickingBackend) Name() string { return "panicking" }
func (panickingBackend) Close() error { return nil }
func (panickingBackend) Run(
	context.Context, *messages.AgentRequest, func(messages.AgentDelta),
) messages.AgentReply {
	panic("backend bug")
}

func TestAgentBackendPanic(t *testing.T) {
	core, logs := observer.New(zapcore.ErrorLevel)
	system := newSystem(t)
	pid := spawnAgent(t, system, panickingBackend{}, zap.New(core))

	res, err := system.Root.RequestFuture(pid, userRequest("boom", false), waitLimit).Result()
	if err != nil {
		t.Fatalf("request failed: %v", err)
	}

	reply := res.(*messages.AgentReply)
	requireError(t, *reply, CodeUpstreamError)
	if reply.RequestID != "req-1" {
		t.Errorf("request id = %q, want req-1", reply.RequestID)
	}
	if n := logs.FilterMessage("agent backend panicked").Len(); n != 1 {
		t.Errorf("logged %d panics, want 1", n)
	}
	_, err = system.Root.RequestFuture(pid, userRequest("again", false), waitLimit).Result()
	if err != nil {
		t.Fatalf("agent sent no reply after a panic: %v", err)
	}
}
