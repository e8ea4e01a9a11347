package metrics

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// unmatchedRoute is the route label of a request that no pattern matched.
const unmatchedRoute = "unmatched"

// MuxRoute returns a route function for HTTPMiddleware that names a
// request by the pattern of mux that serves it, such as
// "POST /v1/chat/completions". It routes the request again, so it works
// wherever the middleware sits in the chain.
func MuxRoute(mux *http.ServeMux) func(*http.Request) string {
	return func(r *http.Request) string {
		_, pattern := mux.Handler(r)
		return pattern
	}
}

// HTTPMiddleware returns a middleware that records, for each request, its
// count by route and status code, its duration by route, and whether it is
// an active event stream. The function route names the request after the
// handler returned. It must return one of a small, fixed set of names,
// such as the ServeMux pattern (see MuxRoute), and an empty name is
// recorded as "unmatched". A nil route uses r.Pattern, which is set only
// when the middleware wraps the handlers inside a ServeMux.
func (m *Metrics) HTTPMiddleware(route func(*http.Request) string) func(http.Handler) http.Handler {
	if m == nil {
		return func(next http.Handler) http.Handler { return next }
	}
	if route == nil {
		route = func(r *http.Request) string { return r.Pattern }
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rec := &recorder{ResponseWriter: w, streams: m.streams}
			defer m.finish(rec, r, route, start)
			next.ServeHTTP(rec, r)
		})
	}
}

// finish records a request once its handler returned or panicked. A panic
// is recorded as status 500 when no status was written, and then raised
// again for net/http to handle.
func (m *Metrics) finish(rec *recorder, r *http.Request, route func(*http.Request) string,
	start time.Time,
) {
	p := recover()
	rec.endStream()
	status := rec.status
	if status == 0 {
		status = http.StatusOK
		if p != nil {
			status = http.StatusInternalServerError
		}
	}
	name := route(r)
	if name == "" {
		name = unmatchedRoute
	}
	m.requests.WithLabelValues(name, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(name).Observe(time.Since(start).Seconds())
	if p != nil {
		panic(p)
	}
}

// recorder keeps the status code of a response and counts it as an active
// stream from the moment its headers are committed with Content-Type
// text/event-stream.
type recorder struct {
	http.ResponseWriter
	status  int
	stream  bool
	streams prometheus.Gauge
}

// begin notes the final status once the headers are committed.
func (r *recorder) begin(code int) {
	if r.status != 0 || code < 200 {
		return
	}
	r.status = code
	ct := r.Header().Get("Content-Type")
	if strings.HasPrefix(ct, "text/event-stream") {
		r.stream = true
		r.streams.Inc()
	}
}

func (r *recorder) endStream() {
	if r.stream {
		r.stream = false
		r.streams.Dec()
	}
}

func (r *recorder) WriteHeader(code int) {
	r.begin(code)
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.begin(http.StatusOK)
	return r.ResponseWriter.Write(b)
}

// Flush commits the headers like Write does and flushes the connection,
// for handlers that assert http.Flusher.
func (r *recorder) Flush() {
	r.begin(http.StatusOK)
	_ = http.NewResponseController(r.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
