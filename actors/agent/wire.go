package agent

import "encoding/json"

// Upstream wire types of the OpenAI chat completions API, limited to the
// fields the backend reads. requestBody.encode writes request bodies
// without wire types.

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
	Model   string                 `json:"model"`
	Choices []wireCompletionChoice `json:"choices"`
	Usage   *wireUsage             `json:"usage"`
	// Error is set by upstreams that report a failure with status 200.
	Error json.RawMessage `json:"error"`
}

type wireCompletionChoice struct {
	Message struct {
		Content   string         `json:"content"`
		ToolCalls []wireToolCall `json:"tool_calls"`
	} `json:"message"`
	FinishReason string `json:"finish_reason"`
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
