package agent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/actorgate/actorgate/messages"

	"github.com/actorgate/actorgate/internal/jsonstr"
)

// maxPooledBody is the largest buffer kept in the pool. A larger one, from
// a request with a long history or images inline, is left to the garbage
// collector so that the pool does not pin that memory.
const maxPooledBody = 1 << 20

// reservedFields are set by the encoder itself. Options with these names
// are skipped so that the body never has duplicate keys.
var reservedFields = []string{
	"messages", "model", "stream", "stream_options", "tool_choice", "tools",
}

var requestBodyPool = sync.Pool{New: func() any { return new(requestBody) }}

// requestBody is a pooled buffer for upstream request bodies. payload
// copies the encoded bytes out before the body goes back to the pool. The
// copy is needed because net/http may still read a request body after
// RoundTrip has returned, for example when the upstream responds before it
// has read the whole request.
type requestBody struct {
	buf  []byte
	keys []string
}

// acquireRequestBody takes an empty body from the pool. The caller must
// call release.
func acquireRequestBody() *requestBody {
	return requestBodyPool.Get().(*requestBody)
}

// release returns the body to the pool unless its buffer grew beyond
// maxPooledBody.
func (b *requestBody) release() {
	if cap(b.buf) > maxPooledBody {
		return
	}
	b.buf = b.buf[:0]
	clear(b.keys)
	b.keys = b.keys[:0]
	requestBodyPool.Put(b)
}

// payload returns a copy of the encoded body that stays valid after
// release.
func (b *requestBody) payload() []byte {
	return bytes.Clone(b.buf)
}

// encode writes the upstream JSON body for req into the buffer without
// reflection. Model, messages, stream and stream_options come out as
// encoding/json with SetEscapeHTML(false) writes them. Tools, tool_choice
// and the options follow as raw JSON after a validity check. The error
// wraps ErrInvalidRequest and names the field. FuzzEncodeRequest compares
// the output with the encoding/json encoder that this one replaced.
func (b *requestBody) encode(req *messages.AgentRequest, model string) error {
	buf := append(b.buf[:0], `{"model":`...)
	buf = jsonstr.Append(buf, model)
	buf = append(buf, `,"messages":[`...)
	if req.Instructions != "" {
		buf = append(buf, `{"role":"system","content":`...)
		buf = jsonstr.Append(buf, req.Instructions)
		buf = append(buf, '}')
	}
	var err error
	for i := range req.Messages {
		if i > 0 || req.Instructions != "" {
			buf = append(buf, ',')
		}
		if buf, err = appendMessage(buf, i, &req.Messages[i]); err != nil {
			b.buf = buf
			return err
		}
	}
	buf = append(buf, `],"stream":`...)
	if req.Stream {
		buf = append(buf, `true,"stream_options":{"include_usage":true}`...)
	} else {
		buf = append(buf, `false`...)
	}
	b.buf = buf

	if err := b.appendRaw("tools", req.Tools); err != nil {
		return err
	}
	if err := b.appendRaw("tool_choice", req.ToolChoice); err != nil {
		return err
	}
	if err := b.appendOptions(req.Options); err != nil {
		return err
	}
	b.buf = append(b.buf, '}')
	return nil
}

// appendMessage appends the message at index. Its content is a string, or
// an array when the message has parts. The content of a message without
// parts is null when it is empty and the message has tool calls.
func appendMessage(buf []byte, index int, m *messages.ChatMessage) ([]byte, error) {
	if m.Role == "" {
		return buf, fmt.Errorf("%w: messages[%d].role is missing; use system, developer, "+
			"user, assistant or tool", ErrInvalidRequest, index)
	}
	buf = append(buf, `{"role":`...)
	buf = jsonstr.Append(buf, m.Role)
	buf = append(buf, `,"content":`...)
	switch {
	case len(m.Parts) > 0:
		var err error
		if buf, err = appendParts(buf, index, m.Parts); err != nil {
			return buf, err
		}
	case m.Content == "" && len(m.ToolCalls) > 0:
		buf = append(buf, `null`...)
	default:
		buf = jsonstr.Append(buf, m.Content)
	}
	if m.Name != "" {
		buf = append(buf, `,"name":`...)
		buf = jsonstr.Append(buf, m.Name)
	}
	if m.ToolCallID != "" {
		buf = append(buf, `,"tool_call_id":`...)
		buf = jsonstr.Append(buf, m.ToolCallID)
	}
	if len(m.ToolCalls) > 0 {
		buf = appendToolCalls(buf, m.ToolCalls)
	}
	return append(buf, '}'), nil
}

func appendParts(buf []byte, message int, parts []messages.ContentPart) ([]byte, error) {
	buf = append(buf, '[')
	for j := range parts {
		if j > 0 {
			buf = append(buf, ',')
		}
		p := &parts[j]
		switch p.Type {
		case "text":
			buf = append(buf, `{"type":"text","text":`...)
			buf = jsonstr.Append(buf, p.Text)
		case "image_url":
			if p.ImageURL == "" {
				return buf, fmt.Errorf("%w: messages[%d].parts[%d].image_url is missing; set "+
					"the image's URL or data URL", ErrInvalidRequest, message, j)
			}
			buf = append(buf, `{"type":"image_url","image_url":{"url":`...)
			buf = jsonstr.Append(buf, p.ImageURL)
			if p.Detail != "" {
				buf = append(buf, `,"detail":`...)
				buf = jsonstr.Append(buf, p.Detail)
			}
			buf = append(buf, '}')
		default:
			return buf, fmt.Errorf("%w: messages[%d].parts[%d].type %q is not supported; use "+
				"\"text\" or \"image_url\"", ErrInvalidRequest, message, j, p.Type)
		}
		buf = append(buf, '}')
	}
	return append(buf, ']'), nil
}

// appendToolCalls appends the tool_calls field. A call without a type is a
// function call.
func appendToolCalls(buf []byte, calls []messages.ToolCall) []byte {
	buf = append(buf, `,"tool_calls":[`...)
	for i := range calls {
		if i > 0 {
			buf = append(buf, ',')
		}
		c := &calls[i]
		kind := c.Type
		if kind == "" {
			kind = "function"
		}
		buf = append(buf, `{"id":`...)
		buf = jsonstr.Append(buf, c.ID)
		buf = append(buf, `,"type":`...)
		buf = jsonstr.Append(buf, kind)
		buf = append(buf, `,"function":{"name":`...)
		buf = jsonstr.Append(buf, c.Name)
		buf = append(buf, `,"arguments":`...)
		buf = jsonstr.Append(buf, c.Arguments)
		buf = append(buf, `}}`...)
	}
	return append(buf, ']')
}

// appendRaw appends `,"key":raw` when raw is set.
func (b *requestBody) appendRaw(key string, raw json.RawMessage) error {
	if len(raw) == 0 {
		return nil
	}
	if !json.Valid(raw) {
		return fmt.Errorf("%w: %s is not valid JSON", ErrInvalidRequest, key)
	}
	b.buf = append(b.buf, `,"`...)
	b.buf = append(b.buf, key...)
	b.buf = append(b.buf, `":`...)
	b.buf = append(b.buf, raw...)
	return nil
}

// appendOptions appends the pass-through options in key order, so that the
// same request always encodes to the same bytes.
func (b *requestBody) appendOptions(options map[string]json.RawMessage) error {
	if len(options) == 0 {
		return nil
	}
	b.keys = b.keys[:0]
	for k := range options {
		if !slices.Contains(reservedFields, k) {
			b.keys = append(b.keys, k)
		}
	}
	slices.Sort(b.keys)
	for _, k := range b.keys {
		if !isFieldName(k) {
			return fmt.Errorf("%w: option name %q is not a valid field name; use letters, "+
				"digits, '_', '-' or '.'", ErrInvalidRequest, k)
		}
		if err := b.appendRaw(k, options[k]); err != nil {
			return err
		}
	}
	return nil
}

// isFieldName reports whether k can be written as a JSON key without
// escaping. OpenAI request fields are all snake_case ASCII.
func isFieldName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '-' || c == '.'
		if !ok {
			return false
		}
	}
	return true
}
