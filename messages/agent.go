package messages

import (
	"encoding/json"
	"time"
)

// ChatMessage is one turn of a conversation in the OpenAI chat shape.
type ChatMessage struct {
	// Role is system, developer, user, assistant or tool.
	Role string
	// Content is the text of the turn. When Parts is set, Content is the
	// concatenation of its text parts.
	Content string
	// Parts are the content parts of a multi-part turn (text and images).
	Parts []ContentPart
	// Name is the optional participant name.
	Name string
	// ToolCallID links a tool turn to the call it answers.
	ToolCallID string
	// ToolCalls are the calls an assistant turn made.
	ToolCalls []ToolCall
}

// ContentPart is one part of a multi-part message.
type ContentPart struct {
	// Type is "text" or "image_url".
	Type     string
	Text     string
	ImageURL string
	// Detail is the optional image detail level (auto, low, high).
	Detail string
}

// ToolCall is a function call made by the model.
type ToolCall struct {
	ID   string
	Type string
	Name string
	// Arguments is the JSON text of the arguments, as the model wrote it.
	Arguments string
}

// ToolCallDelta is a fragment of a tool call in a streamed answer.
type ToolCallDelta struct {
	Index     int
	ID        string
	Type      string
	Name      string
	Arguments string
}

// Usage counts the tokens of one agent run.
type Usage struct {
	PromptTokens     int
	CompletionTokens int
	TotalTokens      int
}

// Finish reasons of an agent run, as in the OpenAI chat wire format.
const (
	FinishStop      = "stop"
	FinishLength    = "length"
	FinishToolCalls = "tool_calls"
	FinishError     = "error"
)

// AgentRequest asks the agent to answer a conversation.
type AgentRequest struct {
	RequestID string
	// SessionID names the conversation the run belongs to.
	SessionID string
	// Model is the model the client asked for; the backend may map it.
	Model        string
	Instructions string
	Messages     []ChatMessage
	// Tools and ToolChoice are passed through to an upstream unchanged, as
	// the JSON the client sent.
	Tools      json.RawMessage
	ToolChoice json.RawMessage
	// Options holds other OpenAI request fields (temperature, max_tokens,
	// ...) passed through unchanged.
	Options map[string]json.RawMessage
	// Stream asks for AgentDelta messages before the final AgentReply.
	Stream bool
	// Deadline is when the requester stops waiting. The agent drops a
	// request whose deadline has passed and cancels a run that outlives it.
	Deadline time.Time
}

// AgentDelta is a fragment of a streamed answer.
type AgentDelta struct {
	RequestID string
	Text      string
	ToolCalls []ToolCallDelta
	// Model is the model that produces the reply, as the upstream named
	// it so far, or empty when the backend does not know it.
	Model string
}

// AgentReply is the final answer of an agent run.
type AgentReply struct {
	RequestID string
	// Text is the whole answer text, also when it was streamed.
	Text         string
	ToolCalls    []ToolCall
	FinishReason string
	Usage        Usage
	// Model is the model that produced the answer.
	Model string
	// Err is set when the run failed. Text then holds whatever the agent
	// produced before the failure, possibly nothing.
	Err *AgentError
}

// AgentError describes a failed agent run.
type AgentError struct {
	// Code is a stable identifier: upstream_error, upstream_timeout,
	// upstream_unavailable, cancelled, agent_busy.
	Code    string
	Message string
	// UpstreamStatus is the HTTP status the upstream returned, if any.
	UpstreamStatus int
	// RetryAfter is the wait before a retry that the upstream requested in
	// the Retry-After or retry-after-ms header of its error response. Zero
	// means that the upstream sent neither header, or an invalid or
	// out-of-range value.
	RetryAfter time.Duration
}

func (e *AgentError) Error() string { return e.Code + ": " + e.Message }

// CancelAgentRequest cancels the run started by the AgentRequest with the
// same RequestID.
type CancelAgentRequest struct {
	RequestID string
}
