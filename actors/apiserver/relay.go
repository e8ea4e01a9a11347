package apiserver

import (
	"context"
	"time"

	"github.com/actorgate/actorgate/messages"
)

// streamSink writes one streamed agent run to a client. The relay calls it
// from the handler's goroutine only.
type streamSink interface {
	// delta writes a fragment of the reply and may leave it in the
	// response's buffer until flush. An error means the client is gone.
	delta(d *messages.AgentDelta) error
	// flush sends what delta left in the buffer. An error means the client
	// is gone.
	flush() error
	// finish writes the end of the stream from the agent's final reply and
	// flushes it.
	finish(r *messages.AgentReply)
	// keepalive writes and flushes an SSE comment after KeepAlive without a
	// message.
	keepalive() error
	// abandon runs after the client went away. The run is already
	// cancelled by then.
	abandon()
	// timeout runs when the agent sent no final reply before the request's
	// deadline. The run is already cancelled by then.
	timeout()
}

// relayInboxSize is the number of agent messages a stream buffers before
// the agent's sender waits for the client.
const relayInboxSize = 16

// relay sends req to the agent with a fresh inbox as its sender and hands
// every message the agent sends back to sink, in order, until the final
// reply, the client's disconnect or the deadline. A delta is flushed only
// when no further message is already waiting, so the first delta goes out
// at once and a burst goes out in one write. It runs on the handler's
// goroutine and starts none of its own.
func (s *server) relay(ctx context.Context, req *messages.AgentRequest, sink streamSink) {
	in := newInbox(s.system, relayInboxSize)
	defer in.close()
	s.root.RequestWithCustomSender(s.agent, req, in.pid)

	// One timer serves both the keepalive and the deadline. A message moves
	// keepaliveAt but leaves the timer alone, which saves a timer reset per
	// delta. A timer that fires before keepaliveAt is set again for it.
	idle := s.settings.API.KeepAlive
	deadline := time.Now().Add(time.Until(req.Deadline) + lateReplyMargin)
	keepaliveAt := time.Now().Add(idle)
	timer := time.NewTimer(time.Until(earliest(keepaliveAt, deadline)))
	defer timer.Stop()

	for {
		select {
		case m := <-in.c:
			switch m := m.(type) {
			case *messages.AgentDelta:
				if err := s.relayDelta(in, sink, m); err != nil {
					s.cancelRun(req.RequestID)
					sink.abandon()
					return
				}
			case *messages.AgentReply:
				sink.finish(ownReply(m))
				return
			}
			keepaliveAt = time.Now().Add(idle)
		case <-timer.C:
			now := time.Now()
			if !now.Before(deadline) {
				s.cancelRun(req.RequestID)
				sink.timeout()
				return
			}
			if !now.Before(keepaliveAt) {
				if err := sink.keepalive(); err != nil {
					s.cancelRun(req.RequestID)
					sink.abandon()
					return
				}
				keepaliveAt = time.Now().Add(idle)
			}
			timer.Reset(time.Until(earliest(keepaliveAt, deadline)))
		case <-ctx.Done():
			s.cancelRun(req.RequestID)
			sink.abandon()
			return
		}
	}
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// relayDelta writes d and flushes it unless the next message is already
// in the inbox.
func (s *server) relayDelta(in *inbox, sink streamSink, d *messages.AgentDelta) error {
	if err := sink.delta(d); err != nil {
		return err
	}
	if len(in.c) > 0 {
		return nil
	}
	return sink.flush()
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
