package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/actorgate/actorgate/actors/agent/h1"
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

// readCompletion reads a non-streamed completion into reply. It returns
// the error of a failed read for the gateway log, because that error may
// name the upstream's address, and nil otherwise.
func readCompletion(ctx context.Context, body io.Reader, reply *messages.AgentReply) error {
	buf := responseBufferPool.Get().(*bytes.Buffer)
	defer putResponseBuffer(buf)

	if _, err := buf.ReadFrom(io.LimitReader(body, maxResponseBytes+1)); err != nil {
		if ctx.Err() != nil {
			failContext(reply, ctx)
			return nil
		}
		fail(reply, CodeUpstreamError, "reading the upstream response failed: "+
			transportReason(err), 0)
		return err
	}
	if buf.Len() > maxResponseBytes {
		fail(reply, CodeUpstreamError, "the upstream response is larger than "+
			strconv.Itoa(maxResponseBytes>>20)+" MiB", 0)
		return nil
	}

	var c wireCompletion
	if !decodeCompletion(buf.Bytes(), &c, reply.Model) {
		// decodeCompletion leaves tool calls, errors and unusual shapes to
		// encoding/json, which also reports why invalid JSON is invalid.
		c = wireCompletion{}
		if err := json.Unmarshal(buf.Bytes(), &c); err != nil {
			fail(reply, CodeUpstreamError, "the upstream response is not valid JSON: "+
				err.Error(), 0)
			return nil
		}
	}
	if len(c.Error) > 0 && !bytes.Equal(c.Error, []byte("null")) {
		fail(reply, CodeUpstreamError, "the upstream reported an error: "+errorText(c.Error), 0)
		return nil
	}
	if len(c.Choices) == 0 {
		fail(reply, CodeUpstreamError, "the upstream response has no choices", 0)
		return nil
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
	return nil
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
// body is an OpenAI error envelope, and the reply the wait that a
// Retry-After or retry-after-ms header requests.
//
// A 401 or 403 means that the upstream rejected the gateway's own key, so
// the client learns only that, and the error returned for the gateway log
// carries the upstream's message and the fix. Other statuses return nil.
func failStatus(reply *messages.AgentReply, resp *http.Response) error {
	status := resp.StatusCode
	text := readErrorText(resp.Body)
	if status == http.StatusUnauthorized || status == http.StatusForbidden {
		fail(reply, CodeUpstreamError, "the upstream rejected the gateway's credentials (HTTP "+
			strconv.Itoa(status)+")", status)
		return credentialsError(status, text)
	}

	message := "the upstream returned HTTP " + strconv.Itoa(status)
	if text != "" {
		message += ": " + text
	}
	if status == http.StatusNotFound && resp.Request != nil && resp.Request.URL != nil {
		// A base URL without its /v1 is the usual cause, and the path shows
		// it without naming the upstream's host.
		message += " for " + resp.Request.URL.Path + "; check that agent.base_url " +
			"(AGENT_BASE_URL) ends with the API's version path, usually /v1"
	}
	fail(reply, CodeUpstreamError, message, status)
	reply.Err.RetryAfter = retryAfter(resp.Header, time.Now())
	return nil
}

// readErrorText returns the error message of an error response body when
// it is an OpenAI error envelope, else "".
func readErrorText(body io.Reader) string {
	buf := responseBufferPool.Get().(*bytes.Buffer)
	defer putResponseBuffer(buf)

	_, _ = buf.ReadFrom(io.LimitReader(body, maxErrorBodyBytes))
	var envelope struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(buf.Bytes(), &envelope) != nil || len(envelope.Error) == 0 {
		return ""
	}
	return errorText(envelope.Error)
}

// credentialsError returns the error for the gateway log about an upstream
// that rejected the gateway's key with status. It quotes the upstream's
// message text and names the setting to fix.
func credentialsError(status int, text string) error {
	if text == "" {
		text = "no message"
	}
	if status == http.StatusForbidden {
		return fmt.Errorf("%w: the upstream denied access with HTTP 403 (%q); set agent.api_key "+
			"(AGENT_API_KEY) to a key with access to this model and endpoint",
			ErrUpstreamCredentials, text)
	}
	return fmt.Errorf("%w: the upstream rejected the key with HTTP %d (%q); set agent.api_key "+
		"(AGENT_API_KEY) to a key that the upstream accepts", ErrUpstreamCredentials, status, text)
}

// errorText returns the message of an OpenAI error object, or the string
// itself when an upstream sent the error as a plain string, without the
// URLs and addresses it names (see hideAddresses) and truncated to
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
	return truncateUTF8(hideAddresses(strings.TrimSpace(text)), maxErrorMessageBytes)
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

// failTransport marks reply as failed because the request got no
// response. The message gives the reason without the upstream's address,
// and the error returned for the gateway log is err itself, which names
// it. A run whose context ended returns nil, because the reply already
// states the cause.
func failTransport(reply *messages.AgentReply, ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		failContext(reply, ctx)
		return nil
	case isTimeout(err):
		fail(reply, CodeUpstreamTimeout, "the upstream did not respond in time: "+
			timeoutReason(err), 0)
	case errors.Is(err, h1.ErrMalformedResponse), errors.Is(err, h1.ErrHeaderTooLarge),
		errors.Is(err, h1.ErrUnsupportedResponse):
		fail(reply, CodeUpstreamError, transportReason(err), 0)
	default:
		fail(reply, CodeUpstreamUnavailable, "the upstream could not be reached: "+
			transportReason(err), 0)
	}
	return err
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
