package agent

import "encoding/json"

// Upstream wire types of the OpenAI chat completions API, limited to the
// fields the backend sends or reads.

// wireRequest is the body of POST /chat/completions without tools,
// tool_choice and the pass-through options, which the encoder appends as
// raw JSON after it.
type wireRequest struct {
	Model string `json:"model"`
	// Messages holds *wireMessage and *wirePartsMessage values, because the
	// content of a message is either a string or an array of parts.
	Messages      []any              `json:"messages"`
	Stream        bool               `json:"stream"`
	StreamOptions *wireStreamOptions `json:"stream_options,omitempty"`
}

type wireStreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// includeUsage requests a final chunk that carries the usage.
var includeUsage = &wireStreamOptions{IncludeUsage: true}

// wireMessage is a message whose content is a string. A nil Content is
// sent as null, which an assistant message with tool calls may use.
type wireMessage struct {
	Role       string         `json:"role"`
	Content    *string        `json:"content"`
	Name       string         `json:"name,omitempty"`
	ToolCallID string         `json:"tool_call_id,omitempty"`
	ToolCalls  []wireToolCall `json:"tool_calls,omitempty"`
}

// wirePartsMessage is a message whose content is an array of parts.
type wirePartsMessage struct {
	Role       string         `json:"role"`
	Content    []wirePart     `json:"content"`
	Name       string         `json:"name,omitempty"`
	ToolCallID string         `json:"tool_call_id,omitempty"`
	ToolCalls  []wireToolCall `json:"tool_calls,omitempty"`
}

type wirePart struct {
	Type     string        `json:"type"`
	Text     *string       `json:"text,omitempty"`
	ImageURL *wireImageURL `json:"image_url,omitempty"`
}

type wireImageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitempty"`
}

type wireToolCall struct {
	ID       string       `json:"id"`
	Type     string       `json:"type"`
	Function wireFunction `json:"function"`
}

type wireFunction struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// wireCompletion is a non-streamed chat completion.
type wireCompletion struct {
	Model   string `json:"model"`
	Choices []struct {
		Message struct {
			Content   string         `json:"content"`
			ToolCalls []wireToolCall `json:"tool_calls"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *wireUsage `json:"usage"`
	// Error is set by upstreams that report a failure with status 200.
	Error json.RawMessage `json:"error"`
}

type wireUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// wireChunk is one event of a streamed chat completion. The last chunk
// requested with include_usage has no choices and carries the usage.
type wireChunk struct {
	Model   string            `json:"model"`
	Choices []wireChunkChoice `json:"choices"`
	Usage   *wireUsage        `json:"usage"`
	Error   json.RawMessage   `json:"error"`
}

type wireChunkChoice struct {
	Index int `json:"index"`
	Delta struct {
		Content   string              `json:"content"`
		ToolCalls []wireToolCallDelta `json:"tool_calls"`
	} `json:"delta"`
	FinishReason string `json:"finish_reason"`
}

// wireToolCallDelta is a fragment of a tool call. The first fragment of a
// call carries its id, type and name, and later ones add to its arguments.
type wireToolCallDelta struct {
	Index    int          `json:"index"`
	ID       string       `json:"id"`
	Type     string       `json:"type"`
	Function wireFunction `json:"function"`
}

// wireError is the error object of an OpenAI error envelope,
// {"error": {"message": ..., "type": ..., "code": ...}}.
type wireError struct {
	Message string `json:"message"`
}
