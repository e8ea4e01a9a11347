package agent

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/actorgate/actorgate/messages"
)

// Limits of the SSE reader.
const (
	// sseBufferSize is the size of a stream's read buffer. A chunk event is
	// a few hundred bytes. One read takes up to this much of what the
	// upstream sent since the last read, so that its events go to the
	// client in one write. A longer line is collected in sseReader.line,
	// which grows as needed. The buffer comes from sseBufferPool. When the
	// body is a readableWaiter, as h1's response body is, the buffer goes
	// back to the pool whenever it is empty and the stream waits for the
	// upstream. A stream spends most of its time waiting for the next
	// token, and has no read buffer then. A stream on another body keeps
	// its buffer until it ends.
	sseBufferSize = 4 << 10
	// maxEventBytes bounds one event's data. A chat completion chunk is a
	// few hundred bytes, so a larger event means a broken upstream.
	maxEventBytes = 8 << 20
)

// doneMarker is the data of the event that ends an OpenAI stream.
var doneMarker = []byte("[DONE]")

// errStreamEnded is reported for a stream that ended before [DONE] and
// before any finish_reason, so the answer may be incomplete.
var errStreamEnded = errors.New("the upstream stream ended before [DONE] or a finish_reason")

var (
	sseReaderPool = sync.Pool{New: func() any { return new(sseReader) }}
	sseBufferPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, sseBufferSize) }}
)

// readableWaiter is a response body that can wait until Read has data
// without a read buffer from its caller, as h1's response body does.
// WaitReadable returns the error that the next Read would return, or nil.
type readableWaiter interface {
	WaitReadable() error
}

// sseReader reads the data of server-sent events, following the
// text/event-stream format: data lines of one event are joined with "\n"
// and the event ends at a blank line. Comments and fields other than data
// (event, id, retry) are skipped.
type sseReader struct {
	body io.Reader
	// waiter is body when it is a readableWaiter. br is then nil while
	// the stream waits for the upstream with an empty buffer.
	waiter readableWaiter
	br     *bufio.Reader
	// line collects a line longer than the bufio buffer.
	line []byte
	data []byte
}

func acquireSSEReader(r io.Reader) *sseReader {
	s := sseReaderPool.Get().(*sseReader)
	s.body = r
	s.waiter, _ = r.(readableWaiter)
	if s.waiter == nil {
		s.takeBuffer()
	}
	return s
}

func (s *sseReader) release() {
	s.putBuffer()
	s.body, s.waiter = nil, nil
	if cap(s.line) > maxPooledBody || cap(s.data) > maxPooledBody {
		return
	}
	s.line, s.data = s.line[:0], s.data[:0]
	sseReaderPool.Put(s)
}

// takeBuffer gives the reader a read buffer on body unless it has one.
func (s *sseReader) takeBuffer() {
	if s.br == nil {
		s.br = sseBufferPool.Get().(*bufio.Reader)
		s.br.Reset(s.body)
	}
}

// putBuffer returns the read buffer to its pool and drops the bytes it
// contains.
func (s *sseReader) putBuffer() {
	if s.br != nil {
		s.br.Reset(nil)
		sseBufferPool.Put(s.br)
		s.br = nil
	}
}

// readSlice returns the next line, or part of it, as bufio's ReadSlice
// does. When the buffer is empty and body is a readableWaiter, the buffer
// goes back to its pool until the body has data.
func (s *sseReader) readSlice() ([]byte, error) {
	if s.waiter != nil && (s.br == nil || s.br.Buffered() == 0) {
		s.putBuffer()
		if err := s.waiter.WaitReadable(); err != nil {
			return nil, err
		}
	}
	s.takeBuffer()
	return s.br.ReadSlice('\n')
}

// eventBuffered reports whether the read buffer holds the end of another
// event, so that next can return it without waiting for the upstream.
func (s *sseReader) eventBuffered() bool {
	if s.br == nil {
		return false
	}
	buffered, _ := s.br.Peek(s.br.Buffered())
	return bytes.Contains(buffered, []byte("\n\n")) || bytes.Contains(buffered, []byte("\n\r\n"))
}

// next returns the data of the next event. The slice is valid until the
// next call. At the end of the stream it returns a last event that lacks
// its blank line, then io.EOF.
func (s *sseReader) next() ([]byte, error) {
	s.data = s.data[:0]
	hasData := false
	for {
		line, err := s.readLine()
		if errors.Is(err, io.EOF) && hasData {
			return s.data, nil
		}
		if err != nil {
			return nil, err
		}
		if len(line) == 0 {
			if hasData {
				return s.data, nil
			}
			continue
		}
		if line[0] == ':' {
			continue
		}
		field, value := splitField(line)
		if string(field) != "data" {
			continue
		}
		if hasData {
			s.data = append(s.data, '\n')
		}
		s.data = append(s.data, value...)
		hasData = true
		if len(s.data) > maxEventBytes {
			return nil, fmt.Errorf("%w: an event is larger than %d bytes", ErrMalformedStream, maxEventBytes)
		}
	}
}

// readLine returns the next line without its line ending. A last line
// without a line ending is returned before io.EOF.
func (s *sseReader) readLine() ([]byte, error) {
	line, err := s.readSlice()
	if err == nil || (errors.Is(err, io.EOF) && len(line) > 0) {
		return trimLineEnd(line), nil
	}
	if !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}

	s.line = append(s.line[:0], line...)
	for {
		line, err = s.readSlice()
		s.line = append(s.line, line...)
		if len(s.line) > maxEventBytes {
			return nil, fmt.Errorf("%w: a line is longer than %d bytes", ErrMalformedStream, maxEventBytes)
		}
		if err == nil || errors.Is(err, io.EOF) {
			return trimLineEnd(s.line), nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return nil, err
		}
	}
}

func trimLineEnd(line []byte) []byte {
	line = bytes.TrimSuffix(line, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r"))
}

// splitField splits "field: value" at the first colon and drops one space
// after it.
func splitField(line []byte) (field, value []byte) {
	i := bytes.IndexByte(line, ':')
	if i < 0 {
		return line, nil
	}
	value = line[i+1:]
	if len(value) > 0 && value[0] == ' ' {
		value = value[1:]
	}
	return line[:i], value
}

// pendingCall is a tool call being assembled from streamed fragments.
type pendingCall struct {
	index int
	call  messages.ToolCall
	args  []byte
}

// streamState accumulates a streamed completion and forwards each content
// and tool call fragment as soon as its chunk arrives.
type streamState struct {
	reply    *messages.AgentReply
	emit     func(messages.AgentDelta)
	text     strings.Builder
	calls    []pendingCall
	chunk    wireChunk
	finished bool

	// sse is the stream's reader. pending holds text not yet emitted. Text
	// of events that are already buffered together goes out as one delta,
	// so a burst from the upstream crosses to the client in one message.
	sse     *sseReader
	pending strings.Builder

	// decoder decodes the chunks that decodeChunk leaves to encoding/json,
	// reading them from source. It is created for the first such chunk and
	// reused for the rest of the stream. fed counts the bytes given to it
	// so far.
	decoder *json.Decoder
	source  bytes.Reader
	fed     int64
}

// readStream reads an SSE completion into reply, emitting fragments. It
// returns the error of a failed read for the gateway log, because that
// error may name the upstream's address, and nil otherwise.
func readStream(
	ctx context.Context, body io.Reader, reply *messages.AgentReply, emit func(messages.AgentDelta),
) error {
	sse := acquireSSEReader(body)
	defer sse.release()

	st := streamState{reply: reply, emit: emit, sse: sse}
	err := st.consume(sse)
	st.flushText()
	st.complete()
	var readErr *streamReadError
	switch {
	case err == nil:
		reply.FinishReason = finishReason(reply.FinishReason, len(reply.ToolCalls))
	case ctx.Err() != nil:
		failContext(reply, ctx)
	case errors.As(err, &readErr):
		fail(reply, CodeUpstreamError, "reading the upstream stream failed: "+
			transportReason(readErr.err), 0)
		return readErr.err
	default:
		fail(reply, CodeUpstreamError, err.Error(), 0)
	}
	return nil
}

// streamReadError is a failed read of the upstream's stream. Its message
// may name the upstream's address, so it goes only to the gateway log.
type streamReadError struct {
	err error
}

func (e *streamReadError) Error() string {
	return "reading the upstream stream failed: " + e.err.Error()
}

func (e *streamReadError) Unwrap() error { return e.err }

// consume handles events until [DONE]. It returns nil also for a stream
// that ends without [DONE] after a finish_reason, because the answer is
// complete then.
func (st *streamState) consume(sse *sseReader) error {
	for {
		data, err := sse.next()
		if err != nil {
			if st.finished {
				return nil
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return errStreamEnded
			}
			if errors.Is(err, ErrMalformedStream) {
				return err
			}
			return &streamReadError{err: err}
		}
		if bytes.Equal(data, doneMarker) {
			return nil
		}
		if err := st.handle(data); err != nil {
			return err
		}
	}
}

// handle applies one chunk and emits its fragments.
func (st *streamState) handle(data []byte) error {
	st.resetChunk()
	if !decodeChunk(data, &st.chunk, st.reply.Model) {
		st.resetChunk()
		if err := st.decode(data); err != nil {
			return fmt.Errorf("%w: a chunk is not valid JSON: %w", ErrMalformedStream, err)
		}
	}
	if len(st.chunk.Error) > 0 && !bytes.Equal(st.chunk.Error, []byte("null")) {
		return errors.New("the upstream reported an error: " + errorText(st.chunk.Error))
	}
	if st.chunk.Model != "" {
		st.reply.Model = st.chunk.Model
	}
	if st.chunk.Usage != nil {
		st.reply.Usage = messages.Usage(*st.chunk.Usage)
	}
	for i := range st.chunk.Choices {
		if st.chunk.Choices[i].Index == 0 {
			st.handleChoice(&st.chunk.Choices[i])
		}
	}
	return nil
}

// resetChunk empties the chunk and keeps its choices' backing array.
func (st *streamState) resetChunk() {
	choices := st.chunk.Choices[:cap(st.chunk.Choices)]
	clear(choices)
	st.chunk = wireChunk{Choices: choices[:0]}
}

// decode decodes data, which must hold exactly one JSON value, into the
// chunk with encoding/json.
func (st *streamState) decode(data []byte) error {
	if st.decoder == nil {
		st.decoder = json.NewDecoder(&st.source)
	}
	st.source.Reset(data)
	st.fed += int64(len(data))
	if err := st.decoder.Decode(&st.chunk); err != nil {
		if errors.Is(err, io.EOF) {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	// The value ended inside data, so the bytes not consumed are its tail.
	unread := min(int(st.fed-st.decoder.InputOffset()), len(data))
	rest := data[len(data)-unread:]
	if len(bytes.TrimSpace(rest)) > 0 {
		return fmt.Errorf("unexpected data after the JSON value: %.20q", rest)
	}
	return nil
}

func (st *streamState) handleChoice(c *wireChunkChoice) {
	if c.FinishReason != "" {
		st.reply.FinishReason = c.FinishReason
		st.finished = true
	}
	if c.Delta.Content == "" && len(c.Delta.ToolCalls) == 0 {
		return
	}
	st.text.WriteString(c.Delta.Content)
	if st.emit == nil {
		for i := range c.Delta.ToolCalls {
			st.mergeToolCall(&c.Delta.ToolCalls[i])
		}
		return
	}
	if len(c.Delta.ToolCalls) == 0 {
		st.pending.WriteString(c.Delta.Content)
		if st.sse == nil || !st.sse.eventBuffered() {
			st.flushText()
		}
		return
	}
	st.flushText()
	deltas := make([]messages.ToolCallDelta, len(c.Delta.ToolCalls))
	for i := range c.Delta.ToolCalls {
		deltas[i] = st.mergeToolCall(&c.Delta.ToolCalls[i])
	}
	st.emit(messages.AgentDelta{
		RequestID: st.reply.RequestID, Text: c.Delta.Content,
		ToolCalls: deltas, Model: st.reply.Model,
	})
}

// flushText emits the pending text as one delta. It runs when no further
// complete event is buffered, before a tool call fragment, and at the end of
// the stream.
func (st *streamState) flushText() {
	if st.pending.Len() == 0 || st.emit == nil {
		return
	}
	st.emit(messages.AgentDelta{
		RequestID: st.reply.RequestID, Text: st.pending.String(), Model: st.reply.Model,
	})
	st.pending.Reset()
}

// mergeToolCall adds a fragment to the call with the same index, as the
// OpenAI SDKs do: id, type and name replace, arguments append.
func (st *streamState) mergeToolCall(d *wireToolCallDelta) messages.ToolCallDelta {
	i := slices.IndexFunc(st.calls, func(p pendingCall) bool { return p.index == d.Index })
	if i < 0 {
		fresh := pendingCall{index: d.Index, call: messages.ToolCall{Type: "function"}}
		st.calls = append(st.calls, fresh)
		i = len(st.calls) - 1
	}
	p := &st.calls[i]
	if d.ID != "" {
		p.call.ID = d.ID
	}
	if d.Type != "" {
		p.call.Type = d.Type
	}
	if d.Function.Name != "" {
		p.call.Name = d.Function.Name
	}
	p.args = append(p.args, d.Function.Arguments...)
	return messages.ToolCallDelta{
		Index: d.Index, ID: d.ID, Type: d.Type,
		Name: d.Function.Name, Arguments: d.Function.Arguments,
	}
}

// complete stores the text and the tool calls, in index order, in the
// reply.
func (st *streamState) complete() {
	st.reply.Text = st.text.String()
	if len(st.calls) == 0 {
		return
	}
	slices.SortStableFunc(st.calls, func(a, b pendingCall) int { return a.index - b.index })
	st.reply.ToolCalls = make([]messages.ToolCall, len(st.calls))
	for i := range st.calls {
		st.reply.ToolCalls[i] = st.calls[i].call
		st.reply.ToolCalls[i].Arguments = string(st.calls[i].args)
	}
}
