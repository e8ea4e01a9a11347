package apiserver_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/actorgate/actorgate"
	"github.com/actorgate/actorgate/config"
)

// routeCall is one request of failEveryRoute and its response.
type routeCall struct {
	name string
	result
}

// failEveryRoute sends one request to each of /v1/chat/completions and
// /v1/responses, streamed and not, and returns the responses. A streamed
// request whose run fails before the first byte gets a JSON error too.
func (a *api) failEveryRoute() []routeCall {
	a.t.Helper()
	var out []routeCall
	for _, path := range []string{"/v1/chat/completions", "/v1/responses"} {
		for _, stream := range []bool{false, true} {
			body := map[string]any{"model": "m", "stream": stream}
			if path == "/v1/responses" {
				body["input"] = "hi"
			} else {
				body["messages"] = []any{map[string]any{"role": "user", "content": "hi"}}
			}
			s := a.openStream(path, body)
			r := result{status: s.resp.StatusCode, header: s.resp.Header, body: s.body()}
			out = append(out, routeCall{name: fmt.Sprintf("%s stream=%v", path, stream), result: r})
		}
	}
	return out
}

// observedGateway starts a gateway, configured by edit, that logs to the
// returned observer.
func observedGateway(t *testing.T, edit func(*config.Config)) (*api, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	return startAPIWith(t, edit, actorgate.WithLogger(zap.New(core))), logs
}

func TestUpstreamRefusedHidesAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(addr)
	a, logs := observedGateway(t, func(c *config.Config) {
		c.Agent.Backend = config.BackendOpenAI
		c.Agent.BaseURL = "http://" + addr + "/v1"
	})

	for _, call := range a.failEveryRoute() {
		if call.status != http.StatusBadGateway {
			t.Errorf("%s: status = %d, want 502: %s", call.name, call.status, call.body)
			continue
		}
		if code := call.errorField(t, "code"); code != "agent_incomplete" {
			t.Errorf("%s: code = %v, want agent_incomplete", call.name, code)
		}
		message, _ := call.errorField(t, "message").(string)
		if !strings.Contains(message, "connection refused") {
			t.Errorf("%s: message = %q, want it to say the connection was refused",
				call.name, message)
		}
		for _, part := range []string{"127.0.0.1", port} {
			if strings.Contains(string(call.body), part) {
				t.Errorf("%s: the body names the upstream's %q: %s", call.name, part, call.body)
			}
		}
		checkFailureLogged(t, logs, call.header.Get("X-Request-Id"), addr, zapcore.WarnLevel)
	}
}

// checkFailureLogged checks that the failed run requestID was logged
// once, at level, with a cause that contains want.
func checkFailureLogged(t *testing.T, logs *observer.ObservedLogs, requestID, want string,
	level zapcore.Level,
) {
	t.Helper()
	entries := logs.FilterMessage("agent run failed").
		FilterField(zap.String("request_id", requestID)).All()
	if len(entries) != 1 {
		t.Errorf("request %s: %d failure log lines, want 1", requestID, len(entries))
		return
	}
	if entries[0].Level != level {
		t.Errorf("request %s: failure logged at %s, want %s", requestID, entries[0].Level, level)
	}
	cause, _ := entries[0].ContextMap()["cause"].(string)
	if !strings.Contains(cause, want) {
		t.Errorf("request %s: logged cause = %q, want it to contain %q", requestID, cause, want)
	}
}

// rateLimited responds with status, an OpenAI rate limit envelope and the
// given headers, as name/value pairs.
func rateLimited(status int, headers ...string) upstreamHandler {
	return func(w http.ResponseWriter, _ *http.Request, _ *upstreamCall) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"error":{"message":"Rate limit reached for requests",` +
			`"type":"requests","param":null,"code":"rate_limit_exceeded"}}`))
	}
}

func TestUpstreamStatusPassesRetryAfter(t *testing.T) {
	cases := []struct {
		name         string
		answer       upstreamHandler
		status       int
		typ, code    string
		retryAfter   string
		retryAfterMS string
		message      string
	}{
		{
			"429 seconds", rateLimited(429, "Retry-After", "7"), 429,
			"rate_limit_error", "rate_limit_exceeded", "7", "7000",
			"the agent's upstream is rate limiting the gateway, so retry after 7 seconds",
		},
		{
			"429 milliseconds", rateLimited(429, "Retry-After-Ms", "1200"), 429,
			"rate_limit_error", "rate_limit_exceeded", "2", "1200",
			"the agent's upstream is rate limiting the gateway, so retry after 2 seconds",
		},
		{
			"429 garbage", rateLimited(429, "Retry-After", "soon"), 429,
			"rate_limit_error", "rate_limit_exceeded", "", "",
			"the agent's upstream is rate limiting the gateway, so retry later",
		},
		{
			"429 too long", rateLimited(429, "Retry-After", "999999999"), 429,
			"rate_limit_error", "rate_limit_exceeded", "", "",
			"the agent's upstream is rate limiting the gateway, so retry later",
		},
		{
			"503 seconds", rateLimited(503, "Retry-After", "30"), 503,
			"server_error", "agent_incomplete", "30", "30000",
			"the agent's upstream is unavailable, so retry after 30 seconds",
		},
		{
			"503 without header", rateLimited(503), 503,
			"server_error", "agent_incomplete", "", "",
			"the agent's upstream is unavailable, so retry later",
		},
		{
			"500 ignores header", rateLimited(500, "Retry-After", "7"), 502,
			"server_error", "agent_incomplete", "", "",
			"the agent produced no answer (upstream_error): the upstream returned HTTP 500",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := startAPI(t, useUpstream(newUpstream(t, c.answer)))
			for _, call := range a.failEveryRoute() {
				if call.status != c.status {
					t.Errorf("%s: status = %d, want %d: %s", call.name, call.status, c.status,
						call.body)
					continue
				}
				checkErrorEnvelope(t, call, c.typ, c.code, c.message)
				if got := call.header.Get("Retry-After"); got != c.retryAfter {
					t.Errorf("%s: Retry-After = %q, want %q", call.name, got, c.retryAfter)
				}
				if got := call.header.Get("Retry-After-Ms"); got != c.retryAfterMS {
					t.Errorf("%s: retry-after-ms = %q, want %q", call.name, got, c.retryAfterMS)
				}
			}
		})
	}
}

// checkErrorEnvelope checks the type and code of an error response, and
// that its message starts with message.
func checkErrorEnvelope(t *testing.T, call routeCall, typ, code, message string) {
	t.Helper()
	if got := call.errorField(t, "type"); got != typ {
		t.Errorf("%s: type = %v, want %s", call.name, got, typ)
	}
	if got := call.errorField(t, "code"); got != code {
		t.Errorf("%s: code = %v, want %s", call.name, got, code)
	}
	if got, _ := call.errorField(t, "message").(string); !strings.HasPrefix(got, message) {
		t.Errorf("%s: message = %q, want it to start with %q", call.name, got, message)
	}
	if ct := call.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: content type = %q", call.name, ct)
	}
}

func TestUpstreamCredentialsRejected(t *testing.T) {
	const upstreamText = "Incorrect API key provided: sk-up****-key."
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ *upstreamCall) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				_, _ = w.Write([]byte(`{"error":{"message":"` + upstreamText + `",` +
					`"type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`))
			})
			a, logs := observedGateway(t, useUpstream(up))
			for _, call := range a.failEveryRoute() {
				if call.status != http.StatusBadGateway {
					t.Errorf("%s: status = %d, want 502: %s", call.name, call.status, call.body)
					continue
				}
				checkErrorEnvelope(t, call, "server_error", "agent_incomplete",
					fmt.Sprintf("the agent produced no answer: the upstream rejected the "+
						"gateway's credentials (HTTP %d)", status))
				if strings.Contains(string(call.body), "sk-up") {
					t.Errorf("%s: the body quotes the upstream's key message: %s",
						call.name, call.body)
				}
				checkFailureLogged(t, logs, call.header.Get("X-Request-Id"),
					"agent.api_key (AGENT_API_KEY)", zapcore.ErrorLevel)
			}
		})
	}
}

// sdkClient is the official Go SDK aimed at a, without retries unless
// opts add them.
func (a *api) sdkClient(opts ...option.RequestOption) openai.Client {
	base := []option.RequestOption{
		option.WithBaseURL(a.base + "/v1"), option.WithAPIKey(a.key), option.WithMaxRetries(0),
	}
	return openai.NewClient(append(base, opts...)...)
}

// requireSDKStatus checks that err is the SDK's API error with status and
// code.
func requireSDKStatus(t *testing.T, request string, err error, status int, code string) {
	t.Helper()
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) {
		t.Errorf("%s: error = %v (%T), want *openai.Error", request, err, err)
		return
	}
	if apiErr.StatusCode != status {
		t.Errorf("%s: status = %d, want %d", request, apiErr.StatusCode, status)
	}
	if apiErr.Code != code {
		t.Errorf("%s: code = %q, want %q", request, apiErr.Code, code)
	}
}

func TestSDKSeesRateLimit(t *testing.T) {
	a := startAPI(t, useUpstream(newUpstream(t, rateLimited(429, "Retry-After", "7"))))
	client := a.sdkClient()
	ctx := context.Background()
	chat := openai.ChatCompletionNewParams{
		Model:    "m",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
	}

	_, err := client.Chat.Completions.New(ctx, chat)
	requireSDKStatus(t, "chat", err, http.StatusTooManyRequests, "rate_limit_exceeded")

	stream := client.Chat.Completions.NewStreaming(ctx, chat)
	for stream.Next() {
		t.Errorf("chat stream: unexpected chunk %+v", stream.Current())
	}
	requireSDKStatus(t, "chat stream", stream.Err(), http.StatusTooManyRequests,
		"rate_limit_exceeded")
	_ = stream.Close()

	params := responses.ResponseNewParams{
		Model: "m",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("hi")},
	}
	_, err = client.Responses.New(ctx, params)
	requireSDKStatus(t, "responses", err, http.StatusTooManyRequests, "rate_limit_exceeded")

	events := client.Responses.NewStreaming(ctx, params)
	for events.Next() {
		t.Errorf("responses stream: unexpected event %+v", events.Current())
	}
	requireSDKStatus(t, "responses stream", events.Err(), http.StatusTooManyRequests,
		"rate_limit_exceeded")
	_ = events.Close()
}

func TestSDKRetriesAfterRateLimit(t *testing.T) {
	var up *fakeUpstream
	up = newUpstream(t, func(w http.ResponseWriter, r *http.Request, call *upstreamCall) {
		if up.count() == 1 {
			rateLimited(429, "Retry-After-Ms", "10")(w, r, call)
			return
		}
		textAnswer("after ", "the wait")(w, r, call)
	})
	a := startAPI(t, useUpstream(up))
	client := a.sdkClient(option.WithMaxRetries(1))

	got, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model:    "m",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
	})
	if err != nil {
		t.Fatalf("the SDK did not retry after the rate limit: %v", err)
	}
	if text := got.Choices[0].Message.Content; text != "after the wait" {
		t.Errorf("text = %q, want the answer of the retry", text)
	}
	if n := up.count(); n != 2 {
		t.Errorf("the upstream received %d requests, want 2", n)
	}
}

func TestIdempotencyKeyReleasedAfterRateLimit(t *testing.T) {
	var up *fakeUpstream
	up = newUpstream(t, func(w http.ResponseWriter, r *http.Request, call *upstreamCall) {
		if up.count() == 1 {
			rateLimited(429, "Retry-After", "1")(w, r, call)
			return
		}
		textAnswer("done")(w, r, call)
	})
	a := startAPI(t, useUpstream(up))

	first := a.call(http.MethodPost, "/v1/chat/completions", chatBody("hi"),
		"Idempotency-Key", "retry-me")
	if first.status != http.StatusTooManyRequests {
		t.Fatalf("first: status = %d, want 429: %s", first.status, first.body)
	}
	second := a.call(http.MethodPost, "/v1/chat/completions", chatBody("hi"),
		"Idempotency-Key", "retry-me")
	if second.status != http.StatusOK {
		t.Fatalf("retry: status = %d, want 200: %s", second.status, second.body)
	}
	if second.header.Get("Idempotency-Replayed") != "" {
		t.Errorf("the retry replayed the 429 instead of running again")
	}
	if n := up.count(); n != 2 {
		t.Errorf("the upstream received %d requests, want 2", n)
	}
}

// resetAfterWord streams one word, waits for a value on reset, and then
// resets the connection, so the gateway's read fails with an error that
// names the upstream's address.
func resetAfterWord(reset <-chan struct{}) upstreamHandler {
	return func(w http.ResponseWriter, r *http.Request, _ *upstreamCall) {
		s := startSSE(w)
		s.chunk(map[string]any{"role": "assistant", "content": ""}, nil)
		s.text("partial")
		select {
		case <-reset:
		case <-r.Context().Done():
			return
		}
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		if tcp, ok := conn.(*net.TCPConn); ok {
			_ = tcp.SetLinger(0)
		}
		_ = conn.Close()
	}
}

func TestStreamFailureHidesAddress(t *testing.T) {
	// One value per request, buffered so that a send never waits.
	reset := make(chan struct{}, 2)
	up := newUpstream(t, resetAfterWord(reset))
	_, port, err := net.SplitHostPort(strings.TrimPrefix(up.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	a := startAPI(t, useUpstream(up))
	for _, path := range []string{"/v1/chat/completions", "/v1/responses"} {
		body := map[string]any{"model": "m", "stream": true, "input": "hi"}
		if path == "/v1/chat/completions" {
			body = chatBody("hi", "stream", true)
		}
		s := a.openStream(path, body)
		if s.resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status = %d: %s", path, s.resp.StatusCode, s.body())
		}
		var text strings.Builder
		for {
			ev := s.mustNext()
			text.WriteString(ev.data + "\n")
			if strings.Contains(ev.data, `"partial"`) {
				break
			}
		}
		reset <- struct{}{}
		var failed map[string]any
		for _, ev := range s.rest() {
			text.WriteString(ev.data + "\n")
			if ev.name == "response.failed" {
				failed, _ = ev.json(t)["response"].(map[string]any)
			}
		}
		for _, part := range []string{"127.0.0.1", port} {
			if strings.Contains(text.String(), part) {
				t.Errorf("%s: the stream names the upstream's %q:\n%s", path, part, text.String())
			}
		}
		if path != "/v1/responses" {
			continue
		}
		e, _ := failed["error"].(map[string]any)
		message, _ := e["message"].(string)
		if !strings.HasPrefix(message, "reading the upstream stream failed: ") {
			t.Errorf("response.failed error = %v, want the failed read", failed["error"])
		}
	}
}
