package agent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/actorgate/actorgate/messages"
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

var requestBodyPool = sync.Pool{New: func() any { return newRequestBody() }}

// requestBody is a pooled encoder of upstream request bodies with its
// scratch space. payload copies the encoded bytes out before the body goes
// back to the pool. The copy is needed because net/http may still read a
// request body after RoundTrip has returned, for example when the upstream
// responds before it has read the whole request.
type requestBody struct {
	buf bytes.Buffer
	enc *json.Encoder

	wire   wireRequest
	plain  []wireMessage
	multi  []wirePartsMessage
	parts  []wirePart
	images []wireImageURL
	calls  []wireToolCall
	keys   []string
}

func newRequestBody() *requestBody {
	b := &requestBody{}
	b.enc = json.NewEncoder(&b.buf)
	b.enc.SetEscapeHTML(false)
	return b
}

// acquireRequestBody takes an empty body from the pool. The caller must
// call release.
func acquireRequestBody() *requestBody {
	return requestBodyPool.Get().(*requestBody)
}

// release returns the body to the pool unless its buffer grew beyond
// maxPooledBody.
func (b *requestBody) release() {
	if b.buf.Cap() > maxPooledBody {
		return
	}
	b.buf.Reset()
	requestBodyPool.Put(b)
}

// payload returns a copy of the encoded body that stays valid after
// release.
func (b *requestBody) payload() []byte {
	return bytes.Clone(b.buf.Bytes())
}

// encode writes the upstream JSON body for req into the buffer. Tools,
// tool_choice and the options are appended as raw JSON after checking
// that each is valid. The error wraps ErrInvalidRequest and names the
// field.
func (b *requestBody) encode(req *messages.AgentRequest, model string) error {
	defer b.clearScratch()
	if err := b.buildMessages(req); err != nil {
		return err
	}
	b.wire.Model = model
	b.wire.Stream = req.Stream
	b.wire.StreamOptions = nil
	if req.Stream {
		b.wire.StreamOptions = includeUsage
	}
	if err := b.enc.Encode(&b.wire); err != nil {
		return fmt.Errorf("%w: encoding failed: %w", ErrInvalidRequest, err)
	}

	// Encode ends the object with "}\n". Reopen it for the raw fields.
	b.buf.Truncate(b.buf.Len() - 2)
	if err := b.appendRaw("tools", req.Tools); err != nil {
		return err
	}
	if err := b.appendRaw("tool_choice", req.ToolChoice); err != nil {
		return err
	}
	if err := b.appendOptions(req.Options); err != nil {
		return err
	}
	b.buf.WriteByte('}')
	return nil
}

// buildMessages fills the wire messages from req. The scratch slices are
// grown once up front because the wire values point into them.
func (b *requestBody) buildMessages(req *messages.AgentRequest) error {
	count, parts, calls := len(req.Messages), 0, 0
	if req.Instructions != "" {
		count++
	}
	for i := range req.Messages {
		parts += len(req.Messages[i].Parts)
		calls += len(req.Messages[i].ToolCalls)
	}
	b.wire.Messages = slices.Grow(b.wire.Messages[:0], count)
	b.plain = slices.Grow(b.plain[:0], count)
	b.multi = slices.Grow(b.multi[:0], count)
	b.parts = slices.Grow(b.parts[:0], parts)
	b.images = slices.Grow(b.images[:0], parts)
	b.calls = slices.Grow(b.calls[:0], calls)

	if req.Instructions != "" {
		b.plain = append(b.plain, wireMessage{Role: "system", Content: &req.Instructions})
		b.wire.Messages = append(b.wire.Messages, &b.plain[len(b.plain)-1])
	}
	for i := range req.Messages {
		if err := b.addMessage(i, &req.Messages[i]); err != nil {
			return err
		}
	}
	return nil
}

func (b *requestBody) addMessage(index int, m *messages.ChatMessage) error {
	if m.Role == "" {
		return fmt.Errorf("%w: messages[%d].role is missing; use system, developer, "+
			"user, assistant or tool", ErrInvalidRequest, index)
	}
	calls := b.addToolCalls(m.ToolCalls)
	if len(m.Parts) == 0 {
		w := wireMessage{
			Role: m.Role, Content: &m.Content, Name: m.Name,
			ToolCallID: m.ToolCallID, ToolCalls: calls,
		}
		if m.Content == "" && len(calls) > 0 {
			w.Content = nil
		}
		b.plain = append(b.plain, w)
		b.wire.Messages = append(b.wire.Messages, &b.plain[len(b.plain)-1])
		return nil
	}

	start := len(b.parts)
	for j := range m.Parts {
		if err := b.addPart(index, j, &m.Parts[j]); err != nil {
			return err
		}
	}
	b.multi = append(b.multi, wirePartsMessage{
		Role: m.Role, Content: b.parts[start:len(b.parts):len(b.parts)],
		Name: m.Name, ToolCallID: m.ToolCallID, ToolCalls: calls,
	})
	b.wire.Messages = append(b.wire.Messages, &b.multi[len(b.multi)-1])
	return nil
}

func (b *requestBody) addPart(message, index int, p *messages.ContentPart) error {
	switch p.Type {
	case "text":
		b.parts = append(b.parts, wirePart{Type: "text", Text: &p.Text})
	case "image_url":
		if p.ImageURL == "" {
			return fmt.Errorf("%w: messages[%d].parts[%d].image_url is missing; set the "+
				"image's URL or data URL", ErrInvalidRequest, message, index)
		}
		b.images = append(b.images, wireImageURL{URL: p.ImageURL, Detail: p.Detail})
		b.parts = append(b.parts, wirePart{Type: "image_url", ImageURL: &b.images[len(b.images)-1]})
	default:
		return fmt.Errorf("%w: messages[%d].parts[%d].type %q is not supported; use "+
			"\"text\" or \"image_url\"", ErrInvalidRequest, message, index, p.Type)
	}
	return nil
}

// addToolCalls appends calls to the scratch space and returns their wire
// form, nil when there are none. A call without a type is a function call.
func (b *requestBody) addToolCalls(calls []messages.ToolCall) []wireToolCall {
	if len(calls) == 0 {
		return nil
	}
	start := len(b.calls)
	for i := range calls {
		c := &calls[i]
		kind := c.Type
		if kind == "" {
			kind = "function"
		}
		b.calls = append(b.calls, wireToolCall{
			ID: c.ID, Type: kind,
			Function: wireFunction{Name: c.Name, Arguments: c.Arguments},
		})
	}
	return b.calls[start:len(b.calls):len(b.calls)]
}

// appendRaw appends `,"key":raw` when raw is set.
func (b *requestBody) appendRaw(key string, raw json.RawMessage) error {
	if len(raw) == 0 {
		return nil
	}
	if !json.Valid(raw) {
		return fmt.Errorf("%w: %s is not valid JSON", ErrInvalidRequest, key)
	}
	b.buf.WriteString(`,"`)
	b.buf.WriteString(key)
	b.buf.WriteString(`":`)
	b.buf.Write(raw)
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

// clearScratch drops the references the wire values hold into the
// request, so that a pooled body does not keep a conversation alive.
func (b *requestBody) clearScratch() {
	clear(b.wire.Messages)
	clear(b.plain)
	clear(b.multi)
	clear(b.parts)
	clear(b.images)
	clear(b.calls)
	clear(b.keys)
	b.wire.Messages = b.wire.Messages[:0]
	b.plain, b.multi, b.parts = b.plain[:0], b.multi[:0], b.parts[:0]
	b.images, b.calls, b.keys = b.images[:0], b.calls[:0], b.keys[:0]
	b.wire.Model = ""
}
