package agent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/actorgate/actorgate/messages"
)

// This file keeps the encoding/json request encoder that requestBody.encode
// replaced, as the reference that FuzzEncodeRequest compares it with.

// refRequest is the body of POST /chat/completions without tools,
// tool_choice and the pass-through options, which the encoder appends as
// raw JSON after it.
type refRequest struct {
	Model string `json:"model"`
	// Messages holds *refMessage and *refPartsMessage values, because the
	// content of a message is either a string or an array of parts.
	Messages      []any             `json:"messages"`
	Stream        bool              `json:"stream"`
	StreamOptions *refStreamOptions `json:"stream_options,omitempty"`
}

type refStreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// refMessage is a message whose content is a string. A nil Content is sent
// as null.
type refMessage struct {
	Role       string         `json:"role"`
	Content    *string        `json:"content"`
	Name       string         `json:"name,omitempty"`
	ToolCallID string         `json:"tool_call_id,omitempty"`
	ToolCalls  []wireToolCall `json:"tool_calls,omitempty"`
}

// refPartsMessage is a message whose content is an array of parts.
type refPartsMessage struct {
	Role       string         `json:"role"`
	Content    []refPart      `json:"content"`
	Name       string         `json:"name,omitempty"`
	ToolCallID string         `json:"tool_call_id,omitempty"`
	ToolCalls  []wireToolCall `json:"tool_calls,omitempty"`
}

type refPart struct {
	Type     string       `json:"type"`
	Text     *string      `json:"text,omitempty"`
	ImageURL *refImageURL `json:"image_url,omitempty"`
}

type refImageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitempty"`
}

// encodeReference encodes req with encoding/json over the wire types,
// as the backend did before requestBody.encode appended fields directly.
func encodeReference(req *messages.AgentRequest, model string) ([]byte, error) {
	// A pooled encoder that had encoded a request before sent an empty
	// message list as [], and only a new one sent null. The steady state is
	// the reference.
	wire := refRequest{Model: model, Messages: []any{}, Stream: req.Stream}
	if req.Stream {
		wire.StreamOptions = &refStreamOptions{IncludeUsage: true}
	}
	if req.Instructions != "" {
		system := &refMessage{Role: "system", Content: &req.Instructions}
		wire.Messages = append(wire.Messages, system)
	}
	for i := range req.Messages {
		m, err := referenceMessage(i, &req.Messages[i])
		if err != nil {
			return nil, err
		}
		wire.Messages = append(wire.Messages, m)
	}

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&wire); err != nil {
		return nil, fmt.Errorf("%w: encoding failed: %w", ErrInvalidRequest, err)
	}
	// Encode ends the object with "}\n". Reopen it for the raw fields.
	buf.Truncate(buf.Len() - 2)

	raw := &requestBody{buf: buf.Bytes()}
	if err := raw.appendRaw("tools", req.Tools); err != nil {
		return nil, err
	}
	if err := raw.appendRaw("tool_choice", req.ToolChoice); err != nil {
		return nil, err
	}
	if err := referenceOptions(raw, req.Options); err != nil {
		return nil, err
	}
	return append(raw.buf, '}'), nil
}

func referenceMessage(index int, m *messages.ChatMessage) (any, error) {
	if m.Role == "" {
		return nil, fmt.Errorf("%w: messages[%d].role is missing; use system, developer, "+
			"user, assistant or tool", ErrInvalidRequest, index)
	}
	var calls []wireToolCall
	for _, c := range m.ToolCalls {
		kind := c.Type
		if kind == "" {
			kind = "function"
		}
		calls = append(calls, wireToolCall{
			ID: c.ID, Type: kind,
			Function: wireFunction{Name: c.Name, Arguments: c.Arguments},
		})
	}
	if len(m.Parts) == 0 {
		w := &refMessage{
			Role: m.Role, Content: &m.Content, Name: m.Name,
			ToolCallID: m.ToolCallID, ToolCalls: calls,
		}
		if m.Content == "" && len(calls) > 0 {
			w.Content = nil
		}
		return w, nil
	}

	parts := make([]refPart, 0, len(m.Parts))
	for j := range m.Parts {
		p := &m.Parts[j]
		switch p.Type {
		case "text":
			parts = append(parts, refPart{Type: "text", Text: &p.Text})
		case "image_url":
			if p.ImageURL == "" {
				return nil, fmt.Errorf("%w: messages[%d].parts[%d].image_url is missing; set "+
					"the image's URL or data URL", ErrInvalidRequest, index, j)
			}
			image := &refImageURL{URL: p.ImageURL, Detail: p.Detail}
			parts = append(parts, refPart{Type: "image_url", ImageURL: image})
		default:
			return nil, fmt.Errorf("%w: messages[%d].parts[%d].type %q is not supported; use "+
				"\"text\" or \"image_url\"", ErrInvalidRequest, index, j, p.Type)
		}
	}
	return &refPartsMessage{
		Role: m.Role, Content: parts, Name: m.Name,
		ToolCallID: m.ToolCallID, ToolCalls: calls,
	}, nil
}

// referenceOptions appends the options as appendOptions did: reserved
// names skipped, the rest in key order, each name and value checked.
func referenceOptions(b *requestBody, options map[string]json.RawMessage) error {
	var keys []string
	for k := range options {
		if !slices.Contains(reservedFields, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
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
