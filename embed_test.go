package actorgate_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/actorgate/actorgate"
	"github.com/actorgate/actorgate/actors/agent"
	"github.com/actorgate/actorgate/actors/apiserver"
	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
)

func TestStartRejectsBadInput(t *testing.T) {
	system := newHost(t)
	invalid := testConfig()
	invalid.Gateway.BackoffBase = 0
	tests := []struct {
		name   string
		system *actor.ActorSystem
		gw     string
		cfg    config.Config
		want   string
	}{
		{"nil system", nil, "gw", testConfig(), "actor system is nil"},
		{"empty name", system, "", testConfig(), "name is empty"},
		{"invalid config", system, "gw", invalid, "gateway.backoff_base"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gw, err := actorgate.Start(tt.system, tt.gw, tt.cfg)
			if err == nil {
				_ = gw.Close(context.Background())
				t.Fatal("Start succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestStartRejectsTakenName(t *testing.T) {
	system := newHost(t)
	startGateway(t, system, "gw", testConfig())
	gw, err := actorgate.Start(system, "gw", testConfig())
	if err == nil {
		_ = gw.Close(context.Background())
		t.Fatal("a second gateway started under a taken name")
	}
	if !strings.Contains(err.Error(), `"gw"`) {
		t.Errorf("error does not name the gateway: %v", err)
	}
}

func TestTwoGatewaysInOneSystem(t *testing.T) {
	system := newHost(t)
	withAPI := withAPIServer(t, testConfig())
	a := startGateway(t, system, "support", withAPI)
	b := startGateway(t, system, "sales", testConfig())

	waitRow(t, a, apiserver.Name, "connected", inState(messages.StateConnected))
	if got := getModels(t, withAPI); got != 200 {
		t.Errorf("GET /v1/models on support = %d, want 200", got)
	}
	if r := row(t, b, apiserver.Name); r.Name != "" {
		t.Errorf("sales enrolled the API server without a key: %+v", r)
	}
	if got, want := ask(t, a, "hello"), "turn 1: hello"; got != want {
		t.Errorf("support answered %q, want %q", got, want)
	}
	if got, want := ask(t, b, "hi"), "turn 1: hi"; got != want {
		t.Errorf("sales answered %q, want %q", got, want)
	}
	if a.AgentPID().Equal(b.AgentPID()) {
		t.Errorf("both gateways have the agent %s", a.AgentPID())
	}
	if a.PID().Id != "support" || a.AgentPID().Id != "support/agent" {
		t.Errorf("PIDs of support = %s, %s", a.PID().Id, a.AgentPID().Id)
	}
}

func TestTwoAPIServersOnTwoPorts(t *testing.T) {
	_, _, cfgA, cfgB := startTwoAPIGateways(t)
	for _, cfg := range []config.Config{cfgA, cfgB} {
		if got := getModels(t, cfg); got != 200 {
			t.Errorf("GET /v1/models on port %d = %d, want 200", cfg.Platforms.APIServer.Port, got)
		}
	}
}

// order records the order of named events from many goroutines.
type order struct {
	mu     sync.Mutex
	events []string
}

func (o *order) add(e string) {
	o.mu.Lock()
	o.events = append(o.events, e)
	o.mu.Unlock()
}

func (o *order) index(e string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i, x := range o.events {
		if x == e {
			return i
		}
	}
	return -1
}

// recordingBackend is the echo backend that records when it is closed.
type recordingBackend struct {
	agent.Backend
	order *order
}

func (b recordingBackend) Close() error {
	b.order.add("backend closed")
	return b.Backend.Close()
}

// watcher is a host actor that watches a PID and records its Terminated.
type watcher struct {
	target *actor.PID
	order  *order
}

func (w *watcher) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		ctx.Watch(w.target)
	case *actor.Terminated:
		w.order.add("terminated " + msg.Who.Id)
	}
}

func TestCloseStopsLeafFirstAndIsIdempotent(t *testing.T) {
	system := newHost(t)
	events := &order{}
	chat := &probe{name: "chat", onStopped: func() { events.add("chat stopped") }}
	cfg := withAPIServer(t, testConfig())
	gw, err := actorgate.Start(system, "gw", cfg,
		actorgate.WithPlatform(chat.platform()),
		actorgate.WithBackend(func() (agent.Backend, error) {
			return recordingBackend{Backend: agent.NewEcho(), order: events}, nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	waitRow(t, gw, "chat", "connected", inState(messages.StateConnected))
	waitRow(t, gw, apiserver.Name, "connected", inState(messages.StateConnected))
	_ = ask(t, gw, "warm up")
	watch, err := system.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor {
		return &watcher{target: gw.PID(), order: events}
	}), "watcher")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = system.Root.StopFuture(watch).Wait() }()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := gw.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := gw.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}

	chatAt, backendAt := events.index("chat stopped"), events.index("backend closed")
	if chatAt < 0 || backendAt < 0 {
		t.Fatalf("events after Close = %v, want the adapter stopped and the backend closed", events.events)
	}
	if chatAt > backendAt {
		t.Errorf("the backend closed before the adapter stopped: %v", events.events)
	}
	deadline := time.Now().Add(10 * time.Second)
	for events.index("terminated gw") < 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the host never saw the gateway terminate: %v", events.events)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if c, err := net.Dial("tcp", cfg.Platforms.APIServer.Addr()); err == nil {
		_ = c.Close()
		t.Error("the API port still accepts connections after Close")
	}
	if _, err := gw.Status(ctx); !errors.Is(err, actorgate.ErrClosed) {
		t.Errorf("Status after Close: err = %v, want ErrClosed", err)
	}
	if _, err := gw.Ask(ctx, userTurn("late")); !errors.Is(err, actorgate.ErrClosed) {
		t.Errorf("Ask after Close: err = %v, want ErrClosed", err)
	}
	if system.IsStopped() {
		t.Error("Close shut the host's actor system down")
	}
}

func TestCloseIsBoundedByContext(t *testing.T) {
	system := newHost(t)
	stuck := &probe{name: "stuck", block: make(chan struct{})}
	gw, err := actorgate.Start(system, "gw", testConfig(), actorgate.WithPlatform(stuck.platform()))
	if err != nil {
		t.Fatal(err)
	}
	waitRow(t, gw, "stuck", "connected", inState(messages.StateConnected))

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err = gw.Close(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close with a stuck adapter: err = %v, want DeadlineExceeded", err)
	}
	if stuck.stopped.Load() != 0 {
		t.Error("the stuck adapter stopped before it was released")
	}
	if second := gw.Close(context.Background()); !errors.Is(second, context.DeadlineExceeded) {
		t.Errorf("second Close = %v, want the first call's error", second)
	}

	close(stuck.block)
	deadline := time.Now().Add(10 * time.Second)
	for stuck.stopped.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the adapter never stopped after it was released")
		}
		time.Sleep(5 * time.Millisecond)
	}
	_ = system.Root.StopFuture(gw.PID()).Wait()
}

// countingMiddleware counts the messages the host's root context sends.
func countingMiddleware(n *atomic.Int64) actor.SenderMiddleware {
	return func(next actor.SenderFunc) actor.SenderFunc {
		return func(ctx actor.SenderContext, target *actor.PID, env *actor.MessageEnvelope) {
			if _, ok := env.Message.(*ping); ok {
				n.Add(1)
			}
			next(ctx, target, env)
		}
	}
}

func TestHostSystemIsUntouched(t *testing.T) {
	system := newHost(t)
	var sent atomic.Int64
	system.Root.WithHeaders(map[string]string{"tenant": "acme"}).
		WithSenderMiddleware(countingMiddleware(&sent))
	root, logger, provider := system.Root, system.Logger(), system.Config.MetricsProvider
	host := spawnHostActor(t, system, "host")

	gw, err := actorgate.Start(system, "gw", withAPIServer(t, testConfig()))
	if err != nil {
		t.Fatal(err)
	}
	waitRow(t, gw, apiserver.Name, "connected", inState(messages.StateConnected))
	_ = ask(t, gw, "hello")
	if err := gw.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	if system.Root != root {
		t.Error("the host's root context was replaced")
	}
	if got := system.Root.MessageHeader().Get("tenant"); got != "acme" {
		t.Errorf("root header tenant = %q, want acme", got)
	}
	if system.Logger() != logger {
		t.Error("the host's logger was replaced")
	}
	if system.Config.MetricsProvider != provider {
		t.Error("the host's metrics provider was replaced")
	}
	if system.IsStopped() {
		t.Fatal("the host's actor system was shut down")
	}
	pingPID(t, system, host)
	later := spawnHostActor(t, system, "later")
	before := sent.Load()
	pingPID(t, system, later)
	if sent.Load() != before+1 {
		t.Error("the host's sender middleware no longer runs")
	}
}

func TestCustomPlatformSupervised(t *testing.T) {
	system := newHost(t)
	flaky := &probe{name: "flaky", fail: func(n int) *messages.PlatformError {
		if n <= 3 {
			return &messages.PlatformError{Code: "chat_unreachable", Message: "down", Retryable: true}
		}
		return nil
	}}
	broken := &probe{name: "broken", fail: func(int) *messages.PlatformError {
		return &messages.PlatformError{Code: "chat_token_invalid", Message: "set a valid token"}
	}}
	gw := startGateway(t, system, "gw", testConfig(),
		actorgate.WithPlatform(flaky.platform()), actorgate.WithPlatform(broken.platform()))

	r := waitRow(t, gw, "flaky", "connected", inState(messages.StateConnected))
	if r.Restarts != 3 || flaky.starts.Load() != 4 {
		t.Errorf("flaky: restarts %d, starts %d; want 3 and 4", r.Restarts, flaky.starts.Load())
	}
	if flaky.restarted.Load() != 3 {
		t.Errorf("flaky: %d instances got Restarting, want one per failed start (3)",
			flaky.restarted.Load())
	}

	r = waitRow(t, gw, "broken", "fatal", inState(messages.StateFatal))
	if r.ErrorCode != "chat_token_invalid" || r.ErrorMessage != "set a valid token" {
		t.Errorf("broken: error %q %q", r.ErrorCode, r.ErrorMessage)
	}
	if !r.NextRetryAt.IsZero() || broken.starts.Load() != 1 {
		t.Errorf("broken is retried: next retry %v, starts %d", r.NextRetryAt, broken.starts.Load())
	}
	if err := gw.Resume(context.Background(), "broken"); err != nil {
		t.Fatal(err)
	}
	waitRow(t, gw, "broken", "a second start", func(messages.PlatformStatus) bool {
		return broken.starts.Load() == 2
	})
}

func TestCustomPlatformRetryingShowsInStatus(t *testing.T) {
	system := newHost(t)
	down := &probe{name: "down", fail: func(int) *messages.PlatformError {
		return &messages.PlatformError{Code: "chat_unreachable", Message: "down", Retryable: true}
	}}
	cfg := testConfig()
	cfg.Gateway.BackoffBase = time.Hour
	cfg.Gateway.BackoffCap = time.Hour
	gw := startGateway(t, system, "gw", cfg, actorgate.WithPlatform(down.platform()))
	r := waitRow(t, gw, "down", "retrying", inState(messages.StateRetrying))
	if r.Attempts != 1 || r.ErrorCode != "chat_unreachable" || r.NextRetryAt.IsZero() {
		t.Errorf("retrying row = %+v, want 1 attempt, chat_unreachable and a next retry", r)
	}
}

// upperBackend replies with the last user turn in capitals.
type upperBackend struct{}

func (upperBackend) Name() string { return "upper" }
func (upperBackend) Close() error { return nil }
func (upperBackend) Run(_ context.Context, req *messages.AgentRequest,
	_ func(messages.AgentDelta),
) messages.AgentReply {
	text := strings.ToUpper(req.Messages[len(req.Messages)-1].Content)
	return messages.AgentReply{RequestID: req.RequestID, Text: text, FinishReason: messages.FinishStop}
}

func TestCustomBackendRestartsAfterFailure(t *testing.T) {
	system := newHost(t)
	var builds atomic.Int64
	newBackend := func() (agent.Backend, error) {
		if builds.Add(1) <= 2 {
			return nil, errors.New("model server still loading")
		}
		return upperBackend{}, nil
	}
	gw := startGateway(t, system, "gw", testConfig(), actorgate.WithBackend(newBackend))
	if got := ask(t, gw, "hello"); got != "HELLO" {
		t.Errorf("answer = %q, want HELLO", got)
	}
	if got := builds.Load(); got != 3 {
		t.Errorf("backend built %d times, want 3", got)
	}
}

// failingBackend fails every run with its code.
type failingBackend struct{ code string }

func (failingBackend) Name() string { return "failing" }
func (failingBackend) Close() error { return nil }
func (b failingBackend) Run(_ context.Context, req *messages.AgentRequest,
	_ func(messages.AgentDelta),
) messages.AgentReply {
	return messages.AgentReply{
		RequestID: req.RequestID, Text: "partial", FinishReason: messages.FinishError,
		Err: &messages.AgentError{Code: b.code, Message: "upstream said no", UpstreamStatus: 502},
	}
}

func TestAsk(t *testing.T) {
	system := newHost(t)
	echo := startGateway(t, system, "echo", testConfig())
	failing := startGateway(t, system, "failing", testConfig(),
		actorgate.WithBackend(func() (agent.Backend, error) {
			return failingBackend{code: "upstream_error"}, nil
		}))

	req := userTurn("hi")
	reply, err := echo.Ask(context.Background(), req)
	if err != nil || reply.Text != "turn 1: hi" {
		t.Errorf("Ask = %v, %v; want turn 1: hi", reply, err)
	}
	if req.RequestID != "" || !req.Deadline.IsZero() {
		t.Errorf("Ask modified the caller's request: %+v", req)
	}

	reply, err = failing.Ask(context.Background(), userTurn("hi"))
	var aerr *messages.AgentError
	if !errors.As(err, &aerr) || aerr.Code != "upstream_error" {
		t.Errorf("failed run: err = %v, want an AgentError upstream_error", err)
	}
	if reply == nil || reply.Text != "partial" {
		t.Errorf("failed run: reply = %+v, want the partial text", reply)
	}

	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	tests := []struct {
		name string
		ctx  context.Context
		req  *messages.AgentRequest
		want error
	}{
		{"stream", context.Background(), &messages.AgentRequest{Stream: true}, actorgate.ErrStreamNotSupported},
		{"deadline passed", expired, userTurn("x"), context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := echo.Ask(tt.ctx, tt.req); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := echo.Ask(context.Background(), nil); err == nil {
		t.Error("Ask with a nil request succeeded")
	}
}

func TestAskCancelledByContext(t *testing.T) {
	system := newHost(t)
	started := make(chan struct{})
	gw := startGateway(t, system, "gw", testConfig(),
		actorgate.WithBackend(func() (agent.Backend, error) { return blockingBackend{started}, nil }))
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	reply, err := gw.Ask(ctx, userTurn("wait"))
	var aerr *messages.AgentError
	if !errors.As(err, &aerr) || aerr.Code != agent.CodeCancelled {
		t.Fatalf("err = %v, want an AgentError %s", err, agent.CodeCancelled)
	}
	if reply.FinishReason != messages.FinishError {
		t.Errorf("finish reason = %q, want error", reply.FinishReason)
	}
}

// blockingBackend runs until its context ends.
type blockingBackend struct{ started chan struct{} }

func (blockingBackend) Name() string { return "blocking" }
func (blockingBackend) Close() error { return nil }
func (b blockingBackend) Run(ctx context.Context, req *messages.AgentRequest,
	_ func(messages.AgentDelta),
) messages.AgentReply {
	close(b.started)
	<-ctx.Done()
	return messages.AgentReply{
		RequestID: req.RequestID, FinishReason: messages.FinishError,
		Err: &messages.AgentError{Code: agent.CodeCancelled, Message: fmt.Sprint(ctx.Err())},
	}
}

func TestInboundMessagesOnEventStream(t *testing.T) {
	system := newHost(t)
	chat := &probe{name: "chat"}
	gw := startGateway(t, system, "gw", testConfig(), actorgate.WithPlatform(chat.platform()))
	waitRow(t, gw, "chat", "connected", inState(messages.StateConnected))

	got := make(chan *messages.InboundMessage, 1)
	sub := system.EventStream.Subscribe(func(evt any) {
		if m, ok := evt.(*messages.InboundMessage); ok {
			got <- m
		}
	})
	defer system.EventStream.Unsubscribe(sub)
	system.Root.Send(gw.PlatformPID("chat"), &receive{User: "alice", Text: "hi"})
	m := <-got
	if m.Gateway != "gw" || m.Platform != "chat" || m.UserID != "alice" || m.Text != "hi" {
		t.Errorf("inbound message = %+v", m)
	}

	res, err := system.Root.RequestFuture(gw.PlatformPID("chat"),
		&messages.SendMessage{RequestID: "r1", ChatID: m.ChatID, Text: "hello"}, 5*time.Second).Result()
	if err != nil {
		t.Fatal(err)
	}
	if reply, ok := res.(*messages.SendMessageReply); !ok || reply.RequestID != "r1" {
		t.Errorf("SendMessage reply = %#v", res)
	}
}

func TestWithLoggerUsesHostLogger(t *testing.T) {
	system := newHost(t)
	core, logs := observer.New(zap.InfoLevel)
	chat := &probe{name: "chat"}
	gw := startGateway(t, system, "gw", testConfig(),
		actorgate.WithLogger(zap.New(core)), actorgate.WithPlatform(chat.platform()))
	waitRow(t, gw, "chat", "connected", inState(messages.StateConnected))

	deadline := time.Now().Add(10 * time.Second)
	for logs.FilterMessage("platform connected").Len() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the host's logger got no 'platform connected' line; got %d lines", logs.Len())
		}
		time.Sleep(5 * time.Millisecond)
	}
	entry := logs.FilterMessage("platform connected").All()[0]
	fields := entry.ContextMap()
	if fields["platform"] != "chat" || fields["gateway"] != "gw" {
		t.Errorf("log fields = %v, want platform chat and gateway gw", fields)
	}
	if logs.FilterMessage("gateway started").Len() != 1 {
		t.Error("the host's logger got no 'gateway started' line")
	}
}

// startTwoAPIGateways starts gateways "a" and "b" in one host system, each
// with its own data folder and API server, and waits until both serve.
func startTwoAPIGateways(t *testing.T) (a, b *actorgate.Gateway, cfgA, cfgB config.Config) {
	t.Helper()
	system := newHost(t)
	cfgA = withAPIServer(t, testConfig())
	cfgB = withAPIServer(t, testConfig())
	a = startGateway(t, system, "a", cfgA)
	b = startGateway(t, system, "b", cfgB)
	waitRow(t, a, apiserver.Name, "connected", inState(messages.StateConnected))
	waitRow(t, b, apiserver.Name, "connected", inState(messages.StateConnected))
	return a, b, cfgA, cfgB
}
