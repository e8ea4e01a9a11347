package telegram

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/go-telegram/bot/models"
	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/agent"
	"github.com/actorgate/actorgate/actors/chat"
	"github.com/actorgate/actorgate/actors/gateway"
	"github.com/actorgate/actorgate/actors/sessions"
	"github.com/actorgate/actorgate/actors/telegram/telegramtest"
	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	testToken = "123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	alice     = 1001
	mallory   = 6666
)

type harness struct {
	t      *testing.T
	api    *telegramtest.Server
	system *actor.ActorSystem
	pid    *actor.PID
}

func testSettings(api *telegramtest.Server) Settings {
	return Settings{
		Telegram: config.TelegramConfig{
			Token: testToken, BaseURL: api.URL(), PollTimeout: 2 * time.Second,
			AllowedUsers: []string{"1001"},
		},
		Sessions: config.SessionsConfig{
			ResetHour: config.SessionResetOff, HistoryLength: 20, GroupSessionsPerUser: true,
		},
		AgentTimeout:   10 * time.Second,
		Limits:         chat.Limits{PerChat: 1000, PerChatBurst: 100},
		Retry:          chat.RetryPolicy{Base: time.Millisecond, Max: 10 * time.Millisecond},
		TypingInterval: time.Second,
	}
}

func startAPI(t *testing.T) *telegramtest.Server {
	t.Helper()
	api, err := telegramtest.Start(testToken, "testbot")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(api.Close)
	return api
}

func startGateway(t *testing.T, api *telegramtest.Server, s Settings,
	backend func() (agent.Backend, error),
) *harness {
	t.Helper()
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
	if backend == nil {
		backend = func() (agent.Backend, error) { return agent.NewEcho(), nil }
	}
	pid, err := system.Root.SpawnNamed(gateway.Props(gateway.Config{
		Name:    "gw",
		Backoff: gateway.Backoff{Base: 10 * time.Millisecond, Cap: 50 * time.Millisecond},
		Agent:   agent.Props(backend, zap.NewNop()),
		Sessions: sessions.Props(sessions.Config{
			Path: filepath.Join(t.TempDir(), "sessions.db"), Sessions: s.Sessions,
		}, zap.NewNop()),
		Platforms: []gateway.Platform{Platform(s)},
	}), "gw")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		done := make(chan struct{})
		system.Root.Send(pid, &gateway.Shutdown{Done: done})
		<-done
		_ = system.Root.StopFuture(pid).Wait()
		system.Shutdown()
	})
	return &harness{t: t, api: api, system: system, pid: pid}
}

func (h *harness) waitStatus(what string, cond func(messages.PlatformStatus) bool) messages.PlatformStatus {
	h.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		res, err := h.system.Root.RequestFuture(h.pid, &messages.StatusRequest{}, 5*time.Second).Result()
		if err == nil {
			for _, row := range res.(*messages.StatusReply).Platforms {
				if row.Name == Name && cond(row) {
					return row
				}
			}
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("telegram never became %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func connected(r messages.PlatformStatus) bool { return r.State == messages.StateConnected }

// waitSent waits until the bot has sent n messages and returns them.
func (h *harness) waitSent(n int) []telegramtest.Sent {
	h.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		sent := h.api.Sent()
		if len(sent) >= n {
			return sent
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("bot sent %d messages, want %d: %+v", len(sent), n, sent)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitAcked waits until Telegram has no unconfirmed update left.
func (h *harness) waitAcked() {
	h.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for h.api.Pending() != 0 {
		if time.Now().After(deadline) {
			h.t.Fatalf("%d updates never acknowledged", h.api.Pending())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (h *harness) push(user int64, text string) int64 {
	return h.api.Push(telegramtest.PrivateText(user, "u", text))
}

func TestTelegramAnswersWithHistory(t *testing.T) {
	api := startAPI(t)
	h := startGateway(t, api, testSettings(api), nil)
	h.waitStatus("connected", connected)

	h.push(alice, "hello")
	first := h.waitSent(1)
	h.push(alice, "again")
	sent := h.waitSent(2)

	if first[0].Text != "turn 1: hello" || first[0].ChatID != "1001" || first[0].ReplyTo == 0 {
		t.Errorf("first answer = %+v", first[0])
	}
	if sent[1].Text != "turn 2: again" {
		t.Errorf("second answer = %q, want turn 2", sent[1].Text)
	}
	actions := api.Actions()
	if len(actions) == 0 || actions[0].Action != "typing" || actions[0].ChatID != "1001" {
		t.Errorf("chat actions = %+v, want typing in 1001", actions)
	}
}

func TestTelegramRefusesUnknownUser(t *testing.T) {
	api := startAPI(t)
	h := startGateway(t, api, testSettings(api), nil)
	h.waitStatus("connected", connected)

	h.push(mallory, "let me in")
	h.push(mallory, "please")
	h.push(alice, "hi")
	sent := h.waitSent(2)
	h.waitAcked()

	var refusals, answers int
	for _, s := range h.api.Sent() {
		switch s.ChatID {
		case "6666":
			refusals++
			if !strings.Contains(s.Text, "TELEGRAM_ALLOWED_USERS") || !strings.Contains(s.Text, "6666") {
				t.Errorf("refusal = %q, want the user id and the setting", s.Text)
			}
		case "1001":
			answers++
		}
	}
	if refusals != 1 || answers != 1 {
		t.Errorf("refusals = %d, answers = %d, want 1 and 1: %+v", refusals, answers, sent)
	}
	for _, s := range h.api.Sent() {
		if strings.HasPrefix(s.Text, "turn") && s.ChatID != "1001" {
			t.Errorf("the agent answered an unknown user: %+v", s)
		}
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

func TestTelegramSplitsLongAnswer(t *testing.T) {
	// 300 sentences of 30 UTF-16 units each (the emoji counts twice):
	// 9000 units, three messages at the 4096 limit.
	long := strings.Repeat("An answer with an emoji 😀 ok. ", 300)
	api := startAPI(t)
	h := startGateway(t, api, testSettings(api),
		func() (agent.Backend, error) { return fixedBackend{long}, nil })
	h.waitStatus("connected", connected)

	h.push(alice, "talk")
	h.waitAcked()
	sent := h.api.Sent()

	if len(sent) != 3 {
		t.Fatalf("sent %d messages, want 3", len(sent))
	}
	var joined []string
	for i, s := range sent {
		if n := len(utf16.Encode([]rune(s.Text))); n > MessageLimit {
			t.Errorf("part %d is %d UTF-16 units", i, n)
		}
		if !strings.HasSuffix(s.Text, "ok.") {
			t.Errorf("part %d ends inside a sentence: %q", i, s.Text[len(s.Text)-20:])
		}
		if (i == 0) != (s.ReplyTo != 0) {
			t.Errorf("part %d reply_to = %d; only the first part replies", i, s.ReplyTo)
		}
		joined = append(joined, s.Text)
	}
	if strings.Join(joined, " ") != strings.TrimSpace(long) {
		t.Error("the parts joined differ from the answer")
	}
}

func TestTelegramRestartLosesAndRepeatsNothing(t *testing.T) {
	api := startAPI(t)
	h := startGateway(t, api, testSettings(api), nil)
	h.waitStatus("connected", connected)

	first := h.push(alice, "one")
	h.waitSent(1)
	h.waitAcked()

	// getUpdates fails: the adapter escalates a retryable failure and the
	// gateway restarts it, which reads the stored update_id again.
	polls := len(api.Offsets())
	api.FailPolls(1)
	row := h.waitStatus("restarted", func(r messages.PlatformStatus) bool {
		return connected(r) && r.Restarts >= 1
	})
	if row.Restarts != 1 {
		t.Errorf("restarts = %d, want 1", row.Restarts)
	}
	h.push(alice, "two")
	sent := h.waitSent(2)
	h.waitAcked()

	if sent[0].Text != "turn 1: one" || sent[1].Text != "turn 2: two" {
		t.Errorf("answers = %q, %q; want turn 1 and turn 2", sent[0].Text, sent[1].Text)
	}
	if n := len(api.Sent()); n != 2 {
		t.Errorf("sent %d messages, want 2: nothing repeated", n)
	}
	// Every poll after the failure asks from the update after the first.
	for _, off := range api.Offsets()[polls:] {
		if off <= first {
			t.Errorf("a poll after the restart used offset %d, which repeats update %d", off, first)
		}
	}
}

// gatedBackend is the echo backend, except that it waits for the gate on
// every run while the gate is set.
type gatedBackend struct {
	agent.Backend
	entered chan struct{}
	gate    chan struct{}
}

func (g gatedBackend) Run(ctx context.Context, req *messages.AgentRequest,
	emit func(messages.AgentDelta),
) messages.AgentReply {
	select {
	case g.entered <- struct{}{}:
	default:
	}
	select {
	case <-g.gate:
	case <-ctx.Done():
		return messages.AgentReply{
			RequestID: req.RequestID,
			Err:       &messages.AgentError{Code: "cancelled", Message: "cancelled"},
		}
	}
	return g.Backend.Run(ctx, req, emit)
}

func TestTelegramRestartMidTurnAnswersOnce(t *testing.T) {
	api := startAPI(t)
	g := gatedBackend{Backend: agent.NewEcho(), entered: make(chan struct{}, 1), gate: make(chan struct{})}
	h := startGateway(t, api, testSettings(api), func() (agent.Backend, error) { return g, nil })
	h.waitStatus("connected", connected)

	h.push(alice, "slow")
	<-g.entered

	// Pausing stops the adapter while the agent works on the message, so
	// the update is never acknowledged; after the resume Telegram sends it
	// again and it is answered exactly once.
	pause := &messages.PausePlatform{Name: Name}
	if _, err := h.system.Root.RequestFuture(h.pid, pause, 5*time.Second).Result(); err != nil {
		t.Fatal(err)
	}
	h.waitStatus("paused", func(r messages.PlatformStatus) bool { return r.State == messages.StatePaused })
	if api.Pending() != 1 {
		t.Fatalf("pending = %d, want the unanswered update", api.Pending())
	}
	close(g.gate)
	resume := &messages.ResumePlatform{Name: Name}
	if _, err := h.system.Root.RequestFuture(h.pid, resume, 5*time.Second).Result(); err != nil {
		t.Fatal(err)
	}
	h.waitSent(1)
	h.waitAcked()
	h.push(alice, "next")
	sent := h.waitSent(2)

	if sent[0].Text != "turn 1: slow" || sent[1].Text != "turn 2: next" {
		t.Errorf("answers = %q, %q; want turn 1 and turn 2", sent[0].Text, sent[1].Text)
	}
	if n := len(api.Sent()); n != 2 {
		t.Errorf("sent %d messages, want 2", n)
	}
}

func TestTelegramHonoursRetryAfter(t *testing.T) {
	api := startAPI(t)
	h := startGateway(t, api, testSettings(api), nil)
	h.waitStatus("connected", connected)
	api.RateLimit(1, 1)

	start := time.Now()
	h.push(alice, "hi")
	sent := h.waitSent(1)

	if sent[0].Text != "turn 1: hi" {
		t.Errorf("answer = %q", sent[0].Text)
	}
	if elapsed := time.Since(start); elapsed < time.Second {
		t.Errorf("answer sent %v after a 429 with retry_after 1, want at least 1s", elapsed)
	}
}

func TestTelegramGroupMessages(t *testing.T) {
	api := startAPI(t)
	s := testSettings(api)
	s.Telegram.AllowAllUsers = true
	h := startGateway(t, api, s, nil)
	h.waitStatus("connected", connected)
	group := func(text string) models.Message {
		return models.Message{
			Chat:            models.Chat{ID: -100, Type: models.ChatTypeSupergroup},
			From:            &models.User{ID: alice, FirstName: "Alice"},
			Text:            text,
			IsTopicMessage:  true,
			MessageThreadID: 7,
		}
	}

	api.Push(group("just chatting"))
	api.Push(group("@TestBot what is up"))
	h.waitAcked()
	sent := h.waitSent(1)

	if len(sent) != 1 || sent[0].Text != "turn 1: what is up" {
		t.Fatalf("sent = %+v, want one answer to the mention", sent)
	}
	if sent[0].ChatID != "-100" || sent[0].ThreadID != 7 {
		t.Errorf("answer went to chat %s thread %d, want -100 thread 7", sent[0].ChatID, sent[0].ThreadID)
	}
}

func TestTelegramFatalErrors(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(s *Settings, api *telegramtest.Server)
		code   string
	}{
		{"wrong token", func(s *Settings, _ *telegramtest.Server) {
			s.Telegram.Token = "654321:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
		}, CodeTokenInvalid},
		{"placeholder token", func(s *Settings, _ *telegramtest.Server) {
			s.Telegram.Token = "changeme"
		}, CodeTokenInvalid},
		{"conflict", func(_ *Settings, api *telegramtest.Server) { api.SetConflict(true) }, CodeConflict},
		{
			"base url", func(s *Settings, _ *telegramtest.Server) { s.Telegram.BaseURL = "ftp://x" },
			CodeConfigInvalid,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := startAPI(t)
			s := testSettings(api)
			tt.mutate(&s, api)
			h := startGateway(t, api, s, nil)
			row := h.waitStatus("fatal", func(r messages.PlatformStatus) bool {
				return r.State == messages.StateFatal
			})
			if row.ErrorCode != tt.code {
				t.Errorf("error code = %q, want %q (%s)", row.ErrorCode, tt.code, row.ErrorMessage)
			}
			if strings.Contains(row.ErrorMessage, s.Telegram.Token) && s.Telegram.Token != "" {
				t.Error("the error message contains the token")
			}
		})
	}
}
