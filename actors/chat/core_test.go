package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/agent"
	"github.com/actorgate/actorgate/actors/gateway"
	"github.com/actorgate/actorgate/actors/sessions"
	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
)

// sent records what a test SendFunc was asked to send.
type sent struct {
	mu   sync.Mutex
	outs []Outgoing
}

func (s *sent) send(_ context.Context, out Outgoing) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outs = append(s.outs, out)
	return fmt.Sprint(len(s.outs)), nil
}

func (s *sent) all() []Outgoing {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Outgoing(nil), s.outs...)
}

// harness runs a real agent and sessions store in a fresh actor system.
type harness struct {
	system *actor.ActorSystem
	env    gateway.Env
}

func newHarness(t *testing.T, backend func() (agent.Backend, error)) *harness {
	t.Helper()
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
	agentPID := system.Root.Spawn(agent.Props(backend, zap.NewNop()))
	sessionsPID := system.Root.Spawn(sessions.Props(sessions.Config{
		Path:     filepath.Join(t.TempDir(), "sessions.db"),
		Sessions: config.SessionsConfig{ResetHour: config.SessionResetOff, HistoryLength: 20},
	}, zap.NewNop()))
	t.Cleanup(func() {
		_ = system.Root.StopFuture(agentPID).Wait()
		_ = system.Root.StopFuture(sessionsPID).Wait()
		system.Shutdown()
	})
	return &harness{system: system, env: gateway.Env{
		Gateway: "gw", Agent: agentPID, Sessions: sessionsPID, Logger: zap.NewNop(),
	}}
}

func (h *harness) core(t *testing.T, cfg Config, send SendFunc) *Core {
	t.Helper()
	c := NewCore(cfg, h.system, h.env, send)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// submitWait submits a message and waits for its result.
func submitWait(t *testing.T, c *Core, in messages.InboundMessage) Result {
	t.Helper()
	done := make(chan Result, 1)
	if err := c.Submit(Job{Message: in, Done: func(r Result) { done <- r }}); err != nil {
		t.Fatalf("Submit: %v", err)
	}
	select {
	case r := <-done:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no result within 10s")
		return Result{}
	}
}

var messageSeq atomic.Int64

// dm builds a direct message with a fresh message id.
func dm(user, text string) messages.InboundMessage {
	return messages.InboundMessage{
		ChatType: messages.ChatDM, ChatID: "c" + user, UserID: user, Text: text,
		MessageID: fmt.Sprint("m", messageSeq.Add(1)),
	}
}

func echo() (agent.Backend, error) { return agent.NewEcho(), nil }

func TestCoreAnswersWithHistory(t *testing.T) {
	h := newHarness(t, echo)
	var out sent
	c := h.core(t, Config{Platform: "test", Access: Access{Users: []string{"1"}}}, out.send)

	first := submitWait(t, c, dm("1", "hello"))
	second := submitWait(t, c, dm("1", "again"))

	if first.Outcome != Answered || first.Reply != "turn 1: hello" {
		t.Errorf("first = %+v, want turn 1", first)
	}
	if second.Reply != "turn 2: again" {
		t.Errorf("second reply = %q, want turn 2: again", second.Reply)
	}
	got := out.all()
	if len(got) != 2 || got[0].ChatID != "c1" || got[0].ReplyTo == "" {
		t.Errorf("sent = %+v", got)
	}
	if len(second.MessageIDs) != 1 || second.MessageIDs[0] != "2" {
		t.Errorf("message ids = %v, want [2]", second.MessageIDs)
	}
}

func TestCoreRedeliveredMessage(t *testing.T) {
	h := newHarness(t, echo)
	var out sent
	var failing atomic.Bool
	send := func(ctx context.Context, o Outgoing) (string, error) {
		if failing.Load() {
			return "", Permanent(errors.New("chat not found"))
		}
		return out.send(ctx, o)
	}
	c := h.core(t, Config{Platform: "test", Access: Access{AllowAll: true}}, send)
	undelivered, delivered := dm("1", "lost"), dm("1", "kept")

	// The answer is stored but cannot be sent: a second delivery sends
	// the stored answer without running the agent again.
	failing.Store(true)
	first := submitWait(t, c, undelivered)
	failing.Store(false)
	resent := submitWait(t, c, undelivered)
	// An answer that was sent is not sent again.
	sentOnce := submitWait(t, c, delivered)
	ignored := submitWait(t, c, delivered)

	if first.Err == nil || !errors.Is(first.Err, ErrSendFailed) {
		t.Errorf("first delivery err = %v, want ErrSendFailed", first.Err)
	}
	if resent.Outcome != Answered || resent.Reply != "turn 1: lost" {
		t.Errorf("second delivery = %+v, want the stored turn 1", resent)
	}
	if sentOnce.Reply != "turn 2: kept" {
		t.Errorf("next message = %q, want turn 2", sentOnce.Reply)
	}
	if ignored.Outcome != Ignored || ignored.Reply != "" {
		t.Errorf("repeated delivered message = %+v, want ignored", ignored)
	}
	if n := len(out.all()); n != 2 {
		t.Errorf("sent %d messages, want 2", n)
	}
}

func TestCoreRefusesOncePerInterval(t *testing.T) {
	h := newHarness(t, echo)
	var out sent
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	c := h.core(t, Config{
		Platform: "test", Access: Access{Users: []string{"1"}, Setting: "TEST_ALLOWED_USERS"},
		Now: clock,
	}, out.send)

	first := submitWait(t, c, dm("2", "let me in"))
	second := submitWait(t, c, dm("2", "please"))
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	third := submitWait(t, c, dm("2", "hour later"))

	if first.Outcome != Refused || !strings.Contains(first.Reply, "TEST_ALLOWED_USERS") ||
		!strings.Contains(first.Reply, "user id is 2") {
		t.Errorf("first = %+v, want a refusal naming the id and the setting", first)
	}
	if second.Outcome != Refused || second.Reply != "" {
		t.Errorf("second = %+v, want a silent refusal", second)
	}
	if third.Reply == "" {
		t.Error("no refusal an hour later")
	}
	if n := len(out.all()); n != 2 {
		t.Errorf("sent %d messages, want 2 refusals", n)
	}
}

func TestCoreResetCommand(t *testing.T) {
	h := newHarness(t, echo)
	var out sent
	c := h.core(t, Config{Platform: "test", Access: Access{AllowAll: true}}, out.send)
	c.SetBotName("mybot")

	submitWait(t, c, dm("1", "one"))
	other := submitWait(t, c, dm("1", "/new@otherbot"))
	still := submitWait(t, c, dm("1", "two"))
	reset := submitWait(t, c, dm("1", "/reset@mybot"))
	fresh := submitWait(t, c, dm("1", "three"))

	if other.Outcome != Ignored {
		t.Errorf("command for another bot = %v, want ignored", other.Outcome)
	}
	if still.Reply != "turn 2: two" {
		t.Errorf("after ignored command: %q, want turn 2", still.Reply)
	}
	if reset.Outcome != Reset || reset.Reply != resetText {
		t.Errorf("reset = %+v", reset)
	}
	if fresh.Reply != "turn 1: three" {
		t.Errorf("after reset: %q, want turn 1: three", fresh.Reply)
	}
}

func TestCoreSessionsPerUserInGroups(t *testing.T) {
	h := newHarness(t, echo)
	var out sent
	c := h.core(t, Config{
		Platform: "test", Access: Access{AllowAll: true},
		GroupSessionsPerUser: true,
	}, out.send)
	group := func(user, text string) messages.InboundMessage {
		return messages.InboundMessage{ChatType: messages.ChatGroup, ChatID: "g", UserID: user, Text: text}
	}
	submitWait(t, c, group("1", "a"))
	if r := submitWait(t, c, group("2", "b")); r.Reply != "turn 1: b" {
		t.Errorf("second user in the group: %q, want their own session", r.Reply)
	}
	if r := submitWait(t, c, group("1", "c")); r.Reply != "turn 2: c" {
		t.Errorf("first user again: %q, want turn 2", r.Reply)
	}
}

// fixedBackend answers every request with the same text.
type fixedBackend struct{ text string }

func (fixedBackend) Name() string { return "fixed" }
func (fixedBackend) Close() error { return nil }
func (b fixedBackend) Run(_ context.Context, req *messages.AgentRequest,
	_ func(messages.AgentDelta),
) messages.AgentReply {
	return messages.AgentReply{RequestID: req.RequestID, Text: b.text, FinishReason: messages.FinishStop}
}

func TestCoreSplitsLongAnswer(t *testing.T) {
	long := strings.Repeat("This is a sentence. ", 30)
	h := newHarness(t, func() (agent.Backend, error) { return fixedBackend{long}, nil })
	var out sent
	c := h.core(t, Config{Platform: "test", Access: Access{AllowAll: true}, Limit: 100}, out.send)

	r := submitWait(t, c, dm("1", "talk"))

	got := out.all()
	if len(got) != len(r.Parts) || len(got) < 6 {
		t.Fatalf("sent %d parts, result has %d; want at least 6", len(got), len(r.Parts))
	}
	for i, o := range got {
		if len(o.Text) > 100 || !strings.HasSuffix(o.Text, ".") {
			t.Errorf("part %d = %q: longer than 100 or not ending a sentence", i, o.Text)
		}
		if (i == 0) != (o.ReplyTo != "") {
			t.Errorf("part %d reply_to = %q; only the first part replies", i, o.ReplyTo)
		}
	}
}

func TestCoreAgentFailureApologises(t *testing.T) {
	h := newHarness(t, func() (agent.Backend, error) { return fixedBackend{""}, nil })
	var out sent
	c := h.core(t, Config{Platform: "test", Access: Access{AllowAll: true}}, out.send)

	r := submitWait(t, c, dm("1", "hi"))

	if r.Outcome != Failed || !errors.Is(r.Err, ErrAgent) || !strings.Contains(r.Reply, emptyAnswer) {
		t.Errorf("result = %+v, want a failure naming %s", r, emptyAnswer)
	}
	if n := len(out.all()); n != 1 {
		t.Errorf("sent %d messages, want the apology", n)
	}
}

func TestCorePublishesInbound(t *testing.T) {
	h := newHarness(t, echo)
	var got atomic.Pointer[messages.InboundMessage]
	sub := h.system.EventStream.Subscribe(func(evt any) {
		if m, ok := evt.(*messages.InboundMessage); ok {
			got.Store(m)
		}
	})
	defer h.system.EventStream.Unsubscribe(sub)
	var out sent
	c := h.core(t, Config{Platform: "test", Access: Access{AllowAll: true}}, out.send)

	submitWait(t, c, dm("1", "hi"))

	m := got.Load()
	if m == nil || m.Platform != "test" || m.Gateway != "gw" || m.Text != "hi" {
		t.Errorf("published = %+v", m)
	}
}

// blockingBackend runs until its context ends.
type blockingBackend struct{ started chan struct{} }

func (blockingBackend) Name() string { return "blocking" }
func (blockingBackend) Close() error { return nil }
func (b blockingBackend) Run(ctx context.Context, req *messages.AgentRequest,
	_ func(messages.AgentDelta),
) messages.AgentReply {
	b.started <- struct{}{}
	<-ctx.Done()
	return messages.AgentReply{
		RequestID: req.RequestID,
		Err:       &messages.AgentError{Code: "cancelled", Message: "cancelled"},
	}
}

func TestCoreCloseCancelsWithoutDone(t *testing.T) {
	b := blockingBackend{started: make(chan struct{}, 1)}
	h := newHarness(t, func() (agent.Backend, error) { return b, nil })
	var out sent
	var typed atomic.Int64
	c := NewCore(Config{
		Platform: "test", Access: Access{AllowAll: true},
		Typing: func(context.Context, messages.InboundMessage) error {
			typed.Add(1)
			return nil
		},
	}, h.system, h.env, out.send)
	var doneCalled atomic.Bool
	if err := c.Submit(Job{Message: dm("1", "slow"), Done: func(Result) { doneCalled.Store(true) }}); err != nil {
		t.Fatal(err)
	}
	<-b.started

	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if doneCalled.Load() {
		t.Error("Done was called for a cancelled message")
	}
	if n := len(out.all()); n != 0 {
		t.Errorf("sent %d messages after cancellation", n)
	}
	if typed.Load() == 0 {
		t.Error("typing indicator never shown while the agent worked")
	}
	if err := c.Submit(Job{Message: dm("1", "late")}); !errors.Is(err, ErrClosed) {
		t.Errorf("Submit after Close: %v, want ErrClosed", err)
	}
}

func TestSenderRetries(t *testing.T) {
	transient := errors.New("connection reset")
	tests := []struct {
		name     string
		errs     []error
		wantErr  bool
		attempts int
	}{
		{"transient then ok", []error{transient, transient}, false, 3},
		{"retry after", []error{RetryAfter(10*time.Millisecond, transient)}, false, 2},
		{"permanent", []error{Permanent(transient)}, true, 1},
		{"too many", []error{transient, transient, transient}, true, 3},
		{"retry after too long", []error{RetryAfter(time.Hour, transient)}, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls int
			send := func(context.Context, Outgoing) (string, error) {
				calls++
				if calls <= len(tt.errs) {
					return "", tt.errs[calls-1]
				}
				return "id", nil
			}
			s := NewSender(send, Limits{}, RetryPolicy{
				Attempts: 3, Base: time.Millisecond, Max: 2 * time.Millisecond, MaxWait: time.Second,
			}, nil)
			_, err := s.Send(context.Background(), Outgoing{ChatID: "c", Text: "x"})
			if (err != nil) != tt.wantErr {
				t.Errorf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrSendFailed) {
				t.Errorf("err = %v, want ErrSendFailed", err)
			}
			if calls != tt.attempts {
				t.Errorf("attempts = %d, want %d", calls, tt.attempts)
			}
		})
	}
}

func TestSenderRateLimitPerChat(t *testing.T) {
	send := func(context.Context, Outgoing) (string, error) { return "", nil }
	s := NewSender(send, Limits{PerChat: 20, PerChatBurst: 1}, RetryPolicy{}, nil)
	start := time.Now()
	for range 3 {
		if _, err := s.Send(context.Background(), Outgoing{ChatID: "c"}); err != nil {
			t.Fatal(err)
		}
	}
	// Two waits of 50 ms each follow the first message, so at least
	// 100 ms pass whatever the machine's speed.
	if elapsed := time.Since(start); elapsed < 90*time.Millisecond {
		t.Errorf("3 messages at 20/s with burst 1 took %v, want at least 100ms", elapsed)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Send(ctx, Outgoing{ChatID: "c"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a cancelled context: %v", err)
	}
}
