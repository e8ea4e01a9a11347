package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/actorgate/actorgate/messages"
)

// Limits on what the backend reads from the upstream.
const (
	// maxResponseBytes bounds a non-streamed completion body.
	maxResponseBytes = 16 << 20
	// maxErrorBodyBytes bounds the body read from an error response.
	maxErrorBodyBytes = 64 << 10
	// maxDrainBytes bounds what is discarded from a finished body so that
	// its connection can be reused. A longer rest is not worth the wait,
	// and the connection is closed instead.
	maxDrainBytes = 64 << 10
	// maxErrorMessageBytes bounds the upstream error message copied into
	// an AgentError.
	maxErrorMessageBytes = 512
)

var responseBufferPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readCompletion reads a non-streamed completion into reply.
func readCompletion(ctx context.Context, body io.Reader, reply *messages.AgentReply) {
	buf := responseBufferPool.Get().(*bytes.Buffer)
	defer putResponseBuffer(buf)

	if _, err := buf.ReadFrom(io.LimitReader(body, maxResponseBytes+1)); err != nil {
		if ctx.Err() != nil {
			failContext(reply, ctx)
			return
		}
		fail(reply, CodeUpstreamError, "reading the upstream response failed: "+err.Error(), 0)
		return
	}
	if buf.Len() > maxResponseBytes {
		fail(reply, CodeUpstreamError, "the upstream response is larger than "+
			strconv.Itoa(maxResponseBytes>>20)+" MiB", 0)
		return
	}

	var c wireCompletion
	if !decodeCompletion(buf.Bytes(), &c, reply.Model) {
		// decodeCompletion leaves tool calls, errors and unusual shapes to
		// encoding/json, which also reports why invalid JSON is invalid.
		c = wireCompletion{}
		if err := json.Unmarshal(buf.Bytes(), &c); err != nil {
			fail(reply, CodeUpstreamError, "the upstream response is not valid JSON: "+
				err.Error(), 0)
			return
		}
	}
	if len(c.Error) > 0 && !bytes.Equal(c.Error, []byte("null")) {
		fail(reply, CodeUpstreamError, "the upstream reported an error: "+errorText(c.Error), 0)
		return
	}
	if len(c.Choices) == 0 {
		fail(reply, CodeUpstreamError, "the upstream response has no choices", 0)
		return
	}

	choice := &c.Choices[0]
	reply.Text = choice.Message.Content
	for _, tc := range choice.Message.ToolCalls {
		reply.ToolCalls = append(reply.ToolCalls, messages.ToolCall{
			ID: tc.ID, Type: tc.Type,
			Name: tc.Function.Name, Arguments: tc.Function.Arguments,
		})
	}
	reply.FinishReason = finishReason(choice.FinishReason, len(reply.ToolCalls))
	if c.Model != "" {
		reply.Model = c.Model
	}
	if c.Usage != nil {
		reply.Usage = messages.Usage(*c.Usage)
	}
}

func putResponseBuffer(buf *bytes.Buffer) {
	if buf.Cap() > maxPooledBody {
		return
	}
	buf.Reset()
	responseBufferPool.Put(buf)
}

// finishReason returns the upstream's finish reason, or the one implied by
// a complete answer when the upstream sent none.
func finishReason(upstream string, toolCalls int) string {
	switch {
	case upstream != "":
		return upstream
	case toolCalls > 0:
		return messages.FinishToolCalls
	default:
		return messages.FinishStop
	}
}

// emitWhole emits a complete answer as one delta. It serves upstreams that
// respond to a streaming request with a plain JSON completion.
func emitWhole(reply *messages.AgentReply, emit func(messages.AgentDelta)) {
	d := messages.AgentDelta{RequestID: reply.RequestID, Text: reply.Text}
	for i, c := range reply.ToolCalls {
		d.ToolCalls = append(d.ToolCalls, messages.ToolCallDelta{
			Index: i, ID: c.ID,
			Type: c.Type, Name: c.Name, Arguments: c.Arguments,
		})
	}
	if d.Text != "" || len(d.ToolCalls) > 0 {
		emit(d)
	}
}

// failStatus marks reply as failed because the upstream responded with an
// error status. The message carries the upstream's error.message when the
// body is an OpenAI error envelope.
func failStatus(reply *messages.AgentReply, resp *http.Response) {
	message := "the upstream returned HTTP " + strconv.Itoa(resp.StatusCode)
	buf := responseBufferPool.Get().(*bytes.Buffer)
	defer putResponseBuffer(buf)

	_, _ = buf.ReadFrom(io.LimitReader(resp.Body, maxErrorBodyBytes))
	var envelope struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(buf.Bytes(), &envelope) == nil && len(envelope.Error) > 0 {
		if text := errorText(envelope.Error); text != "" {
			message += ": " + text
		}
	}
	if resp.StatusCode == http.StatusNotFound && resp.Request != nil && resp.Request.URL != nil {
		// A base URL without its /v1 is the usual cause, and the path shows
		// it without naming the upstream's host.
		message += " for " + resp.Request.URL.Path + "; check that agent.base_url " +
			"(AGENT_BASE_URL) ends with the API's version path, usually /v1"
	}
	fail(reply, CodeUpstreamError, message, resp.StatusCode)
}

// errorText returns the message of an OpenAI error object, or the string
// itself when an upstream sent the error as a plain string, truncated to
// maxErrorMessageBytes.
func errorText(raw json.RawMessage) string {
	var text string
	if json.Unmarshal(raw, &text) != nil {
		var e wireError
		if json.Unmarshal(raw, &e) != nil {
			return ""
		}
		text = e.Message
	}
	return truncateUTF8(strings.TrimSpace(text), maxErrorMessageBytes)
}

// truncateUTF8 cuts s to at most limit bytes without splitting a rune.
func truncateUTF8(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// failTransport marks reply as failed because the request got no response.
func failTransport(reply *messages.AgentReply, ctx context.Context, err error) {
	if ctx.Err() != nil {
		failContext(reply, ctx)
		return
	}
	if isTimeout(err) {
		fail(reply, CodeUpstreamTimeout, "the upstream did not respond in time: "+err.Error(), 0)
		return
	}
	fail(reply, CodeUpstreamUnavailable, "the upstream could not be reached: "+err.Error(), 0)
}

// isTimeout reports whether any error in err's chain reports a timeout.
// errors.As with net.Error is not enough: it stops at the *url.Error that
// http.Client returns, whose Timeout looks only one level down.
func isTimeout(err error) bool {
	for err != nil {
		if t, ok := err.(interface{ Timeout() bool }); ok && t.Timeout() {
			return true
		}
		err = errors.Unwrap(err)
	}
	return false
}

// isEventStream reports whether the response is a server-sent event stream.
func isEventStream(h http.Header) bool {
	const mediaType = "text/event-stream"
	ct := h.Get("Content-Type")
	return len(ct) >= len(mediaType) && strings.EqualFold(ct[:len(mediaType)], mediaType)
}

// closeBody closes a response body. With drain set it first discards up to
// maxDrainBytes, so that the connection can go back to the pool. After a
// failure the body is closed at once, which also closes its connection,
// because the rest of a broken stream may never come.
func closeBody(body io.ReadCloser, drain bool) {
	if drain {
		_, _ = io.CopyN(io.Discard, body, maxDrainBytes)
	}
	_ = body.Close()
}
