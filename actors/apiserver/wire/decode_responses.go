package wire

import (
	json "github.com/segmentio/encoding/json"

	"github.com/actorgate/actorgate/messages"
)

// ResponsesRequest is a validated POST /v1/responses body.
type ResponsesRequest struct {
	// Model is the requested model; empty means the gateway's default.
	Model string
	// Input is the new turn or turns, normalised to chat messages: a
	// function_call item becomes an assistant message with a tool call,
	// a function_call_output item a tool message.
	Input []messages.ChatMessage
	// Instructions is the system prompt for this response.
	Instructions string
	// HasInstructions is set when instructions was a string in the body,
	// even "". A null instructions counts as absent.
	HasInstructions bool
	// PreviousResponseID is the response this one continues, as sent; the
	// handler checks its format.
	PreviousResponseID string
	// Conversation is the conversation name, sent as a string or as
	// {"id": name}.
	Conversation string
	// Store is whether the response is kept for later retrieval and
	// chaining; true unless the body sets it to false.
	Store  bool
	Stream bool
	// Tools and ToolChoice are converted to the Chat Completions shape for
	// the agent. Nil when absent.
	Tools      json.RawMessage
	ToolChoice json.RawMessage
	// RawTools and RawToolChoice are the same fields as sent, in the
	// Responses shape, which the response object echoes.
	RawTools      json.RawMessage
	RawToolChoice json.RawMessage
	// RawText is the text object as sent, which the response object
	// echoes. Nil when absent.
	RawText json.RawMessage
	// Metadata is the metadata object as sent, echoed by the response
	// object. Nil when absent.
	Metadata json.RawMessage
	// ConversationHistory replaces the stored history that the turn
	// continues. HasConversationHistory is set when the field was an array,
	// even an empty one.
	ConversationHistory    []messages.ChatMessage
	HasConversationHistory bool
	// Options holds other known fields in Chat Completions terms:
	// temperature, top_p, max_tokens (from max_output_tokens),
	// parallel_tool_calls, user, response_format and verbosity (from text),
	// reasoning_effort (from reasoning), and a few strings passed through.
	Options map[string]json.RawMessage
}

// responsesOptions are the Responses API fields passed through unchanged,
// in the order collectOptions checks them.
var responsesOptions = []optionField{
	{"temperature", optNumber, rangeTemperature},
	{"top_p", optNumber, rangeTopP},
	{"parallel_tool_calls", optBool, nil},
	{"user", optString, nil},
	{"service_tier", optString, nil},
	{"safety_identifier", optString, nil},
	{"prompt_cache_key", optString, nil},
}

// maxOutputTokens is checked as max_output_tokens and passed on as
// max_tokens. OpenAI rejects values below 16 (integer_below_min_value), but
// the upstreams behind the gateway, local model servers among them, take
// any positive count, so the gateway requires only 1 or more.
var maxOutputTokens = optionField{"max_output_tokens", optInteger, rangeTokens}

// DecodeResponsesRequest decodes and validates a Responses API request
// body. Every violation is a 400 whose Param names the field.
func DecodeResponsesRequest(body []byte) (*ResponsesRequest, *Error) {
	fields, e := decodeBody(body)
	if e != nil {
		return nil, e
	}
	req := &ResponsesRequest{}
	steps := []func(map[string]json.RawMessage, *ResponsesRequest) *Error{
		decodeResponsesScalars,
		decodeResponsesChain,
		decodeResponsesInput,
		decodeResponsesHistory,
		decodeResponsesTools,
		decodeResponsesOptions,
	}
	for _, step := range steps {
		if e := step(fields, req); e != nil {
			return nil, e
		}
	}
	return req, nil
}

func decodeResponsesScalars(fields map[string]json.RawMessage, req *ResponsesRequest) *Error {
	var e *Error
	if req.Model, e = optionalString(fields["model"], "model"); e != nil {
		return e
	}
	if req.Stream, e = optionalBool(fields["stream"], "stream", false); e != nil {
		return e
	}
	if req.Store, e = optionalBool(fields["store"], "store", true); e != nil {
		return e
	}
	background, e := optionalBool(fields["background"], "background", false)
	if e != nil {
		return e
	}
	if background {
		return InvalidRequest("background", CodeUnsupported,
			"background responses are not supported; leave background unset or false")
	}

	if raw := fields["instructions"]; !isAbsent(raw) {
		if req.Instructions, e = decodeString(raw, "instructions"); e != nil {
			return e
		}
		req.HasInstructions = true
	}
	if raw := fields["metadata"]; !isAbsent(raw) {
		if e := checkMetadata(raw); e != nil {
			return e
		}
		req.Metadata = raw
	}
	return nil
}

// checkMetadata accepts an object whose values are all strings.
func checkMetadata(raw json.RawMessage) *Error {
	var m map[string]string
	if jsonKind(raw) != '{' || unmarshalJSON(raw, &m) != nil {
		return InvalidRequest("metadata", CodeInvalidType,
			"metadata must be a JSON object whose values are strings")
	}
	return nil
}

// decodeResponsesChain decodes previous_response_id and conversation, of
// which at most one may be set.
func decodeResponsesChain(fields map[string]json.RawMessage, req *ResponsesRequest) *Error {
	var e *Error
	req.PreviousResponseID, e = optionalString(fields["previous_response_id"],
		"previous_response_id")
	if e != nil {
		return e
	}
	if req.Conversation, e = decodeConversation(fields["conversation"]); e != nil {
		return e
	}
	if req.PreviousResponseID != "" && req.Conversation != "" {
		return InvalidRequest("conversation", CodeInvalidValue,
			"previous_response_id and conversation cannot be used together; send only one")
	}
	return nil
}

// decodeConversation accepts a name string or {"id": name}.
func decodeConversation(raw json.RawMessage) (string, *Error) {
	switch jsonKind(raw) {
	case 0, 'n':
		return "", nil
	case '"':
		return requiredString(raw, "conversation")
	case '{':
		var obj struct {
			ID json.RawMessage `json:"id"`
		}
		if e := decodeObject(raw, "conversation", &obj); e != nil {
			return "", e
		}
		return requiredString(obj.ID, "conversation.id")
	}
	return "", InvalidRequest("conversation", CodeInvalidType,
		"conversation must be a string or an object with an id")
}

func decodeResponsesHistory(fields map[string]json.RawMessage, req *ResponsesRequest) *Error {
	raw := fields["conversation_history"]
	if isAbsent(raw) {
		return nil
	}
	history, e := decodeChatMessages(raw, "conversation_history", true)
	if e != nil {
		return e
	}
	req.ConversationHistory = history
	req.HasConversationHistory = true
	return nil
}

func decodeResponsesTools(fields map[string]json.RawMessage, req *ResponsesRequest) *Error {
	var e *Error
	if req.Tools, e = convertResponsesTools(fields["tools"]); e != nil {
		return e
	}
	if req.Tools != nil {
		req.RawTools = fields["tools"]
	}
	if req.ToolChoice, e = convertResponsesToolChoice(fields["tool_choice"]); e != nil {
		return e
	}
	if req.ToolChoice != nil {
		req.RawToolChoice = fields["tool_choice"]
	}
	return nil
}

func decodeResponsesOptions(fields map[string]json.RawMessage, req *ResponsesRequest) *Error {
	opts, e := collectOptions(fields, responsesOptions)
	if e != nil {
		return e
	}
	set := func(name string, value json.RawMessage) {
		if opts == nil {
			opts = make(map[string]json.RawMessage)
		}
		opts[name] = value
	}

	if raw := fields["max_output_tokens"]; !isAbsent(raw) {
		if e := checkOption(raw, maxOutputTokens); e != nil {
			return e
		}
		set("max_tokens", raw)
	}
	if e := convertTextConfig(fields["text"], set); e != nil {
		return e
	}
	if raw := fields["text"]; !isAbsent(raw) {
		req.RawText = raw
	}
	if e := convertReasoning(fields["reasoning"], set); e != nil {
		return e
	}
	req.Options = opts
	return nil
}
