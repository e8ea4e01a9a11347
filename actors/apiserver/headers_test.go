package apiserver_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/actorgate/actorgate"
	"github.com/actorgate/actorgate/config"
)

// logRecorder records what the gateway logs at info level and above.
type logRecorder struct {
	logs *observer.ObservedLogs
	core zapcore.Core
}

func newLogRecorder() *logRecorder {
	core, logs := observer.New(zap.InfoLevel)
	return &logRecorder{logs: logs, core: core}
}

func (l *logRecorder) option() actorgate.Option {
	return actorgate.WithLogger(zap.New(l.core))
}

// waitRequestLine polls until the request line of the request with id is
// logged, and checks its status.
func (l *logRecorder) waitRequestLine(t *testing.T, id string, status int) {
	t.Helper()
	if id == "" {
		t.Error("the response has no X-Request-Id")
		return
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, e := range l.logs.FilterMessage("request").All() {
			if e.ContextMap()["request_id"] != id {
				continue
			}
			if got := e.ContextMap()["status"]; got != int64(status) {
				t.Errorf("request line of %s: status = %v, want %d", id, got, status)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("no request line with request_id %q", id)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func checkCommonHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options = %q", what, got)
	}
	if got := h.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("%s: Referrer-Policy = %q", what, got)
	}
	if h.Get("X-Request-Id") == "" {
		t.Errorf("%s: no X-Request-Id", what)
	}
}

func TestCommonHeadersOnEveryResponse(t *testing.T) {
	logs := newLogRecorder()
	a := startAPIWith(t, func(c *config.Config) {
		c.Platforms.APIServer.CORSOrigins = []string{"http://app.test"}
		c.Platforms.APIServer.MaxRequestBytes = 2048
	}, logs.option())
	big := `{"messages":"` + strings.Repeat("x", 4096) + `"}`
	cases := []struct {
		name    string
		method  string
		path    string
		body    any
		headers []string
		status  int
	}{
		{"health", http.MethodGet, "/health", nil, nil, 200},
		{"models", http.MethodGet, "/v1/models", nil, nil, 200},
		{"chat", http.MethodPost, "/v1/chat/completions", chatBody("hi"), nil, 200},
		{"no key", http.MethodGet, "/v1/models", nil, []string{"Authorization", ""}, 401},
		{"bad origin", http.MethodGet, "/health", nil, []string{"Origin", "http://evil.test"}, 403},
		{"unknown route", http.MethodGet, "/v2/nothing", nil, nil, 404},
		{"wrong method", http.MethodPut, "/v1/models", nil, nil, 405},
		{"too large", http.MethodPost, "/v1/chat/completions", big, nil, 413},
		{"bad request", http.MethodPost, "/v1/chat/completions", "{", nil, 400},
		{"preflight", http.MethodOptions, "/v1/chat/completions", nil, []string{
			"Origin", "http://app.test", "Access-Control-Request-Method", "POST",
		}, 204},
	}
	for _, c := range cases {
		r := a.call(c.method, c.path, c.body, c.headers...)
		if r.status != c.status {
			t.Errorf("%s: status = %d, want %d: %s", c.name, r.status, c.status, r.body)
		}
		checkCommonHeaders(t, c.name, r.header)
		logs.waitRequestLine(t, r.header.Get("X-Request-Id"), c.status)
	}

	s := a.openStream("/v1/chat/completions", chatBody("hi", "stream", true))
	s.rest()
	checkCommonHeaders(t, "stream", s.resp.Header)
	logs.waitRequestLine(t, s.resp.Header.Get("X-Request-Id"), 200)
}

func TestClientRequestID(t *testing.T) {
	a := startAPI(t, nil)
	r := a.call(http.MethodGet, "/health", nil, "X-Request-Id", "trace-42_a.b")
	if got := r.header.Get("X-Request-Id"); got != "trace-42_a.b" {
		t.Errorf("valid client id: X-Request-Id = %q", got)
	}
	for _, bad := range []string{"has space", strings.Repeat("x", 129), "semi;colon"} {
		r := a.call(http.MethodGet, "/health", nil, "X-Request-Id", bad)
		if got := r.header.Get("X-Request-Id"); got == bad || !strings.HasPrefix(got, "req_") {
			t.Errorf("invalid client id %q: X-Request-Id = %q, want a generated one", bad, got)
		}
	}
}

func TestCORS(t *testing.T) {
	deny := startAPI(t, nil)
	list := startAPI(t, func(c *config.Config) {
		c.Platforms.APIServer.CORSOrigins = []string{"http://app.test", "HTTPS://Other.Test"}
	})
	star := startAPI(t, func(c *config.Config) { c.Platforms.APIServer.CORSOrigins = []string{"*"} })
	cases := []struct {
		name   string
		a      *api
		path   string
		origin string
		status int
		allow  string
		vary   bool
	}{
		{"default denies health", deny, "/health", "http://app.test", 403, "", true},
		{"default denies models", deny, "/v1/models", "http://app.test", 403, "", true},
		{"no origin passes", deny, "/v1/models", "", 200, "", false},
		{"listed origin", list, "/v1/models", "http://app.test", 200, "http://app.test", true},
		{"listed origin any case", list, "/health", "https://other.test", 200, "https://other.test", true},
		{"unlisted origin", list, "/health", "http://evil.test", 403, "", true},
		{"listed origin no origin", list, "/health", "", 200, "", false},
		{"star", star, "/v1/models", "http://anything.test", 200, "*", false},
	}
	for _, c := range cases {
		r := c.a.call(http.MethodGet, c.path, nil, "Origin", c.origin)
		if r.status != c.status {
			t.Errorf("%s: status = %d, want %d: %s", c.name, r.status, c.status, r.body)
			continue
		}
		if got := r.header.Get("Access-Control-Allow-Origin"); got != c.allow {
			t.Errorf("%s: Access-Control-Allow-Origin = %q, want %q", c.name, got, c.allow)
		}
		if got := strings.Contains(r.header.Get("Vary"), "Origin"); got != c.vary {
			t.Errorf("%s: Vary: Origin present = %v, want %v", c.name, got, c.vary)
		}
		if c.status == 403 {
			if code := r.errorField(t, "code"); code != "origin_not_allowed" {
				t.Errorf("%s: code = %v", c.name, code)
			}
			if msg, _ := r.errorField(t, "message").(string); !strings.Contains(msg, "API_SERVER_CORS_ORIGINS") {
				t.Errorf("%s: message does not name the setting: %q", c.name, msg)
			}
		}
		if c.origin == "" {
			for name := range r.header {
				if strings.HasPrefix(name, "Access-Control-") {
					t.Errorf("%s: CORS header %s without an Origin", c.name, name)
				}
			}
		}
	}
}

func TestCORSPreflight(t *testing.T) {
	a := startAPI(t, func(c *config.Config) {
		c.Platforms.APIServer.CORSOrigins = []string{"http://app.test"}
	})
	preflight := func(origin, headers string) result {
		return a.call(http.MethodOptions, "/v1/chat/completions", nil,
			"Authorization", "", "Origin", origin, "Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", headers)
	}
	own := "authorization, content-type, x-session-key, x-hermes-session-key, idempotency-key, " +
		"x-request-id, x-stainless-os, x-stainless-retry-count"
	r := preflight("http://app.test", own)
	if r.status != http.StatusNoContent {
		t.Fatalf("preflight: status = %d: %s", r.status, r.body)
	}
	allowed := strings.ToLower(r.header.Get("Access-Control-Allow-Headers"))
	for _, h := range strings.Split(own, ", ") {
		if !strings.Contains(allowed, h) {
			t.Errorf("Access-Control-Allow-Headers %q lacks %s", allowed, h)
		}
	}
	if m := r.header.Get("Access-Control-Allow-Methods"); !strings.Contains(m, "POST") ||
		!strings.Contains(m, "DELETE") {
		t.Errorf("Access-Control-Allow-Methods = %q", m)
	}
	if got := r.header.Get("Access-Control-Allow-Origin"); got != "http://app.test" {
		t.Errorf("Access-Control-Allow-Origin = %q", got)
	}
	exposed := r.header.Get("Access-Control-Expose-Headers")
	for _, h := range []string{"X-Request-Id", "Idempotency-Replayed", "Retry-After", "Retry-After-Ms"} {
		if !slices.Contains(strings.Split(exposed, ", "), h) {
			t.Errorf("Access-Control-Expose-Headers %q lacks %s", exposed, h)
		}
	}

	r = preflight("http://app.test", "x-evil-header")
	if r.status != http.StatusNoContent {
		t.Fatalf("preflight with a foreign header: status = %d", r.status)
	}
	if got := strings.ToLower(r.header.Get("Access-Control-Allow-Headers")); strings.Contains(got, "x-evil") {
		t.Errorf("a foreign header was allowed: %q", got)
	}
	if r := preflight("http://evil.test", own); r.status != http.StatusForbidden {
		t.Errorf("preflight from an unlisted origin: status = %d, want 403", r.status)
	}
}
