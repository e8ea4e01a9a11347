package metrics

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"github.com/actorgate/actorgate/messages"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func newMetrics(t *testing.T, opts ...Option) *Metrics {
	t.Helper()
	m, err := New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// scrape returns the text exposition of m's handler.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	m.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape status = %d, want 200", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("scrape Content-Type = %q, want text/plain", ct)
	}
	return rec.Body.String()
}

func TestHandlerServesTextFormat(t *testing.T) {
	m := newMetrics(t)
	m.ObserveUpstreamError("upstream_timeout")
	body := scrape(t, m)
	for _, want := range []string{
		"# TYPE actorgate_upstream_errors_total counter",
		`actorgate_upstream_errors_total{code="upstream_timeout"} 1`,
		"# TYPE actorgate_http_active_streams gauge",
		"actorgate_http_active_streams 0",
		"go_goroutines ",
		"process_open_fds ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
}

func TestWithoutRuntimeMetrics(t *testing.T) {
	body := scrape(t, newMetrics(t, WithoutRuntimeMetrics()))
	if strings.Contains(body, "go_goroutines") || strings.Contains(body, "process_open_fds") {
		t.Errorf("runtime series present without runtime metrics:\n%s", body)
	}
	if !strings.Contains(body, "actorgate_http_active_streams 0") {
		t.Error("actorgate series missing")
	}
}

func TestWithLabels(t *testing.T) {
	m := newMetrics(t, WithLabels(prometheus.Labels{"gateway": "support"}))
	m.ObserveUpstreamError("upstream_error")
	body := scrape(t, m)
	want := `actorgate_upstream_errors_total{code="upstream_error",gateway="support"} 1`
	if !strings.Contains(body, want) {
		t.Errorf("scrape lacks %q:\n%s", want, body)
	}
}

func TestWithInvalidLabelFails(t *testing.T) {
	tests := []struct {
		name   string
		labels prometheus.Labels
		want   string
	}{
		{"clashes with a series label", prometheus.Labels{"route": "x"}, "route"},
		{"value not UTF-8", prometheus.Labels{"gateway": "\xff"}, "gateway"},
		{"reserved name", prometheus.Labels{"__name": "x"}, "__name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(WithLabels(tt.labels))
			if !errors.Is(err, ErrRegister) {
				t.Fatalf("err = %v, want ErrRegister", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error does not name label %q: %v", tt.want, err)
			}
		})
	}
}

func TestNilMetricsIsNoop(t *testing.T) {
	var m *Metrics
	m.ObservePlatform(messages.PlatformStatus{Name: "x", State: messages.StateConnected})
	m.ObserveStoreOp("get_response", time.Millisecond, nil)
	m.ObserveUpstreamError("upstream_error")
	if m.Registry() != nil {
		t.Error("nil Metrics has a registry")
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})
	rec := httptest.NewRecorder()
	m.HTTPMiddleware(nil)(h).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusTeapot {
		t.Errorf("middleware of nil Metrics changed the status to %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("handler of nil Metrics answered %d, want 404", rec.Code)
	}
}

func TestObserveUpstreamError(t *testing.T) {
	m := newMetrics(t)
	for _, code := range []string{"upstream_error", "upstream_error", "cancelled", "", "upstream_unavailable"} {
		m.ObserveUpstreamError(code)
	}
	tests := []struct {
		code string
		want float64
	}{
		{"upstream_error", 2},
		{"upstream_unavailable", 1},
		{"cancelled", 0},
	}
	for _, tt := range tests {
		if got := testutil.ToFloat64(m.upstreamErrors.WithLabelValues(tt.code)); got != tt.want {
			t.Errorf("upstream errors %q = %v, want %v", tt.code, got, tt.want)
		}
	}
}

func TestObserveStoreOp(t *testing.T) {
	m := newMetrics(t)
	notFound := fmt.Errorf("response resp_x: %w", messages.ErrNotFound)
	unavailable := fmt.Errorf("writing: %w", messages.ErrStoreUnavailable)
	m.ObserveStoreOp("get_response", 2*time.Millisecond, nil)
	m.ObserveStoreOp("get_response", time.Millisecond, notFound)
	m.ObserveStoreOp("put_response", 3*time.Millisecond, unavailable)
	tests := []struct {
		op, result string
		want       float64
	}{
		{"get_response", "ok", 1},
		{"get_response", "not_found", 1},
		{"put_response", "error", 1},
		{"put_response", "ok", 0},
	}
	for _, tt := range tests {
		got := testutil.ToFloat64(m.storeOps.WithLabelValues(tt.op, tt.result))
		if got != tt.want {
			t.Errorf("store ops %s/%s = %v, want %v", tt.op, tt.result, got, tt.want)
		}
	}
	if n := testutil.CollectAndCount(m.storeLatency); n != 2 {
		t.Errorf("store latency series = %d, want 2 (one per op)", n)
	}
	body := scrape(t, m)
	if !strings.Contains(body, `actorgate_store_operation_duration_seconds_count{op="get_response"} 2`) {
		t.Errorf("latency count of get_response is not 2:\n%s", body)
	}
}

func stateValue(m *Metrics, platform string, s messages.PlatformState) float64 {
	return testutil.ToFloat64(m.states.WithLabelValues(platform, string(s)))
}

func TestObservePlatformStates(t *testing.T) {
	m := newMetrics(t)
	for _, s := range states {
		m.ObservePlatform(messages.PlatformStatus{Name: "irc", State: s})
		for _, other := range states {
			want := 0.0
			if other == s {
				want = 1
			}
			if got := stateValue(m, "irc", other); got != want {
				t.Errorf("in state %s: gauge %s = %v, want %v", s, other, got, want)
			}
		}
	}
}

func TestObservePlatformCounters(t *testing.T) {
	m := newMetrics(t)
	rows := []struct {
		name         string
		row          messages.PlatformStatus
		wantRestarts float64
	}{
		{"first start", messages.PlatformStatus{State: messages.StateConnecting}, 0},
		{"one failure", messages.PlatformStatus{State: messages.StateRetrying, Attempts: 1, Restarts: 1}, 1},
		{"same row again", messages.PlatformStatus{State: messages.StateRetrying, Attempts: 1, Restarts: 1}, 1},
		{"three more", messages.PlatformStatus{State: messages.StateRetrying, Attempts: 4, Restarts: 4}, 4},
		{"attention", messages.PlatformStatus{
			State: messages.StateRetrying, Attempts: 5, Restarts: 5, NeedsAttention: true,
		}, 5},
		{"connected", messages.PlatformStatus{State: messages.StateConnected, Restarts: 5}, 5},
		{"enrolled again", messages.PlatformStatus{State: messages.StateRetrying, Attempts: 1, Restarts: 1}, 6},
	}
	for _, tt := range rows {
		tt.row.Name = "telegram"
		m.ObservePlatform(tt.row)
		if got := testutil.ToFloat64(m.restarts.WithLabelValues("telegram")); got != tt.wantRestarts {
			t.Errorf("%s: restarts = %v, want %v", tt.name, got, tt.wantRestarts)
		}
		if got := testutil.ToFloat64(m.attempts.WithLabelValues("telegram")); got != float64(tt.row.Attempts) {
			t.Errorf("%s: failed attempts = %v, want %d", tt.name, got, tt.row.Attempts)
		}
		wantAttention := 0.0
		if tt.row.NeedsAttention {
			wantAttention = 1
		}
		if got := testutil.ToFloat64(m.attention.WithLabelValues("telegram")); got != wantAttention {
			t.Errorf("%s: needs attention = %v, want %v", tt.name, got, wantAttention)
		}
	}
}

func TestObservePlatformIgnoresUnnamedRow(t *testing.T) {
	m := newMetrics(t)
	m.ObservePlatform(messages.PlatformStatus{State: messages.StateConnected})
	if n := testutil.CollectAndCount(m.states); n != 0 {
		t.Errorf("%d state series for a row without a name, want 0", n)
	}
}

// testMux is a small API with a plain route, a route that sets its own
// status, a streamed route and a route that panics.
func testMux(release <-chan struct{}, streaming chan<- struct{}) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"data":[]}`)
	})
	mux.HandleFunc("POST /v1/responses", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusCreated)
	})
	mux.HandleFunc("GET /v1/models/{model}", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no such model", http.StatusNotFound)
	})
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: one\n\n")
		if err := http.NewResponseController(w).Flush(); err != nil {
			panic(err)
		}
		streaming <- struct{}{}
		<-release
		_, _ = io.WriteString(w, "data: [DONE]\n\n")
	})
	mux.HandleFunc("GET /panic", func(http.ResponseWriter, *http.Request) {
		panic(http.ErrAbortHandler)
	})
	return mux
}

func TestHTTPMiddlewareCountsRoutes(t *testing.T) {
	m := newMetrics(t)
	mux := testMux(nil, nil)
	h := m.HTTPMiddleware(MuxRoute(mux))(mux)
	tests := []struct {
		method, path string
		route        string
		code         string
	}{
		{http.MethodGet, "/v1/models", "GET /v1/models", "200"},
		{http.MethodPost, "/v1/responses", "POST /v1/responses", "201"},
		{http.MethodGet, "/v1/models/gpt", "GET /v1/models/{model}", "404"},
		{http.MethodGet, "/nowhere", unmatchedRoute, "404"},
		{http.MethodDelete, "/v1/models", unmatchedRoute, "405"},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
		if got := testutil.ToFloat64(m.requests.WithLabelValues(tt.route, tt.code)); got != 1 {
			t.Errorf("%s %s: requests{route=%q,code=%s} = %v, want 1",
				tt.method, tt.path, tt.route, tt.code, got)
		}
	}
	if n := testutil.CollectAndCount(m.latency); n != 4 {
		t.Errorf("latency series = %d, want 4 (one per distinct route)", n)
	}
}

func TestHTTPMiddlewarePatternRoute(t *testing.T) {
	m := newMetrics(t)
	mux := http.NewServeMux()
	mux.Handle("GET /v1/models/{model}", m.HTTPMiddleware(nil)(
		http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/v1/models/a", nil))
	if got := testutil.ToFloat64(m.requests.WithLabelValues("GET /v1/models/{model}", "200")); got != 1 {
		t.Errorf("requests by r.Pattern = %v, want 1", got)
	}
}

func TestHTTPMiddlewarePanicCounts500(t *testing.T) {
	m := newMetrics(t)
	mux := testMux(nil, nil)
	h := m.HTTPMiddleware(MuxRoute(mux))(mux)
	func() {
		defer func() {
			if p := recover(); p != http.ErrAbortHandler {
				t.Errorf("recovered %v, want the handler's panic raised again", p)
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/panic", nil))
	}()
	if got := testutil.ToFloat64(m.requests.WithLabelValues("GET /panic", "500")); got != 1 {
		t.Errorf("requests{route=GET /panic,code=500} = %v, want 1", got)
	}
}

func TestHTTPMiddlewareActiveStreams(t *testing.T) {
	m := newMetrics(t)
	release := make(chan struct{})
	streaming := make(chan struct{})
	mux := testMux(release, streaming)
	srv := httptest.NewServer(m.HTTPMiddleware(MuxRoute(mux))(mux))
	defer srv.Close()

	type result struct {
		body string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.Post(srv.URL+"/v1/chat/completions", "application/json", nil)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		first, err := bufio.NewReader(resp.Body).ReadString('\n')
		if err != nil {
			done <- result{err: err}
			return
		}
		rest, err := io.ReadAll(resp.Body)
		done <- result{body: first + string(rest), err: err}
	}()

	<-streaming
	if got := testutil.ToFloat64(m.streams); got != 1 {
		t.Errorf("active streams during the stream = %v, want 1", got)
	}
	close(release)
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	if !strings.HasPrefix(res.body, "data: one") {
		t.Errorf("stream body = %q", res.body)
	}
	if got := testutil.ToFloat64(m.streams); got != 0 {
		t.Errorf("active streams after the stream = %v, want 0", got)
	}
	if got := testutil.ToFloat64(m.requests.WithLabelValues("POST /v1/chat/completions", "200")); got != 1 {
		t.Errorf("streamed requests = %v, want 1", got)
	}
}

func TestRecorderFlushCommitsHeaders(t *testing.T) {
	m := newMetrics(t)
	h := m.HTTPMiddleware(func(*http.Request) string { return "r" })(
		http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
			w.(http.Flusher).Flush()
			if got := testutil.ToFloat64(m.streams); got != 1 {
				t.Errorf("active streams after Flush = %v, want 1", got)
			}
		}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if !rec.Flushed {
		t.Error("Flush did not reach the underlying writer")
	}
	if got := testutil.ToFloat64(m.streams); got != 0 {
		t.Errorf("active streams after the handler = %v, want 0", got)
	}
}
