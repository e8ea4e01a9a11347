package apiserver

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/actorgate/actorgate/actors/agent"
	"github.com/actorgate/actorgate/actors/apiserver/wire"
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
	// finish writes the end of the stream from the agent's final reply,
	// which goes out when the handler returns.
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
	// reject writes werr for a run that did not start.
	reject(werr *wire.Error)
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
	if s.settings.Runner != nil {
		s.relayInline(ctx, req, sink)
		return
	}
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
			if stopping(ctx) {
				sink.finish(&messages.AgentReply{
					RequestID: req.RequestID, FinishReason: messages.FinishError, Err: stoppedError(),
				})
				return
			}
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

// relayInline runs req through the runner on the handler's goroutine and
// writes each delta to sink as the backend emits it. Each delta is flushed
// at once, because the backend already joins the text of one read. A timer
// writes the keepalive comments while the backend waits for the upstream.
// A client that goes away ends the request's context, which cancels the
// run; so does a failed write. When the server ended the context because
// it is shutting down, the stream gets its closing events instead.
func (s *server) relayInline(ctx context.Context, req *messages.AgentRequest, sink streamSink) {
	runner := s.settings.Runner
	g := &guardedSink{
		sink: sink, idle: s.settings.API.KeepAlive,
		cancel: func() { runner.Cancel(req.RequestID) },
	}
	g.arm()
	reply, err := runner.Run(ctx, req, g.emit)
	writeFailed := g.disarm()
	if !writeFailed {
		markStopping(ctx, &reply)
	}
	switch {
	case err != nil:
		sink.reject(runError(err))
	case reply.Err != nil && (writeFailed || (ctx.Err() != nil && !stopping(ctx))):
		sink.abandon()
	default:
		sink.finish(&reply)
	}
}

// guardedSink serializes the writes of a run's deltas and of the
// keepalive timer to one sink, and stops both once the run has returned.
type guardedSink struct {
	mu   sync.Mutex
	sink streamSink
	// cancel cancels the run after a failed write.
	cancel func()
	idle   time.Duration
	timer  *time.Timer
	// last is when something was last written.
	last time.Time
	// failed is set when a write failed; done when the run has returned.
	failed, done bool
	// delta is the delta being written.
	delta messages.AgentDelta
}

func (g *guardedSink) arm() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.last = time.Now()
	g.timer = time.AfterFunc(g.idle, g.tick)
}

// disarm stops the timer and the writes of late deltas, and reports
// whether a write failed.
func (g *guardedSink) disarm() bool {
	g.timer.Stop()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.done = true
	return g.failed
}

func (g *guardedSink) emit(d messages.AgentDelta) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.failed || g.done {
		return
	}
	// The sink reads the delta and keeps no pointer to it, so one field
	// serves every delta instead of a heap copy each.
	g.delta = d
	err := g.sink.delta(&g.delta)
	if err == nil {
		err = g.sink.flush()
	}
	g.wrote(err)
}

// tick writes a keepalive when nothing went out for the idle time, and
// sets the timer for the next one.
func (g *guardedSink) tick() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.failed || g.done {
		return
	}
	if wait := g.idle - time.Since(g.last); wait > 0 {
		g.timer.Reset(wait)
		return
	}
	if g.wrote(g.sink.keepalive()); !g.failed {
		g.timer.Reset(g.idle)
	}
}

// wrote records the outcome of a write; a failed one cancels the run.
func (g *guardedSink) wrote(err error) {
	if err != nil {
		g.failed = true
		g.cancel()
		return
	}
	g.last = time.Now()
}

// rejectRun writes werr for a run that did not start: as a JSON error
// while nothing of the stream was written, else as the stream's end.
func rejectRun(w http.ResponseWriter, committed bool, werr *wire.Error,
	finish func(*messages.AgentReply),
) {
	if !committed {
		wire.WriteError(w, werr)
		return
	}
	finish(&messages.AgentReply{
		FinishReason: messages.FinishError,
		Err:          &messages.AgentError{Code: agent.CodeUpstreamUnavailable, Message: werr.Message},
	})
}

// runError maps a run that the runner did not start to an API error.
func runError(err error) *wire.Error {
	if errors.Is(err, agent.ErrNotRunning) {
		return errUnavailable("no agent is running")
	}
	// The server gives every request a fresh run id, so a duplicate is a
	// fault of the gateway.
	return errInternal(err)
}
