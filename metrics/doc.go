// Package metrics holds actorgate's Prometheus metrics: one registry of its
// own (never the global one) and the collectors the gateway feeds.
//
// # Series
//
// Every name starts with actorgate_:
//
//   - http_requests_total{route,code} and
//     http_request_duration_seconds{route}: one observation per HTTP
//     request of the API server, recorded by [Metrics.HTTPMiddleware]. The
//     route is the ServeMux pattern, so the label set stays bounded.
//   - http_active_streams: responses with Content-Type text/event-stream
//     that are still being written.
//   - store_operations_total{op,result} and
//     store_operation_duration_seconds{op}: store requests, recorded by
//     [Metrics.ObserveStoreOp]; result is ok, not_found or error.
//   - platform_restarts_total{platform}, platform_state{platform,state},
//     platform_failed_attempts{platform} and
//     platform_needs_attention{platform}: the gateway's status table, fed
//     row by row through [Metrics.ObservePlatform]. platform_state is 1
//     for the platform's current state and 0 for the others.
//   - upstream_errors_total{code}: agent runs that failed, by the code of
//     their messages.AgentError, recorded by [Metrics.ObserveUpstreamError].
//
// Unless [WithoutRuntimeMetrics] is given, the registry also holds the Go
// runtime and process collectors (go_*, process_*), which include the
// process's open file descriptors.
//
// Every method is safe for concurrent use and does nothing on a nil
// *Metrics, so callers can wire it unconditionally.
//
// [Metrics.Handler] serves the registry in the Prometheus text format. The
// actorgate package serves it on the loopback address of
// gateway.metrics_addr (ACTORGATE_METRICS_ADDR), and the API server can
// serve it on its own listener as /metrics.
package metrics
