package apiserver

import (
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/apiserver/wire"
	"github.com/actorgate/actorgate/messages"
)

// streamChat relays an agent run as chat completion chunks: the role
// chunk, the content and tool call chunks, a chunk with the finish reason,
// the usage chunk when the client asked for it, and data: [DONE].
//
// The status line is held back until the first byte of the stream, so a
// run that fails before producing anything still gets a JSON error with
// status 502 (504 for a timeout). Once a keepalive comment or a chunk has
// gone out, a failure ends the stream with the finish reason "error".
func (s *server) streamChat(w http.ResponseWriter, r *http.Request, req *messages.AgentRequest,
	includeUsage bool,
) {
	if s.agent == nil && s.settings.Runner == nil {
		wire.WriteError(w, errUnavailable("no agent is running"))
		return
	}
	st := &chatStream{
		s: s, w: w, sse: wire.NewSSEWriter(w), id: wire.NewChatCompletionID(),
		created: time.Now().Unix(), model: req.Model, runID: req.RequestID,
		includeUsage: includeUsage,
	}
	st.sse.SetAutoFlush(false)
	s.relay(r.Context(), req, st)
}

// chatStream is the state of one streamed chat completion.
type chatStream struct {
	s            *server
	w            http.ResponseWriter
	sse          *wire.SSEWriter
	id           string
	created      int64
	model        string
	runID        string
	includeUsage bool
	// committed is set once anything was written, so the status is 200.
	committed bool
	// started is set once the role chunk was written.
	started bool
	// streamed is set once a content or tool call chunk was written.
	streamed bool
}

var _ streamSink = (*chatStream)(nil)

// useModel makes the chunks name model, the one the upstream reported,
// instead of the requested one. Only the first chunk may change it, so that
// every chunk of a stream names the same model, as OpenAI's do.
func (st *chatStream) useModel(model string) {
	if model != "" && !st.started {
		st.model = model
	}
}

// begin writes the role chunk that opens every stream.
func (st *chatStream) begin() error {
	if st.started {
		return nil
	}
	st.started, st.committed = true, true
	buf := st.s.getBuf()
	defer st.s.putBuf(buf)
	*buf = st.usageNull(wire.AppendChatChunkRole(*buf, st.id, st.created, st.model))
	return st.sse.Data(*buf)
}

func (st *chatStream) keepalive() error {
	st.committed = true
	if err := st.sse.Comment("keepalive"); err != nil {
		return err
	}
	return st.sse.Flush()
}

func (st *chatStream) flush() error {
	return st.sse.Flush()
}

func (st *chatStream) delta(d *messages.AgentDelta) error {
	if d.Text == "" && len(d.ToolCalls) == 0 {
		return nil
	}
	st.useModel(d.Model)
	if err := st.begin(); err != nil {
		return err
	}
	st.streamed = true
	buf := st.s.getBuf()
	defer st.s.putBuf(buf)
	*buf = st.usageNull(wire.AppendChatChunkDelta(*buf, st.id, st.created, st.model, d))
	return st.sse.Data(*buf)
}

func (st *chatStream) finish(reply *messages.AgentReply) {
	if !st.committed {
		if werr := incompleteError(reply); werr != nil {
			wire.WriteError(st.w, werr)
			return
		}
	}
	if err := st.writeEnd(reply); err != nil {
		st.s.log.Debug("client disconnected at the end of a stream",
			zap.String("request_id", st.runID), zap.Error(err))
	}
}

// writeEnd writes what the reply has beyond the streamed chunks, then the
// finish chunk, the usage chunk when asked for, and [DONE].
func (st *chatStream) writeEnd(reply *messages.AgentReply) error {
	st.useModel(reply.Model)
	if err := st.begin(); err != nil {
		return err
	}
	if !st.streamed && (reply.Text != "" || len(reply.ToolCalls) > 0) {
		// The backend did not stream, so its whole reply goes out as one delta.
		if err := st.delta(wholeDelta(reply)); err != nil {
			return err
		}
	}
	buf := st.s.getBuf()
	defer st.s.putBuf(buf)
	*buf = st.usageNull(
		wire.AppendChatChunkFinish(*buf, st.id, st.created, st.model, finishReason(reply)))
	if err := st.sse.Data(*buf); err != nil {
		return err
	}
	if st.includeUsage {
		*buf = wire.AppendChatChunkUsage((*buf)[:0], st.id, st.created, st.model, reply.Usage)
		if err := st.sse.Data(*buf); err != nil {
			return err
		}
	}
	// No flush: the handler returns next, and the server sends these
	// events in one write with the end of the chunked body.
	return st.sse.Done()
}

// usageNull gives a chunk the "usage":null field when the client asked for
// the usage chunk, as OpenAI does on every chunk before it.
func (st *chatStream) usageNull(chunk []byte) []byte {
	if !st.includeUsage {
		return chunk
	}
	return wire.AppendNullUsage(chunk)
}

// wholeDelta is one delta that carries the text and tool calls of a reply.
func wholeDelta(reply *messages.AgentReply) *messages.AgentDelta {
	d := &messages.AgentDelta{RequestID: reply.RequestID, Text: reply.Text}
	for i, tc := range reply.ToolCalls {
		d.ToolCalls = append(d.ToolCalls, messages.ToolCallDelta{
			Index: i, ID: tc.ID, Type: tc.Type, Name: tc.Name, Arguments: tc.Arguments,
		})
	}
	return d
}

func (st *chatStream) abandon() {
	st.s.log.Info("client disconnected during stream", zap.String("request_id", st.runID))
}

func (st *chatStream) timeout() {
	st.s.log.Warn("agent did not finish a stream before the deadline",
		zap.String("request_id", st.runID))
	st.finish(timeoutReply(st.runID))
}

func (st *chatStream) reject(werr *wire.Error) {
	rejectRun(st.w, st.committed, werr, st.finish)
}
