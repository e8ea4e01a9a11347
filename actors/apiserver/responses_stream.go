package apiserver

import (
	"context"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/apiserver/wire"
	"github.com/actorgate/actorgate/messages"
)

// terminalHook is an EventWriter that runs a function right before the
// terminal event of a response stream, so that the response is stored
// before the client learns it is done and can chain to it.
type terminalHook struct {
	sse    *wire.SSEWriter
	before func() error
}

func (h *terminalHook) Event(name string, data []byte) error {
	switch name {
	case wire.EventResponseCompleted, wire.EventResponseFailed, wire.EventResponseIncomplete:
		if h.before != nil {
			if err := h.before(); err != nil {
				return err
			}
			h.before = nil
		}
	}
	return h.sse.Event(name, data)
}

// streamResponse relays an agent run as Responses API stream events. A
// client that goes away mid-stream cancels the run, and the text produced
// so far is stored as an incomplete response that can still be read and
// chained.
func (s *server) streamResponse(w http.ResponseWriter, r *http.Request, t *turn) {
	if s.agent == nil {
		wire.WriteError(w, errUnavailable("no agent is running"))
		return
	}
	in := newInbox(s.system, 64)
	defer in.close()
	s.root.RequestWithCustomSender(s.agent, t.agent, in.pid)

	sse := wire.NewSSEWriter(w)
	rs := wire.NewResponseStream(t.obj)
	var final *messages.AgentReply
	var storeErr *wire.Error
	out := &terminalHook{sse: sse, before: func() error {
		// The store is written with a context that outlives the client, so
		// that a disconnect does not lose an answer already produced.
		storeErr = s.storeTurn(context.WithoutCancel(r.Context()), t, final)
		return nil
	}}
	if err := rs.Start(out); err != nil {
		s.cancelRun(t.agent.RequestID)
		return
	}

	var text strings.Builder
	keepalive := time.NewTimer(s.settings.API.KeepAlive)
	defer keepalive.Stop()
	deadline := time.NewTimer(time.Until(t.agent.Deadline) + lateReplyMargin)
	defer deadline.Stop()
	for {
		select {
		case m := <-in.c:
			switch m := m.(type) {
			case *messages.AgentDelta:
				text.WriteString(m.Text)
				if err := rs.Delta(out, m); err != nil {
					s.abandonStream(r.Context(), t, text.String())
					return
				}
			case *messages.AgentReply:
				final = m
				t.obj.Model = replyModel(m, t.agent.Model)
				if err := rs.Finish(out, m); err != nil {
					s.log.Info("client disconnected at the end of a stream",
						zap.String("request_id", t.agent.RequestID))
				}
				if storeErr != nil {
					s.log.Warn("storing a streamed response failed",
						zap.String("request_id", t.agent.RequestID),
						zap.String("response_id", t.id), zap.String("error", storeErr.Message))
				}
				return
			}
			keepalive.Reset(s.settings.API.KeepAlive)
		case <-keepalive.C:
			if err := sse.Comment("keepalive"); err != nil {
				s.abandonStream(r.Context(), t, text.String())
				return
			}
			keepalive.Reset(s.settings.API.KeepAlive)
		case <-r.Context().Done():
			s.abandonStream(r.Context(), t, text.String())
			return
		case <-deadline.C:
			s.cancelRun(t.agent.RequestID)
			final = &messages.AgentReply{Text: text.String(), Err: &messages.AgentError{
				Code: "upstream_timeout", Message: "the agent did not finish before the deadline",
			}}
			_ = rs.Finish(out, final)
			return
		}
	}
}

// abandonStream cancels the run of a client that went away and stores
// what it had produced as an incomplete response.
func (s *server) abandonStream(ctx context.Context, t *turn, text string) {
	s.cancelRun(t.agent.RequestID)
	s.log.Info("client disconnected during stream", zap.String("request_id", t.agent.RequestID),
		zap.String("response_id", t.id))
	if !t.req.Store {
		return
	}
	reply := &messages.AgentReply{Text: text, Err: &messages.AgentError{
		Code: "cancelled", Message: "the client disconnected before the response was complete",
	}}
	t.obj.SetReply(reply)
	if werr := s.storeTurn(context.WithoutCancel(ctx), t, reply); werr != nil {
		s.log.Warn("storing an incomplete response failed", zap.String("response_id", t.id),
			zap.String("error", werr.Message))
	}
}
