package actorgate

import (
	"context"

	"github.com/actorgate/actorgate/actors/agent"
	"github.com/actorgate/actorgate/actors/gateway"
	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
	"github.com/actorgate/actorgate/metrics"
)

// WithMetrics makes the gateway record into m, for a host that builds m
// itself (with its own labels, or without the runtime collectors) or reads
// it from its own scrape endpoint. Without it, Start builds one with
// metrics.New.
func WithMetrics(m *metrics.Metrics) Option {
	return func(o *options) { o.metrics = m }
}

// Metrics returns the metrics the gateway records into. Serve its Handler
// on a route of your own, or set gateway.metrics_addr to have the gateway
// serve it.
func (g *Gateway) Metrics() *metrics.Metrics { return g.metrics }

// MetricsAddr returns the address the metrics listener is bound to, or ""
// while it is not listening (gateway.metrics_addr is empty, or the
// listener is stopped, paused or failed).
func (g *Gateway) MetricsAddr() string {
	if p := g.metricsAddr.Load(); p != nil {
		return *p
	}
	return ""
}

// initMetrics sets g.metrics from WithMetrics, or builds a new one.
func (g *Gateway) initMetrics() error {
	if g.opts.metrics != nil {
		g.metrics = g.opts.metrics
		return nil
	}
	m, err := metrics.New()
	if err != nil {
		return err
	}
	g.metrics = m
	return nil
}

// metricsPlatforms returns the metrics listener's platform when cfg sets
// an address for it.
func (g *Gateway) metricsPlatforms(cfg config.Config) []gateway.Platform {
	addr := cfg.Gateway.MetricsAddr
	if addr == "" {
		return nil
	}
	return []gateway.Platform{metricsPlatform(addr, g.metrics.Handler(), &g.metricsAddr)}
}

// observeBackend wraps the backends newBackend builds so that every failed
// run is counted in m by its error code.
func observeBackend(newBackend func() (agent.Backend, error), m *metrics.Metrics,
) func() (agent.Backend, error) {
	if m == nil {
		return newBackend
	}
	return func() (agent.Backend, error) {
		b, err := newBackend()
		if err != nil || b == nil {
			return b, err
		}
		return observedBackend{Backend: b, metrics: m}, nil
	}
}

// observedBackend counts the failed runs of the backend it wraps.
type observedBackend struct {
	agent.Backend
	metrics *metrics.Metrics
}

func (b observedBackend) Run(
	ctx context.Context, req *messages.AgentRequest, emit func(messages.AgentDelta),
) messages.AgentReply {
	reply := b.Backend.Run(ctx, req, emit)
	if reply.Err != nil {
		b.metrics.ObserveUpstreamError(reply.Err.Code)
	}
	return reply
}
