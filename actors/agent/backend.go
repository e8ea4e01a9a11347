package agent

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
)

// Backend runs one agent request.
//
// Run returns when the answer is complete, has failed, or ctx is done. The
// reply's Text is the whole text produced, also when it was streamed. emit
// sends a streamed fragment. Run calls it only when req.Stream is set, and
// only from the goroutine that called Run. A backend is used by many runs
// at once, so Run must be safe for concurrent use.
//
// The Message of a failed reply reaches API clients and chat users, so it
// must not name the upstream's host, port or URL.
type Backend interface {
	// Name identifies the backend kind in logs, for example "echo".
	Name() string
	Run(
		ctx context.Context, req *messages.AgentRequest, emit func(messages.AgentDelta),
	) messages.AgentReply
	// Close releases pooled connections. It is idempotent.
	Close() error
}

// Codes of AgentError set by the backends and the agent actor.
const (
	// CodeUpstreamError: the upstream responded with an HTTP error status,
	// a malformed response or stream, or a stream that ended early.
	CodeUpstreamError = "upstream_error"
	// CodeUpstreamTimeout: the run's deadline passed, or the upstream sent
	// no response headers in time.
	CodeUpstreamTimeout = "upstream_timeout"
	// CodeUpstreamUnavailable: the upstream could not be reached (connection
	// refused or reset before any response).
	CodeUpstreamUnavailable = "upstream_unavailable"
	// CodeCancelled: the requester cancelled the run, or the agent stopped.
	CodeCancelled = "cancelled"
	// CodeAgentBusy: a run with the same request id is still in progress.
	CodeAgentBusy = "agent_busy"
	// CodeInvalidRequest: a field of the AgentRequest cannot be sent
	// upstream. The message names the field.
	CodeInvalidRequest = "invalid_request"
)

// NewFromConfig builds the backend that cfg selects: echo (also when
// Backend is empty) or openai. The error names the invalid field.
func NewFromConfig(cfg config.AgentConfig, logger *zap.Logger) (Backend, error) {
	switch cfg.Backend {
	case "", config.BackendEcho:
		return NewEcho(), nil
	case config.BackendOpenAI:
		return NewOpenAI(OpenAIConfig{
			BaseURL: cfg.BaseURL,
			APIKey:  cfg.APIKey,
			Model:   cfg.Model,
			Timeout: cfg.Timeout,
		}, logger)
	default:
		return nil, fmt.Errorf("%w: agent.backend %q is not supported; use %q or %q",
			ErrInvalidConfig, cfg.Backend, config.BackendEcho, config.BackendOpenAI)
	}
}

// fail marks reply as failed with code and message. Text produced before
// the failure stays, and the finish reason becomes "error" unless the
// upstream reported "length".
func fail(reply *messages.AgentReply, code, message string, status int) {
	reply.Err = &messages.AgentError{Code: code, Message: message, UpstreamStatus: status}
	if reply.FinishReason != messages.FinishLength {
		reply.FinishReason = messages.FinishError
	}
}

// failContext marks reply as failed because ctx is done: a passed deadline
// is a timeout, anything else a cancellation.
func failContext(reply *messages.AgentReply, ctx context.Context) {
	err := ctx.Err()
	if errors.Is(err, context.DeadlineExceeded) {
		fail(reply, CodeUpstreamTimeout, "the agent run timed out before the answer was complete", 0)
		return
	}
	fail(reply, CodeCancelled, "the agent run was cancelled", 0)
}
