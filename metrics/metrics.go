package metrics

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/actorgate/actorgate/messages"
)

const namespace = "actorgate"

// scrapeTimeout bounds one scrape of Handler.
const scrapeTimeout = 10 * time.Second

// httpBuckets are the latency buckets of API requests, in seconds. They
// reach five minutes because a non-streamed agent run takes as long as the
// model needs.
var httpBuckets = []float64{
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
}

// storeBuckets are the latency buckets of store operations, in seconds.
var storeBuckets = []float64{
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
}

// Metrics is the registry of one gateway and its collectors. The zero
// value is not usable: build it with New. A nil *Metrics records nothing.
type Metrics struct {
	registry *prometheus.Registry

	requests       *prometheus.CounterVec
	latency        *prometheus.HistogramVec
	streams        prometheus.Gauge
	storeOps       *prometheus.CounterVec
	storeLatency   *prometheus.HistogramVec
	restarts       *prometheus.CounterVec
	states         *prometheus.GaugeVec
	attempts       *prometheus.GaugeVec
	attention      *prometheus.GaugeVec
	upstreamErrors *prometheus.CounterVec

	platforms platformCounts
}

// Option changes what New builds.
type Option func(*options)

type options struct {
	noRuntime bool
	labels    prometheus.Labels
}

// WithoutRuntimeMetrics leaves the Go runtime and process collectors out
// of the registry, for a host that gathers them from its own registry
// already.
func WithoutRuntimeMetrics() Option {
	return func(o *options) { o.noRuntime = true }
}

// WithLabels adds constant labels to every actorgate_ series, such as
// {"gateway": "support"}, so that a host can gather the registries of two
// gateways together without clashes.
func WithLabels(labels prometheus.Labels) Option {
	return func(o *options) { o.labels = labels }
}

// New builds a Metrics on a new registry. The only error it returns wraps
// ErrRegister, for an invalid label set with WithLabels.
func New(opts ...Option) (*Metrics, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if err := checkLabels(o.labels); err != nil {
		return nil, err
	}
	m := newCollectors(o.labels)
	m.registry = prometheus.NewRegistry()
	m.platforms = platformCounts{restarts: make(map[string]int)}
	if err := m.register(o); err != nil {
		return nil, err
	}
	return m, nil
}

func newCollectors(labels prometheus.Labels) *Metrics {
	opts := func(subsystem, name, help string) prometheus.Opts {
		return prometheus.Opts{
			Namespace: namespace, Subsystem: subsystem, Name: name, Help: help,
			ConstLabels: labels,
		}
	}
	histogram := func(subsystem, name, help string, buckets []float64) prometheus.HistogramOpts {
		return prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: subsystem, Name: name, Help: help,
			ConstLabels: labels, Buckets: buckets,
		}
	}
	return &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts(opts("http", "requests_total",
			"HTTP requests served by the API server, by route pattern and status code.")),
			[]string{"route", "code"}),
		latency: prometheus.NewHistogramVec(histogram("http", "request_duration_seconds",
			"Time from the start of an HTTP request until its handler returned, by route "+
				"pattern. A streamed response counts until its last event.", httpBuckets),
			[]string{"route"}),
		streams: prometheus.NewGauge(prometheus.GaugeOpts(opts("http", "active_streams",
			"Server-sent event responses being written now."))),
		storeOps: prometheus.NewCounterVec(prometheus.CounterOpts(opts("store", "operations_total",
			"Store requests, by operation and result (ok, not_found, error).")),
			[]string{"op", "result"}),
		storeLatency: prometheus.NewHistogramVec(histogram("store", "operation_duration_seconds",
			"Time the store took to carry out a request, by operation.", storeBuckets),
			[]string{"op"}),
		restarts: prometheus.NewCounterVec(prometheus.CounterOpts(opts("platform", "restarts_total",
			"Restarts of a platform adapter after a retryable failure.")),
			[]string{"platform"}),
		states: prometheus.NewGaugeVec(prometheus.GaugeOpts(opts("platform", "state",
			"1 for the current state of a platform, 0 for its other states.")),
			[]string{"platform", "state"}),
		attempts: prometheus.NewGaugeVec(prometheus.GaugeOpts(opts("platform", "failed_attempts",
			"Failed starts of a platform in a row; 0 once it is connected.")),
			[]string{"platform"}),
		attention: prometheus.NewGaugeVec(prometheus.GaugeOpts(opts("platform", "needs_attention",
			"1 when a platform has kept failing for longer than the attention threshold.")),
			[]string{"platform"}),
		upstreamErrors: prometheus.NewCounterVec(prometheus.CounterOpts(opts("upstream", "errors_total",
			"Agent runs that failed, by error code. Cancelled runs are not counted.")),
			[]string{"code"}),
	}
}

// seriesLabels are the variable labels of the actorgate series; a constant
// label with one of these names would clash.
var seriesLabels = []string{"route", "code", "op", "result", "platform", "state"}

// checkLabels rejects constant labels that registration would reject, with
// an error that names the label.
func checkLabels(labels prometheus.Labels) error {
	for name, value := range labels {
		switch {
		case name == "" || strings.HasPrefix(name, "__"):
			return fmt.Errorf("%w: label name %q is empty or reserved (starts with __); "+
				"choose a name such as gateway", ErrRegister, name)
		case slices.Contains(seriesLabels, name):
			return fmt.Errorf("%w: label name %q is already a label of actorgate series; "+
				"choose another name such as gateway", ErrRegister, name)
		case !utf8.ValidString(name) || !utf8.ValidString(value):
			return fmt.Errorf("%w: label %q has a name or value that is not valid UTF-8",
				ErrRegister, name)
		}
	}
	return nil
}

func (m *Metrics) register(o options) error {
	cs := []prometheus.Collector{
		m.requests, m.latency, m.streams, m.storeOps, m.storeLatency,
		m.restarts, m.states, m.attempts, m.attention, m.upstreamErrors,
	}
	if !o.noRuntime {
		cs = append(cs, collectors.NewGoCollector(),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	var errs []error
	for _, c := range cs {
		if err := m.registry.Register(c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrRegister, err)
	}
	return nil
}

// Registry returns the registry, for a host that gathers it together with
// its own (prometheus.Gatherers).
func (m *Metrics) Registry() *prometheus.Registry {
	if m == nil {
		return nil
	}
	return m.registry
}

// Handler returns the scrape endpoint: the registry in the Prometheus text
// format (or another format the scraper negotiates). On a nil *Metrics it
// returns 404 for every request.
func (m *Metrics) Handler() http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Timeout:             scrapeTimeout,
	})
}

// ObserveUpstreamError counts an agent run that failed with code, the Code
// of its messages.AgentError. A run cancelled by its requester (code
// "cancelled") is not an upstream failure and is not counted.
func (m *Metrics) ObserveUpstreamError(code string) {
	if m == nil || code == "" || code == cancelledCode {
		return
	}
	m.upstreamErrors.WithLabelValues(code).Inc()
}

// cancelledCode is the AgentError code of a run its requester cancelled.
const cancelledCode = "cancelled"

// ObserveStoreOp records one store request: op names it (put_response,
// get_response, ...), d is how long it took and err its outcome. An error
// matching messages.ErrNotFound counts as the result not_found.
func (m *Metrics) ObserveStoreOp(op string, d time.Duration, err error) {
	if m == nil {
		return
	}
	result := "ok"
	switch {
	case errors.Is(err, messages.ErrNotFound):
		result = "not_found"
	case err != nil:
		result = "error"
	}
	m.storeOps.WithLabelValues(op, result).Inc()
	m.storeLatency.WithLabelValues(op).Observe(d.Seconds())
}
