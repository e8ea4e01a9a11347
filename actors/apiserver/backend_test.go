package apiserver_test

import (
	"context"
	"sync"

	"github.com/actorgate/actorgate"
	"github.com/actorgate/actorgate/actors/agent"
	"github.com/actorgate/actorgate/messages"
)

// scriptedBackend is an agent backend whose replies the test scripts. It
// records every request it runs.
type scriptedBackend struct {
	mu       sync.Mutex
	requests []messages.AgentRequest
	answer   func(ctx context.Context, req *messages.AgentRequest,
		emit func(messages.AgentDelta)) messages.AgentReply
}

var _ agent.Backend = (*scriptedBackend)(nil)

func (b *scriptedBackend) Name() string { return "scripted" }

func (b *scriptedBackend) Close() error { return nil }

func (b *scriptedBackend) Run(ctx context.Context, req *messages.AgentRequest,
	emit func(messages.AgentDelta),
) messages.AgentReply {
	b.mu.Lock()
	b.requests = append(b.requests, *req)
	b.mu.Unlock()
	return b.answer(ctx, req, emit)
}

// option installs the backend in a gateway.
func (b *scriptedBackend) option() actorgate.Option {
	return actorgate.WithBackend(func() (agent.Backend, error) { return b, nil })
}

func (b *scriptedBackend) runs() []messages.AgentRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]messages.AgentRequest(nil), b.requests...)
}

// partialFailure replies with text and then fails with code.
func partialFailure(text, code string) func(context.Context, *messages.AgentRequest,
	func(messages.AgentDelta),
) messages.AgentReply {
	return func(_ context.Context, req *messages.AgentRequest, emit func(messages.AgentDelta)) messages.AgentReply {
		if req.Stream {
			emit(messages.AgentDelta{RequestID: req.RequestID, Text: text})
		}
		return messages.AgentReply{
			RequestID: req.RequestID, Text: text, FinishReason: messages.FinishStop,
			Err: &messages.AgentError{Code: code, Message: "the upstream broke off"},
		}
	}
}
