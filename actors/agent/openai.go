package agent

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/agent/h1"
	"github.com/actorgate/actorgate/messages"
)

// Transport settings of the default upstream transport. The pool is sized
// for many concurrent runs against one upstream host.
const (
	maxIdleConns    = 1024
	idleConnTimeout = 90 * time.Second
	dialTimeout     = 5 * time.Second
	tlsTimeout      = 10 * time.Second
)

// OpenAIConfig configures the backend for an OpenAI-compatible upstream.
type OpenAIConfig struct {
	// BaseURL is the upstream API root, for example http://127.0.0.1:8000/v1.
	// Requests go to BaseURL + "/chat/completions".
	BaseURL string
	// APIKey is sent as a bearer token when set.
	APIKey string
	// Model replaces the request's model when set.
	Model string
	// Timeout bounds one run, from sending the request to the end of the
	// answer. It also bounds the wait for the response headers.
	Timeout time.Duration
	// Transport sends the upstream requests. Nil uses a transport tuned for
	// keep-alive pooling that never uses a proxy from the environment.
	Transport http.RoundTripper
}

// openAIBackend runs requests against an OpenAI-compatible
// /chat/completions endpoint.
type openAIBackend struct {
	endpoint string
	// endpointURL is endpoint parsed once; requests share it, as a
	// transport does not change a request's URL.
	endpointURL   *url.URL
	authorization []string
	model         string
	timeout       time.Duration
	// roundTripper sends each request once. It is called directly rather
	// than through an http.Client, so a redirect is never followed (it
	// would resend the body, perhaps to another host) and its 3xx response
	// is reported as an upstream error.
	roundTripper http.RoundTripper
	// transport is the default transport this backend created, which Close
	// releases. A transport passed in the configuration belongs to the
	// caller and is left open.
	transport idleCloser
	logger    *zap.Logger
	// failures logs the causes of failed runs that no runner logs. It is
	// sampled, as the agent's log of failed runs is.
	failures *zap.Logger
	closed   atomic.Bool
}

// NewOpenAI returns a backend for the OpenAI-compatible upstream that cfg
// describes. It opens no connection. The error wraps ErrInvalidConfig and
// names the invalid field.
func NewOpenAI(cfg OpenAIConfig, logger *zap.Logger) (Backend, error) {
	endpoint, err := chatEndpoint(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		return nil, fmt.Errorf("%w: agent.timeout must be greater than zero, for example 5m (got %s)",
			ErrInvalidConfig, cfg.Timeout)
	}
	if logger == nil {
		logger = zap.NewNop()
	}

	endpointURL, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("%w: agent.base_url %q does not parse: %v", ErrInvalidConfig,
			cfg.BaseURL, err)
	}
	b := &openAIBackend{
		endpoint:    endpoint,
		endpointURL: endpointURL,
		model:       cfg.Model,
		timeout:     cfg.Timeout,
		logger:      logger.With(zap.String("backend", "openai")),
	}
	b.failures = sampled(b.logger)
	if cfg.APIKey != "" {
		b.authorization = []string{"Bearer " + cfg.APIKey}
	}
	rt := cfg.Transport
	if rt == nil {
		t := newTransport(strings.HasPrefix(endpoint, "https:"), cfg.Timeout)
		b.transport, rt = t, t
	}
	b.roundTripper = rt
	return b, nil
}

// chatEndpoint validates the base URL and returns the chat completions URL.
func chatEndpoint(baseURL string) (string, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%w: agent.base_url must be an absolute http(s) URL "+
			"such as http://127.0.0.1:8000/v1 (got %q)", ErrInvalidConfig, redactURL(baseURL, u))
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%w: agent.base_url must not have a query or fragment, "+
			"use a URL such as http://127.0.0.1:8000/v1 (got %q)", ErrInvalidConfig, u.Redacted())
	}
	return u.JoinPath("chat", "completions").String(), nil
}

// redactURL returns raw for an error message with any password hidden.
func redactURL(raw string, u *url.URL) string {
	if u != nil {
		return u.Redacted()
	}
	if strings.Contains(raw, "@") {
		return "(invalid URL with user information)"
	}
	return raw
}

// idleCloser is a transport whose idle connections can be closed.
type idleCloser interface {
	http.RoundTripper
	CloseIdleConnections()
}

// newTransport returns the default upstream transport. A plain-HTTP
// upstream, usually a model server on the same host or network, gets the
// h1 transport. It reads each response on the calling goroutine, so it
// costs less CPU per request than net/http's and keeps no goroutine per
// open stream. An HTTPS upstream gets net/http's transport, which attempts
// HTTP/2. Neither reads HTTP_PROXY from the environment.
func newTransport(tls bool, timeout time.Duration) idleCloser {
	if !tls {
		return h1.New(h1.Config{
			DialTimeout:           dialTimeout,
			KeepAlive:             30 * time.Second,
			MaxIdleConns:          maxIdleConns,
			IdleConnTimeout:       idleConnTimeout,
			ResponseHeaderTimeout: timeout,
		})
	}
	dialer := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		MaxIdleConns:          maxIdleConns,
		MaxIdleConnsPerHost:   maxIdleConns,
		IdleConnTimeout:       idleConnTimeout,
		TLSHandshakeTimeout:   tlsTimeout,
		ResponseHeaderTimeout: timeout,
		ForceAttemptHTTP2:     true,
	}
}

func (b *openAIBackend) Name() string { return "openai" }

// Close releases the idle connections of the default transport. Runs that
// start after Close fail with upstream_unavailable.
func (b *openAIBackend) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	if b.transport != nil {
		b.transport.CloseIdleConnections()
	}
	return nil
}

// Run sends req to the upstream and returns its answer. The request is
// bound to ctx and to the backend's timeout, so cancelling ctx aborts it.
func (b *openAIBackend) Run(
	ctx context.Context, req *messages.AgentRequest, emit func(messages.AgentDelta),
) messages.AgentReply {
	reply := messages.AgentReply{RequestID: req.RequestID, Model: b.modelFor(req)}
	if b.closed.Load() {
		fail(&reply, CodeUpstreamUnavailable, ErrBackendClosed.Error(), 0)
		return reply
	}
	// The backend's timeout needs a timer of its own only when ctx ends
	// later, as it does not when the agent's timeout, set from the same
	// setting, already bounds the run.
	if d, ok := ctx.Deadline(); !ok || time.Until(d) > b.timeout {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, b.timeout)
		defer cancel()
	}

	payload, err := encodeRequest(req, reply.Model)
	if err != nil {
		fail(&reply, CodeInvalidRequest, err.Error(), 0)
		return reply
	}
	httpReq, err := b.newHTTPRequest(ctx, payload, req.Stream)
	if err != nil {
		fail(&reply, CodeUpstreamUnavailable, "building the upstream request failed: "+err.Error(), 0)
		return reply
	}
	resp, err := b.roundTripper.RoundTrip(httpReq)
	if err != nil {
		if cause := failTransport(&reply, ctx, err); cause != nil {
			b.reportCause(ctx, req.RequestID, cause)
		}
		return reply
	}
	defer func() { closeBody(resp.Body, reply.Err == nil || reply.Err.UpstreamStatus != 0) }()

	var cause error
	switch {
	case resp.StatusCode >= http.StatusMultipleChoices:
		cause = failStatus(&reply, resp)
	case req.Stream && isEventStream(resp.Header):
		cause = readStream(ctx, resp.Body, &reply, emit)
	default:
		cause = readCompletion(ctx, resp.Body, &reply)
		if req.Stream && emit != nil && reply.Err == nil {
			emitWhole(&reply, emit)
		}
	}
	if cause != nil {
		b.reportCause(ctx, req.RequestID, cause)
	}
	if b.logger.Core().Enabled(zap.DebugLevel) {
		b.logger.Debug("upstream request finished", zap.String("request_id", req.RequestID),
			zap.Int("status", resp.StatusCode), zap.String("finish_reason", reply.FinishReason))
	}
	return reply
}

// modelFor returns the model sent upstream: the configured model when set,
// else the request's.
func (b *openAIBackend) modelFor(req *messages.AgentRequest) string {
	if b.model != "" {
		return b.model
	}
	return req.Model
}

// encodeRequest returns the upstream JSON body for req, encoded into a
// pooled buffer.
func encodeRequest(req *messages.AgentRequest, model string) ([]byte, error) {
	body := acquireRequestBody()
	defer body.release()
	if err := body.encode(req, model); err != nil {
		return nil, err
	}
	return body.payload(), nil
}

// newHTTPRequest builds the POST of payload. The body is a *bytes.Reader,
// which net/http recognises as in memory: it sets ContentLength and
// GetBody, and writes the headers and the body in one system call.
func (b *openAIBackend) newHTTPRequest(
	ctx context.Context, payload []byte, stream bool,
) (*http.Request, error) {
	// The URL was parsed once; "" parses to nothing, and the request gets
	// the shared one.
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, "", bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	r.URL, r.Host = b.endpointURL, b.endpointURL.Host
	// The header values are shared, read-only slices: a transport reads a
	// request's header and never changes it.
	r.Header["Content-Type"] = valueJSON
	if stream {
		r.Header["Accept"] = valueEventStream
	} else {
		r.Header["Accept"] = valueJSON
	}
	if b.authorization != nil {
		r.Header["Authorization"] = b.authorization
	}
	return r, nil
}

// Header values of every upstream request.
var (
	valueJSON        = []string{"application/json"}
	valueEventStream = []string{"text/event-stream"}
)

var _ Backend = (*openAIBackend)(nil)
