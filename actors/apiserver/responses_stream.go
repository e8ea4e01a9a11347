package apiserver

import (
	"context"
	"net/http"

	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/agent"
	"github.com/actorgate/actorgate/actors/apiserver/wire"
	"github.com/actorgate/actorgate/messages"
)

// streamResponse relays an agent run as Responses API stream events.
//
// As for chat streams, nothing is written until the agent sends its first
// delta or a keepalive is due, so a run that fails before producing
// anything gets a JSON error with status 502 (504 for a timeout). The final
// response is stored before its terminal event goes out, so a client that
// sees response.completed can chain to it at once. A client that goes away
// mid-stream cancels the run, and what was streamed so far is stored as an
// incomplete response that can still be read and chained.
func (s *server) streamResponse(w http.ResponseWriter, r *http.Request, t *turn) {
	if s.agent == nil && s.settings.Runner == nil {
		wire.WriteError(w, errUnavailable("no agent is running"))
		return
	}
	st := &responseStream{
		s: s, w: w, ctx: r.Context(), t: t, sse: wire.NewSSEWriter(w),
		rs: wire.NewResponseStream(t.obj),
	}
	st.sse.SetAutoFlush(false)
	s.relay(r.Context(), t.agent, st)
}

// responseStream is the state of one streamed response.
type responseStream struct {
	s   *server
	w   http.ResponseWriter
	ctx context.Context
	t   *turn
	sse *wire.SSEWriter
	rs  *wire.ResponseStream
	// committed is set once anything was written, so the status is 200.
	committed bool
	// started is set once the stream events began; the client may then
	// know the response id.
	started bool
}

var _ streamSink = (*responseStream)(nil)

func (st *responseStream) delta(d *messages.AgentDelta) error {
	if d.Text == "" && len(d.ToolCalls) == 0 {
		return nil
	}
	st.committed, st.started = true, true
	return st.rs.Delta(st.sse, d)
}

func (st *responseStream) keepalive() error {
	st.committed = true
	if err := st.sse.Comment("keepalive"); err != nil {
		return err
	}
	return st.sse.Flush()
}

func (st *responseStream) flush() error {
	return st.sse.Flush()
}

func (st *responseStream) finish(reply *messages.AgentReply) {
	if !st.committed {
		if werr := incompleteError(reply); werr != nil {
			wire.WriteError(st.w, werr)
			return
		}
	}
	st.t.obj.Model = replyModel(reply, st.t.agent.Model)
	events := finalEvents{buf: st.s.getBuf()}
	defer st.s.putBuf(events.buf)
	// Finish returns no error with finalEvents, whose Event always returns
	// nil. It fills in the final object, which is stored below before the
	// client receives any of the events.
	_ = st.rs.Finish(&events, reply)
	if werr := st.s.storeTurn(context.WithoutCancel(st.ctx), st.t); werr != nil {
		st.s.log.Warn("storing a streamed response failed",
			zap.String("request_id", st.t.agent.RequestID),
			zap.String("response_id", st.t.id), zap.String("error", werr.Message))
	}
	// No flush: the handler returns next, and the server sends the events
	// in one write with the end of the chunked body.
	if err := events.replay(st.sse); err != nil {
		st.s.log.Debug("client disconnected at the end of a stream",
			zap.String("request_id", st.t.agent.RequestID), zap.Error(err))
	}
}

// abandon finishes the stream for a client that went away and stores what
// it had received as an incomplete response.
func (st *responseStream) abandon() {
	st.s.log.Info("client disconnected during stream",
		zap.String("request_id", st.t.agent.RequestID), zap.String("response_id", st.t.id))
	if !st.started {
		return
	}
	_ = st.rs.Finish(discardEvents{}, &messages.AgentReply{
		RequestID: st.t.agent.RequestID,
		Err: &messages.AgentError{
			Code: agent.CodeCancelled, Message: "the client disconnected before the response was complete",
		},
	})
	if werr := st.s.storeTurn(context.WithoutCancel(st.ctx), st.t); werr != nil {
		st.s.log.Warn("storing an incomplete response failed",
			zap.String("request_id", st.t.agent.RequestID),
			zap.String("response_id", st.t.id), zap.String("error", werr.Message))
	}
}

func (st *responseStream) timeout() {
	st.s.log.Warn("agent did not finish a stream before the deadline",
		zap.String("request_id", st.t.agent.RequestID), zap.String("response_id", st.t.id))
	st.finish(timeoutReply(st.t.agent.RequestID))
}

// finalEvents collects the events that end a response stream, so that the
// response can be stored before any of them reaches the client.
type finalEvents struct {
	buf   *[]byte
	names []string
	ends  []int
}

func (e *finalEvents) Event(name string, data []byte) error {
	*e.buf = append(*e.buf, data...)
	e.names = append(e.names, name)
	e.ends = append(e.ends, len(*e.buf))
	return nil
}

// replay writes the collected events to w in order.
func (e *finalEvents) replay(w wire.EventWriter) error {
	start := 0
	for i, name := range e.names {
		if err := w.Event(name, (*e.buf)[start:e.ends[i]]); err != nil {
			return err
		}
		start = e.ends[i]
	}
	return nil
}

// discardEvents is an EventWriter for a client that is gone.
type discardEvents struct{}

func (discardEvents) Event(string, []byte) error { return nil }

func (st *responseStream) reject(werr *wire.Error) {
	rejectRun(st.w, st.committed, werr, st.finish)
}
