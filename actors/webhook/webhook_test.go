package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/agent"
	"github.com/actorgate/actorgate/actors/gateway"
	"github.com/actorgate/actorgate/actors/sessions"
	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const testSecret = "0123456789abcdef-test-secret"

// breakableListener can be closed from the test to make the server fail.
type breakableListener struct {
	net.Listener
}

// listeners hands out listeners on 127.0.0.1:0 and remembers the last.
type listeners struct {
	mu   sync.Mutex
	last *breakableListener
}

func (l *listeners) listen(network, _ string) (net.Listener, error) {
	ln, err := net.Listen(network, "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := &breakableListener{Listener: ln}
	l.mu.Lock()
	l.last = b
	l.mu.Unlock()
	return b, nil
}

func (l *listeners) url() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return "http://" + l.last.Addr().String() + Path
}

func (l *listeners) breakIt() {
	l.mu.Lock()
	defer l.mu.Unlock()
	_ = l.last.Close()
}

type harness struct {
	t      *testing.T
	system *actor.ActorSystem
	pid    *actor.PID
	lns    *listeners
	now    func() time.Time
}

func testSettings(lns *listeners) Settings {
	return Settings{
		Webhook: config.WebhookConfig{
			Host: "127.0.0.1", Port: 1, Secret: testSecret, ReplayWindow: time.Minute,
		},
		Sessions:     config.SessionsConfig{ResetHour: config.SessionResetOff, HistoryLength: 20},
		AgentTimeout: 10 * time.Second,
		Grace:        5 * time.Second,
		Listen:       lns.listen,
	}
}

func startGateway(t *testing.T, s Settings, backend func() (agent.Backend, error)) *harness {
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
	h := &harness{t: t, system: system, pid: pid, now: time.Now}
	if s.Listen != nil {
		h.lns = &listeners{}
	}
	return h
}

// status polls the gateway until cond holds for the webhook's row.
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
			h.t.Fatalf("webhook never became %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func connected(r messages.PlatformStatus) bool { return r.State == messages.StateConnected }

// post sends a signed request and returns the status and body.
func post(t *testing.T, url string, body any, sign func(b []byte) (string, string)) (int, []byte) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if sign != nil {
		ts, sig := sign(b)
		req.Header.Set(HeaderTimestamp, ts)
		req.Header.Set(HeaderSignature, sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func signNow(b []byte) (string, string) { return Sign(testSecret, time.Now(), b) }

func ask(t *testing.T, url, user, text string) Reply {
	t.Helper()
	status, body := post(t, url, Request{ChatID: "c-" + user, UserID: user, Text: text}, signNow)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	var r Reply
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestWebhookAnswersWithHistory(t *testing.T) {
	lns := &listeners{}
	h := startGateway(t, testSettings(lns), nil)
	h.waitStatus("connected", connected)

	first := ask(t, lns.url(), "u1", "hello")
	second := ask(t, lns.url(), "u1", "again")
	other := ask(t, lns.url(), "u2", "hi")

	if first.Reply != "turn 1: hello" || len(first.Parts) != 1 || first.Parts[0] != first.Reply {
		t.Errorf("first = %+v", first)
	}
	if second.Reply != "turn 2: again" {
		t.Errorf("second = %q, want turn 2", second.Reply)
	}
	if other.Reply != "turn 1: hi" {
		t.Errorf("another chat = %q, want its own history", other.Reply)
	}
	if !strings.HasPrefix(first.RequestID, "wh_") {
		t.Errorf("request id = %q", first.RequestID)
	}
}

func TestWebhookRejectsBadRequests(t *testing.T) {
	lns := &listeners{}
	h := startGateway(t, testSettings(lns), nil)
	h.waitStatus("connected", connected)
	url := lns.url()
	valid := Request{ChatID: "c", UserID: "u", Text: "secret plan"}

	replayed, _ := json.Marshal(valid)
	rts, rsig := signNow(replayed)

	tests := []struct {
		name   string
		body   any
		sign   func([]byte) (string, string)
		status int
		code   string
	}{
		{"unsigned", valid, nil, 401, "unsigned"},
		{"wrong secret", valid, func(b []byte) (string, string) {
			return Sign("another-secret-of-length", time.Now(), b)
		}, 401, "invalid_signature"},
		{"malformed signature", valid, func([]byte) (string, string) {
			return fmt.Sprint(time.Now().Unix()), "md5=abc"
		}, 401, "invalid_signature"},
		{"stale", valid, func(b []byte) (string, string) {
			return Sign(testSecret, time.Now().Add(-2*time.Minute), b)
		}, 401, "stale_timestamp"},
		{"future", valid, func(b []byte) (string, string) {
			return Sign(testSecret, time.Now().Add(2*time.Minute), b)
		}, 401, "stale_timestamp"},
		{"first use", valid, func([]byte) (string, string) { return rts, rsig }, 200, ""},
		{"replay", valid, func([]byte) (string, string) { return rts, rsig }, 401, "replayed"},
		{"missing user", Request{ChatID: "c", Text: "x"}, signNow, 400, "invalid_request"},
		{"missing text", Request{ChatID: "c", UserID: "u"}, signNow, 400, "invalid_request"},
		{"callback not allowed", Request{
			ChatID: "c", UserID: "u", Text: "x",
			CallbackURL: "http://127.0.0.1:1/cb",
		}, signNow, 403, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := post(t, url, tt.body, tt.sign)
			if status != tt.status {
				t.Fatalf("status = %d, want %d: %s", status, tt.status, body)
			}
			if tt.code != "" && !strings.Contains(string(body), `"code":"`+tt.code+`"`) {
				t.Errorf("body %s lacks code %s", body, tt.code)
			}
		})
	}

	// Only the one accepted request reached the agent.
	status, body := post(t, url, Request{ChatID: "c", UserID: "u", Text: "next"}, signNow)
	if status != http.StatusOK || !strings.Contains(string(body), `"reply":"turn 2: next"`) {
		t.Errorf("after the rejections: %d %s, want turn 2", status, body)
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

func TestWebhookSplitsLongAnswer(t *testing.T) {
	long := strings.Repeat("Line of a long answer.\n", 40)
	lns := &listeners{}
	s := testSettings(lns)
	s.PartLimit = 100
	h := startGateway(t, s, func() (agent.Backend, error) { return fixedBackend{long}, nil })
	h.waitStatus("connected", connected)

	r := ask(t, lns.url(), "u", "talk")

	if len(r.Parts) < 9 {
		t.Fatalf("got %d parts, want at least 9", len(r.Parts))
	}
	for i, p := range r.Parts {
		if len([]rune(p)) > 100 || !strings.HasSuffix(p, ".") {
			t.Errorf("part %d = %q: over 100 characters or cut inside a line", i, p)
		}
	}
	if strings.Join(r.Parts, "\n") != strings.TrimSpace(long) {
		t.Error("the parts joined by line breaks differ from the answer")
	}
}

// callbackServer records the signed callbacks it receives.
type callbackServer struct {
	t       *testing.T
	mu      sync.Mutex
	replies []Reply
	got     chan Reply
}

func (c *callbackServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	v := newVerifier(testSecret, time.Minute, time.Now)
	if err := v.verify(r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), body); err != nil {
		c.t.Errorf("callback signature: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var reply Reply
	if err := json.Unmarshal(body, &reply); err != nil {
		c.t.Errorf("callback body: %v", err)
	}
	c.mu.Lock()
	c.replies = append(c.replies, reply)
	c.mu.Unlock()
	c.got <- reply
}

func newCallbackServer(t *testing.T) (*callbackServer, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cb := &callbackServer{t: t, got: make(chan Reply, 10)}
	srv := &http.Server{Handler: cb, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return cb, "http://" + ln.Addr().String()
}

func (c *callbackServer) wait(t *testing.T) Reply {
	t.Helper()
	select {
	case r := <-c.got:
		return r
	case <-time.After(15 * time.Second):
		t.Fatal("no callback within 15s")
		return Reply{}
	}
}

func TestWebhookCallback(t *testing.T) {
	cb, origin := newCallbackServer(t)
	lns := &listeners{}
	s := testSettings(lns)
	s.Webhook.CallbackAllowlist = []string{origin}
	h := startGateway(t, s, nil)
	h.waitStatus("connected", connected)

	status, body := post(t, lns.url(), Request{
		ChatID: "c", UserID: "u", Text: "call me", CallbackURL: origin + "/hook?x=1",
	}, signNow)
	if status != http.StatusAccepted {
		t.Fatalf("status = %d, want 202: %s", status, body)
	}
	var accepted map[string]string
	_ = json.Unmarshal(body, &accepted)

	r := cb.wait(t)
	if r.Reply != "turn 1: call me" || r.RequestID != accepted["request_id"] || r.ChatID != "c" {
		t.Errorf("callback = %+v, accepted %v", r, accepted)
	}
}

// gatedBackend is the echo backend, except that a message starting with
// "slow" waits until the gate opens.
type gatedBackend struct {
	agent.Backend
	entered chan struct{}
	gate    chan struct{}
}

func (g gatedBackend) Run(ctx context.Context, req *messages.AgentRequest,
	emit func(messages.AgentDelta),
) messages.AgentReply {
	last := req.Messages[len(req.Messages)-1].Content
	if strings.HasPrefix(last, "slow") {
		g.entered <- struct{}{}
		select {
		case <-g.gate:
		case <-ctx.Done():
		}
	}
	return g.Backend.Run(ctx, req, emit)
}

func TestWebhookRestartLosesNothing(t *testing.T) {
	cb, origin := newCallbackServer(t)
	lns := &listeners{}
	s := testSettings(lns)
	s.Webhook.CallbackAllowlist = []string{origin}
	g := gatedBackend{Backend: agent.NewEcho(), entered: make(chan struct{}, 1), gate: make(chan struct{})}
	h := startGateway(t, s, func() (agent.Backend, error) { return g, nil })
	h.waitStatus("connected", connected)

	if r := ask(t, lns.url(), "u", "one"); r.Reply != "turn 1: one" {
		t.Fatalf("first = %q", r.Reply)
	}
	status, _ := post(t, lns.url(), Request{
		ChatID: "c-u", UserID: "u", Text: "slow two", CallbackURL: origin,
	}, signNow)
	if status != http.StatusAccepted {
		t.Fatalf("callback request status %d", status)
	}
	<-g.entered

	// The listener fails under the adapter: the gateway restarts it, and
	// the accepted message finishes within the grace period first.
	lns.breakIt()
	h.waitStatus("failed", func(r messages.PlatformStatus) bool { return r.Restarts >= 1 })
	close(g.gate)
	if r := cb.wait(t); r.Reply != "turn 2: slow two" {
		t.Errorf("callback across the restart = %q, want turn 2", r.Reply)
	}
	row := h.waitStatus("connected again", connected)
	if row.Restarts != 1 {
		t.Errorf("restarts = %d, want 1", row.Restarts)
	}

	if r := ask(t, lns.url(), "u", "three"); r.Reply != "turn 3: three" {
		t.Errorf("after the restart: %q, want turn 3 (nothing lost, nothing repeated)", r.Reply)
	}
	cb.mu.Lock()
	defer cb.mu.Unlock()
	if len(cb.replies) != 1 {
		t.Errorf("callbacks = %d, want exactly 1", len(cb.replies))
	}
}

func TestWebhookFatalSettings(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = busy.Close() }()
	busyPort := busy.Addr().(*net.TCPAddr).Port

	tests := []struct {
		name   string
		mutate func(s *Settings)
		code   string
	}{
		{"short secret", func(s *Settings) { s.Webhook.Secret = "short" }, CodeSecretInvalid},
		{"placeholder secret", func(s *Settings) { s.Webhook.Secret = "changeme" }, CodeSecretInvalid},
		{"port in use", func(s *Settings) {
			s.Webhook.Port = busyPort
			s.Listen = nil
		}, CodePortInUse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSettings(&listeners{})
			tt.mutate(&s)
			h := startGateway(t, s, nil)
			row := h.waitStatus("fatal", func(r messages.PlatformStatus) bool {
				return r.State == messages.StateFatal
			})
			if row.ErrorCode != tt.code {
				t.Errorf("error code = %q, want %q", row.ErrorCode, tt.code)
			}
			if !strings.Contains(row.ErrorMessage, "SIGHUP") {
				t.Errorf("message %q does not say how to apply the fix", row.ErrorMessage)
			}
		})
	}
}

func TestVerifierConstantFormat(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	v := newVerifier("k", time.Minute, func() time.Time { return now })
	ts, sig := Sign("k", now, []byte("body"))
	if ts != "1700000000" || !strings.HasPrefix(sig, "sha256=") || len(sig) != 7+64 {
		t.Fatalf("Sign = %q, %q", ts, sig)
	}
	if err := v.verify(ts, strings.ToUpper(sig[:7])+sig[7:], []byte("body")); err == nil {
		t.Error("a signature with an upper-case prefix was accepted")
	}
	if err := v.verify(ts, sig, []byte("body!")); err == nil {
		t.Error("a signature over another body was accepted")
	}
	if err := v.verify(ts, sig, []byte("body")); err != nil {
		t.Errorf("valid signature: %v", err)
	}
}
