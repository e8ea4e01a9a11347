package wire

import (
	"strconv"

	"github.com/actorgate/actorgate/messages"

	"github.com/actorgate/actorgate/internal/jsonstr"
)

// AppendChatCompletion appends a chat.completion object for r. The message
// content is null when the reply is only tool calls. An empty
// FinishReason becomes "tool_calls" when there are tool calls and "stop"
// otherwise. r.Err is not encoded: a failed run is the caller's to report
// as an error. A nil r encodes an empty reply.
func AppendChatCompletion(dst []byte, id string, created int64, model string,
	r *messages.AgentReply,
) []byte {
	if r == nil {
		r = &messages.AgentReply{}
	}
	dst = appendChatHeader(dst, id, "chat.completion", created, model)
	dst = append(dst, `"choices":[{"index":0,"message":{"role":"assistant","content":`...)
	if r.Text == "" && len(r.ToolCalls) > 0 {
		dst = append(dst, "null"...)
	} else {
		dst = jsonstr.Append(dst, r.Text)
	}
	if len(r.ToolCalls) > 0 {
		dst = append(dst, `,"tool_calls":[`...)
		for i := range r.ToolCalls {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendToolCall(dst, &r.ToolCalls[i])
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"refusal":null},"logprobs":null,"finish_reason":`...)
	dst = jsonstr.Append(dst, finishReason(r))
	dst = append(dst, "}],"...)
	dst = appendChatUsage(dst, r.Usage)
	return append(dst, '}')
}

func finishReason(r *messages.AgentReply) string {
	switch {
	case r.FinishReason != "":
		return r.FinishReason
	case len(r.ToolCalls) > 0:
		return messages.FinishToolCalls
	}
	return messages.FinishStop
}

// appendChatHeader appends {"id","object","created","model", leaving the
// object open after a trailing comma.
func appendChatHeader(dst []byte, id, object string, created int64, model string) []byte {
	dst = append(dst, `{"id":`...)
	dst = jsonstr.Append(dst, id)
	dst = append(dst, `,"object":"`...)
	dst = append(dst, object...)
	dst = append(dst, `","created":`...)
	dst = strconv.AppendInt(dst, created, 10)
	dst = append(dst, `,"model":`...)
	dst = jsonstr.Append(dst, model)
	return append(dst, ',')
}

func appendToolCall(dst []byte, tc *messages.ToolCall) []byte {
	dst = append(dst, `{"id":`...)
	dst = jsonstr.Append(dst, tc.ID)
	dst = append(dst, `,"type":"function","function":{"name":`...)
	dst = jsonstr.Append(dst, tc.Name)
	dst = append(dst, `,"arguments":`...)
	dst = jsonstr.Append(dst, tc.Arguments)
	return append(dst, "}}"...)
}

// appendChatUsage appends "usage":{...}. A zero total is computed from the
// prompt and completion counts.
func appendChatUsage(dst []byte, u messages.Usage) []byte {
	dst = append(dst, `"usage":{"prompt_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.PromptTokens), 10)
	dst = append(dst, `,"completion_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.CompletionTokens), 10)
	dst = append(dst, `,"total_tokens":`...)
	dst = strconv.AppendInt(dst, int64(totalTokens(u)), 10)
	return append(dst, '}')
}

func totalTokens(u messages.Usage) int {
	if u.TotalTokens == 0 {
		return u.PromptTokens + u.CompletionTokens
	}
	return u.TotalTokens
}

const chunkObject = "chat.completion.chunk"

// AppendChatChunkRole appends the first chunk of a stream, whose delta is
// {"role":"assistant","content":""}.
func AppendChatChunkRole(dst []byte, id string, created int64, model string) []byte {
	dst = appendChatHeader(dst, id, chunkObject, created, model)
	dst = append(dst, `"choices":[{"index":0,"delta":{"role":"assistant","content":""}`...)
	return append(dst, `,"logprobs":null,"finish_reason":null}]}`...)
}

// AppendChatChunkDelta appends a chunk carrying the text and tool call
// fragments of d. A tool call fragment carries id, type and name only when
// they are set, which is on its first fragment.
func AppendChatChunkDelta(dst []byte, id string, created int64, model string,
	d *messages.AgentDelta,
) []byte {
	if d == nil {
		d = &messages.AgentDelta{}
	}
	dst = appendChatHeader(dst, id, chunkObject, created, model)
	dst = append(dst, `"choices":[{"index":0,"delta":{`...)
	if d.Text != "" || len(d.ToolCalls) == 0 {
		dst = appendStringField(dst, "content", d.Text)
	}
	if len(d.ToolCalls) > 0 {
		dst = appendKey(dst, "tool_calls")
		dst = append(dst, '[')
		for i := range d.ToolCalls {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendToolCallDelta(dst, &d.ToolCalls[i])
		}
		dst = append(dst, ']')
	}
	return append(dst, `},"logprobs":null,"finish_reason":null}]}`...)
}

func appendToolCallDelta(dst []byte, tc *messages.ToolCallDelta) []byte {
	dst = append(dst, '{')
	dst = appendIntField(dst, "index", int64(tc.Index))
	if tc.ID != "" {
		dst = appendStringField(dst, "id", tc.ID)
	}
	if tc.ID != "" || tc.Type != "" {
		dst = appendStringField(dst, "type", "function")
	}
	dst = append(dst, `,"function":{`...)
	if tc.Name != "" {
		dst = appendStringField(dst, "name", tc.Name)
	}
	dst = appendStringField(dst, "arguments", tc.Arguments)
	return append(dst, "}}"...)
}

// AppendChatChunkFinish appends the chunk that ends the choice: an empty
// delta and the finish reason.
func AppendChatChunkFinish(dst []byte, id string, created int64, model,
	finishReason string,
) []byte {
	if finishReason == "" {
		finishReason = messages.FinishStop
	}
	dst = appendChatHeader(dst, id, chunkObject, created, model)
	dst = append(dst, `"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":`...)
	dst = jsonstr.Append(dst, finishReason)
	return append(dst, "}]}"...)
}

// AppendChatChunkUsage appends the usage chunk that stream_options
// include_usage requests: no choices, and the usage of the whole run.
func AppendChatChunkUsage(dst []byte, id string, created int64, model string,
	u messages.Usage,
) []byte {
	dst = appendChatHeader(dst, id, chunkObject, created, model)
	dst = append(dst, `"choices":[],`...)
	dst = appendChatUsage(dst, u)
	return append(dst, '}')
}

// AppendNullUsage adds "usage":null as the last field of the JSON object
// that ends chunk. With stream_options.include_usage, OpenAI sends it on
// every chunk but the usage chunk. A chunk that does not end with a
// closing brace comes back unchanged.
func AppendNullUsage(chunk []byte) []byte {
	n := len(chunk)
	if n == 0 || chunk[n-1] != '}' {
		return chunk
	}
	return append(chunk[:n-1], `,"usage":null}`...)
}

// AppendModelList appends the GET /v1/models response body: a list of model
// objects that share created and ownedBy.
func AppendModelList(dst []byte, models []string, created int64, ownedBy string) []byte {
	dst = append(dst, `{"object":"list","data":[`...)
	for i, m := range models {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendModel(dst, m, created, ownedBy)
	}
	return append(dst, "]}"...)
}

// AppendModel appends one model object, the GET /v1/models/{model} body.
func AppendModel(dst []byte, model string, created int64, ownedBy string) []byte {
	dst = append(dst, `{"id":`...)
	dst = jsonstr.Append(dst, model)
	dst = append(dst, `,"object":"model","created":`...)
	dst = strconv.AppendInt(dst, created, 10)
	dst = append(dst, `,"owned_by":`...)
	dst = jsonstr.Append(dst, ownedBy)
	return append(dst, '}')
}
