package apiserver

import (
	"context"
	"time"

	"github.com/actorgate/actorgate/messages"
)

// streamSink writes one streamed agent run to a client. The relay calls it
// from the handler's goroutine only.
type streamSink interface {
	// delta writes a fragment of the reply. An error means the client is
	// gone.
	delta(d *messages.AgentDelta) error
	// finish writes the end of the stream from the agent's final reply.
	finish(r *messages.AgentReply)
	// keepalive writes an SSE comment after KeepAlive without a message.
	keepalive() error
	// abandon runs after the client went away. The run is already
	// cancelled by then.
	abandon()
	// timeout runs when the agent sent no final reply before the request's
	// deadline. The run is already cancelled by then.
	timeout()
}

// relay sends req to the agent with a fresh inbox as its sender and hands
// every message the agent sends back to sink, in order, until the final
// reply, the client's disconnect or the deadline. It runs on the handler's
// goroutine and starts none of its own.
func (s *server) relay(ctx context.Context, req *messages.AgentRequest, sink streamSink) {
	in := newInbox(s.system, 64)
	defer in.close()
	s.root.RequestWithCustomSender(s.agent, req, in.pid)

	idle := s.settings.API.KeepAlive
	keepalive := time.NewTimer(idle)
	defer keepalive.Stop()
	deadline := time.NewTimer(time.Until(req.Deadline) + lateReplyMargin)
	defer deadline.Stop()

	for {
		select {
		case m := <-in.c:
			switch m := m.(type) {
			case *messages.AgentDelta:
				if err := sink.delta(m); err != nil {
					s.cancelRun(req.RequestID)
					sink.abandon()
					return
				}
			case *messages.AgentReply:
				sink.finish(ownReply(m))
				return
			}
			keepalive.Reset(idle)
		case <-keepalive.C:
			if err := sink.keepalive(); err != nil {
				s.cancelRun(req.RequestID)
				sink.abandon()
				return
			}
			keepalive.Reset(idle)
		case <-ctx.Done():
			s.cancelRun(req.RequestID)
			sink.abandon()
			return
		case <-deadline.C:
			s.cancelRun(req.RequestID)
			sink.timeout()
			return
		}
	}
}

func (s *server) cancelRun(id string) {
	s.root.Send(s.agent, &messages.CancelAgentRequest{RequestID: id})
}

// timeoutReply is the final reply of a run whose agent sent no reply
// before the deadline.
func timeoutReply(requestID string) *messages.AgentReply {
	return &messages.AgentReply{
		RequestID: requestID, FinishReason: messages.FinishError,
		Err: &messages.AgentError{
			Code: "upstream_timeout", Message: "the agent did not finish before the deadline",
		},
	}
}
