package apiserver

import (
	"context"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/apiserver/wire"
	"github.com/actorgate/actorgate/messages"
)

// lateReplyMargin is how much longer a requester waits than the deadline
// it gives the agent. The agent drops a reply whose deadline passed, so a
// reply never reaches a future that already timed out.
const lateReplyMargin = time.Second

func (s *server) chatCompletions(w http.ResponseWriter, r *http.Request) {
	buf := s.getBuf()
	defer s.putBuf(buf)
	body, werr := readBody(r, *buf)
	if werr != nil {
		wire.WriteError(w, werr)
		return
	}
	*buf = body[:0]
	req, werr := wire.DecodeChatRequest(body)
	if werr != nil {
		wire.WriteError(w, werr)
		return
	}
	session, werr := sessionKey(r)
	if werr != nil {
		wire.WriteError(w, werr)
		return
	}
	id := requestID(r.Context())
	areq := &messages.AgentRequest{
		RequestID:  id,
		SessionID:  sessionID(session, id),
		Model:      s.model(req.Model),
		Messages:   req.Messages,
		Tools:      req.Tools,
		ToolChoice: req.ToolChoice,
		Options:    req.Options,
		Stream:     req.Stream,
		Deadline:   time.Now().Add(s.settings.AgentTimeout),
	}
	if req.Stream {
		s.streamChat(w, r, areq, req.IncludeUsage)
		return
	}
	reply, werr := s.runAgent(r.Context(), areq)
	if werr != nil {
		wire.WriteError(w, werr)
		return
	}
	if werr := incompleteError(reply); werr != nil {
		wire.WriteError(w, werr)
		return
	}
	out := s.getBuf()
	defer s.putBuf(out)
	*out = wire.AppendChatCompletion(*out, wire.NewChatCompletionID(), time.Now().Unix(),
		replyModel(reply, areq.Model), reply)
	writeJSON(w, http.StatusOK, *out)
}

// model maps the client's model to the one the request runs with: empty
// means the gateway's own model name.
func (s *server) model(requested string) string {
	if requested == "" {
		return s.settings.API.ModelName
	}
	return requested
}

func replyModel(reply *messages.AgentReply, requested string) string {
	if reply.Model != "" {
		return reply.Model
	}
	return requested
}

// sessionID names the agent session of a stateless request: the caller's
// session key when it sent one, else the request's own id, so that two
// callers never share a session by sending the same words.
func sessionID(sessionKey, requestID string) string {
	if sessionKey != "" {
		return "api:" + sessionKey
	}
	return "api:" + requestID
}

// runAgent sends a non-streaming request to the agent and waits for the
// reply. If the client goes away first, the agent run is cancelled.
func (s *server) runAgent(ctx context.Context, req *messages.AgentRequest) (*messages.AgentReply, *wire.Error) {
	if s.agent == nil {
		return nil, errUnavailable("no agent is running")
	}
	stop := context.AfterFunc(ctx, func() {
		s.root.Send(s.agent, &messages.CancelAgentRequest{RequestID: req.RequestID})
	})
	defer stop()
	timeout := time.Until(req.Deadline) + lateReplyMargin
	res, werr := s.ask(context.WithoutCancel(ctx), s.agent, req, timeout)
	if werr != nil {
		return nil, werr
	}
	reply, ok := res.(*messages.AgentReply)
	if !ok {
		return nil, errUnavailable("the agent returned no reply")
	}
	return reply, nil
}

// incompleteError maps a failed run that produced nothing to 502; a run
// that produced some text is returned with its finish reason instead.
func incompleteError(reply *messages.AgentReply) *wire.Error {
	if reply.Err == nil || reply.Text != "" || len(reply.ToolCalls) > 0 {
		return nil
	}
	status := http.StatusBadGateway
	if reply.Err.Code == "upstream_timeout" {
		status = http.StatusGatewayTimeout
	}
	return wire.NewError(status, "server_error", "", "agent_incomplete",
		"the agent produced no answer: %s", reply.Err.Message)
}

// finishReason never reports "stop" for a run that failed.
func finishReason(reply *messages.AgentReply) string {
	if reply.Err != nil {
		if reply.FinishReason == messages.FinishLength {
			return messages.FinishLength
		}
		return messages.FinishError
	}
	if reply.FinishReason == "" {
		return messages.FinishStop
	}
	return reply.FinishReason
}

// streamChat relays the agent's deltas as chat completion chunks. The
// status line is held back until the first delta, so that a run that
// fails before producing anything still gets a 502.
func (s *server) streamChat(w http.ResponseWriter, r *http.Request, req *messages.AgentRequest,
	includeUsage bool,
) {
	if s.agent == nil {
		wire.WriteError(w, errUnavailable("no agent is running"))
		return
	}
	in := newInbox(s.system, 64)
	defer in.close()
	s.root.RequestWithCustomSender(s.agent, req, in.pid)

	st := &chatStream{
		sse: wire.NewSSEWriter(w), id: wire.NewChatCompletionID(), created: time.Now().Unix(),
		model: req.Model, buf: s.getBuf(),
	}
	defer s.putBuf(st.buf)
	keepalive := time.NewTimer(s.settings.API.KeepAlive)
	defer keepalive.Stop()
	deadline := time.NewTimer(time.Until(req.Deadline) + lateReplyMargin)
	defer deadline.Stop()

	for {
		select {
		case m := <-in.c:
			done, err := st.handle(w, m, includeUsage)
			if err != nil || done {
				if err != nil {
					s.cancelRun(req.RequestID)
				}
				return
			}
			keepalive.Reset(s.settings.API.KeepAlive)
		case <-keepalive.C:
			if err := st.keepalive(); err != nil {
				s.cancelRun(req.RequestID)
				return
			}
			keepalive.Reset(s.settings.API.KeepAlive)
		case <-r.Context().Done():
			s.cancelRun(req.RequestID)
			s.log.Info("client disconnected during stream", zap.String("request_id", req.RequestID))
			return
		case <-deadline.C:
			s.cancelRun(req.RequestID)
			st.fail(w, errTimeout())
			return
		}
	}
}

func (s *server) cancelRun(id string) {
	s.root.Send(s.agent, &messages.CancelAgentRequest{RequestID: id})
}

// chatStream is the state of one streamed chat completion.
type chatStream struct {
	sse     *wire.SSEWriter
	id      string
	created int64
	model   string
	buf     *[]byte
	started bool
	text    bool
}

// begin sends the role chunk that opens every stream.
func (st *chatStream) begin() error {
	if st.started {
		return nil
	}
	st.started = true
	*st.buf = wire.AppendChatChunkRole((*st.buf)[:0], st.id, st.created, st.model)
	return st.sse.Data(*st.buf)
}

func (st *chatStream) keepalive() error {
	if err := st.begin(); err != nil {
		return err
	}
	return st.sse.Comment("keepalive")
}

// handle writes one message of the agent; done is true after the last.
func (st *chatStream) handle(w http.ResponseWriter, m any, includeUsage bool) (bool, error) {
	switch m := m.(type) {
	case *messages.AgentDelta:
		if m.Text == "" && len(m.ToolCalls) == 0 {
			return false, nil
		}
		if err := st.begin(); err != nil {
			return true, err
		}
		st.text = true
		*st.buf = wire.AppendChatChunkDelta((*st.buf)[:0], st.id, st.created, st.model, m)
		return false, st.sse.Data(*st.buf)
	case *messages.AgentReply:
		return true, st.finish(w, m, includeUsage)
	}
	return false, nil
}

func (st *chatStream) finish(w http.ResponseWriter, reply *messages.AgentReply, includeUsage bool) error {
	if !st.started {
		if werr := incompleteError(reply); werr != nil {
			wire.WriteError(w, werr)
			return nil
		}
	}
	if err := st.begin(); err != nil {
		return err
	}
	if !st.text && (reply.Text != "" || len(reply.ToolCalls) > 0) {
		// The backend did not stream: send its answer as one delta.
		d := &messages.AgentDelta{Text: reply.Text}
		for i, tc := range reply.ToolCalls {
			d.ToolCalls = append(d.ToolCalls, messages.ToolCallDelta{
				Index: i, ID: tc.ID, Type: tc.Type, Name: tc.Name, Arguments: tc.Arguments,
			})
		}
		*st.buf = wire.AppendChatChunkDelta((*st.buf)[:0], st.id, st.created, st.model, d)
		if err := st.sse.Data(*st.buf); err != nil {
			return err
		}
	}
	*st.buf = wire.AppendChatChunkFinish((*st.buf)[:0], st.id, st.created, st.model, finishReason(reply))
	if err := st.sse.Data(*st.buf); err != nil {
		return err
	}
	if includeUsage {
		*st.buf = wire.AppendChatChunkUsage((*st.buf)[:0], st.id, st.created, st.model, reply.Usage)
		if err := st.sse.Data(*st.buf); err != nil {
			return err
		}
	}
	return st.sse.Done()
}

// fail ends a stream with an error: as a JSON error before the stream
// started, or as an error event inside it.
func (st *chatStream) fail(w http.ResponseWriter, werr *wire.Error) {
	if !st.started {
		wire.WriteError(w, werr)
		return
	}
	*st.buf = werr.AppendJSON((*st.buf)[:0])
	_ = st.sse.Data(*st.buf)
}
