package wire

import (
	json "github.com/segmentio/encoding/json"

	"github.com/actorgate/actorgate/messages"
)

// Input item and content part types of the Responses API.
const (
	ItemMessage            = "message"
	ItemFunctionCall       = "function_call"
	ItemFunctionCallOutput = "function_call_output"
	ItemReasoning          = "reasoning"

	PartInputText  = "input_text"
	PartInputImage = "input_image"
	PartOutputText = "output_text"
	PartRefusal    = "refusal"
)

type rawInputItem struct {
	Type      json.RawMessage `json:"type"`
	Role      json.RawMessage `json:"role"`
	Content   json.RawMessage `json:"content"`
	CallID    json.RawMessage `json:"call_id"`
	Name      json.RawMessage `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
	Output    json.RawMessage `json:"output"`
}

type rawInputPart struct {
	Type     json.RawMessage `json:"type"`
	Text     json.RawMessage `json:"text"`
	Refusal  json.RawMessage `json:"refusal"`
	ImageURL json.RawMessage `json:"image_url"`
	FileID   json.RawMessage `json:"file_id"`
	Detail   json.RawMessage `json:"detail"`
}

func decodeResponsesInput(fields map[string]json.RawMessage, req *ResponsesRequest) *Error {
	raw := fields["input"]
	switch jsonKind(raw) {
	case 0, 'n':
		return InvalidRequest("input", CodeMissingParameter,
			"input is required: send a string or an array of input items")
	case '"':
		text, e := decodeString(raw, "input")
		if e != nil {
			return e
		}
		if text == "" {
			return InvalidRequest("input", CodeInvalidValue, "input must not be empty")
		}
		if len(text) > MaxMessageText {
			return textTooLarge("input", len(text))
		}
		req.Input = []messages.ChatMessage{{Role: RoleUser, Content: text}}
		return nil
	case '[':
		input, e := decodeInputItems(raw)
		req.Input = input
		return e
	}
	return InvalidRequest("input", CodeInvalidType,
		"input must be a string or an array of input items")
}

func decodeInputItems(raw json.RawMessage) ([]messages.ChatMessage, *Error) {
	items, e := decodeArray(raw, "input")
	if e != nil {
		return nil, e
	}
	if len(items) > MaxMessages {
		return nil, InvalidRequest("input", CodeTooLarge, "input has %d items; the maximum is %d",
			len(items), MaxMessages)
	}
	out := make([]messages.ChatMessage, 0, len(items))
	for i, item := range items {
		if out, e = appendInputItem(out, item, indexed("input", i)); e != nil {
			return nil, e
		}
	}
	if len(out) == 0 {
		return nil, InvalidRequest("input", CodeInvalidValue,
			"input must contain at least one message or function call item")
	}
	return out, nil
}

// appendInputItem decodes one input item and appends it to out as a chat
// message. A function_call item joins the assistant message before it, so
// that parallel calls reach the agent as one turn, as in Chat Completions.
func appendInputItem(out []messages.ChatMessage, raw json.RawMessage, param string) (
	[]messages.ChatMessage, *Error,
) {
	var it rawInputItem
	if e := decodeObject(raw, param, &it); e != nil {
		return out, e
	}
	typ, e := optionalString(it.Type, param+".type")
	if e != nil {
		return out, e
	}

	switch typ {
	case "", ItemMessage:
		var m messages.ChatMessage
		if e := decodeInputMessage(&it, param, &m); e != nil {
			return out, e
		}
		return append(out, m), nil
	case ItemFunctionCall:
		call, e := decodeInputFunctionCall(&it, param)
		if e != nil {
			return out, e
		}
		if n := len(out); n > 0 && out[n-1].Role == RoleAssistant {
			out[n-1].ToolCalls = append(out[n-1].ToolCalls, call)
			return out, nil
		}
		return append(out, messages.ChatMessage{
			Role: RoleAssistant, ToolCalls: []messages.ToolCall{call},
		}), nil
	case ItemFunctionCallOutput:
		m, e := decodeInputFunctionOutput(&it, param)
		if e != nil {
			return out, e
		}
		return append(out, m), nil
	case ItemReasoning:
		// Reasoning items carry no visible text; a client that replays a
		// previous output may include them.
		return out, nil
	}
	return out, InvalidRequest(param+".type", CodeUnsupported,
		"input item type %q is not supported; use message, function_call or "+
			"function_call_output", clip(typ))
}

func decodeInputMessage(it *rawInputItem, param string, m *messages.ChatMessage) *Error {
	role, e := requiredString(it.Role, param+".role")
	if e != nil {
		return e
	}
	switch role {
	case RoleUser, RoleSystem, RoleDeveloper, RoleAssistant:
	default:
		return InvalidRequest(param+".role", CodeInvalidValue,
			"%s.role %q is not supported; use user, system, developer or assistant",
			param, clip(role))
	}
	m.Role = role

	cparam := param + ".content"
	switch jsonKind(it.Content) {
	case '"':
		if m.Content, e = decodeString(it.Content, cparam); e != nil {
			return e
		}
		if len(m.Content) > MaxMessageText {
			return textTooLarge(cparam, len(m.Content))
		}
		return nil
	case '[':
		parts, e := decodeInputParts(it.Content, cparam)
		if e != nil {
			return e
		}
		return setParts(m, parts, cparam)
	case 0, 'n':
		return InvalidRequest(cparam, CodeMissingParameter, "%s is required", cparam)
	}
	return InvalidRequest(cparam, CodeInvalidType,
		"%s must be a string or an array of content parts", cparam)
}

func decodeInputParts(raw json.RawMessage, param string) ([]messages.ContentPart, *Error) {
	items, e := decodeArray(raw, param)
	if e != nil {
		return nil, e
	}
	if len(items) > MaxContentParts {
		return nil, InvalidRequest(param, CodeTooLarge, "%s has %d parts; the maximum is %d",
			param, len(items), MaxContentParts)
	}
	parts := make([]messages.ContentPart, len(items))
	for j, item := range items {
		if e := decodeInputPart(item, indexed(param, j), &parts[j]); e != nil {
			return nil, e
		}
	}
	return parts, nil
}

func decodeInputPart(raw json.RawMessage, param string, p *messages.ContentPart) *Error {
	var rp rawInputPart
	if e := decodeObject(raw, param, &rp); e != nil {
		return e
	}
	typ, e := requiredString(rp.Type, param+".type")
	if e != nil {
		return e
	}
	switch typ {
	case PartInputText, PartOutputText:
		p.Type = PartText
		p.Text, e = presentString(rp.Text, param+".text")
		return e
	case PartRefusal:
		p.Type = PartText
		p.Text, e = presentString(rp.Refusal, param+".refusal")
		return e
	case PartInputImage:
		return decodeInputImage(&rp, param, p)
	}
	return InvalidRequest(param+".type", CodeUnsupported,
		"content part type %q is not supported; use input_text, input_image or output_text",
		clip(typ))
}

func decodeInputImage(rp *rawInputPart, param string, p *messages.ContentPart) *Error {
	if isAbsent(rp.ImageURL) && !isAbsent(rp.FileID) {
		return InvalidRequest(param+".file_id", CodeUnsupported,
			"input_image with file_id is not supported; send the image as image_url "+
				"(an http(s) URL or a data:image/ URL)")
	}
	url, e := requiredString(rp.ImageURL, param+".image_url")
	if e != nil {
		return e
	}
	if e := checkImageURL(url, param+".image_url"); e != nil {
		return e
	}
	p.Type = PartImageURL
	p.ImageURL = url
	p.Detail, e = optionalString(rp.Detail, param+".detail")
	return e
}

func decodeInputFunctionCall(it *rawInputItem, param string) (messages.ToolCall, *Error) {
	call := messages.ToolCall{Type: "function"}
	var e *Error
	if call.ID, e = requiredString(it.CallID, param+".call_id"); e != nil {
		return call, e
	}
	if call.Name, e = requiredString(it.Name, param+".name"); e != nil {
		return call, e
	}
	if isAbsent(it.Arguments) {
		return call, InvalidRequest(param+".arguments", CodeMissingParameter,
			"%s.arguments is required; send \"{}\" for a call without arguments", param)
	}
	call.Arguments, e = decodeString(it.Arguments, param+".arguments")
	return call, e
}

// decodeInputFunctionOutput decodes a function_call_output item into a tool
// message. The output is a string or an array of input_text parts.
func decodeInputFunctionOutput(it *rawInputItem, param string) (messages.ChatMessage, *Error) {
	m := messages.ChatMessage{Role: RoleTool}
	var e *Error
	if m.ToolCallID, e = requiredString(it.CallID, param+".call_id"); e != nil {
		return m, e
	}
	oparam := param + ".output"
	switch jsonKind(it.Output) {
	case '"':
		if m.Content, e = decodeString(it.Output, oparam); e != nil {
			return m, e
		}
		if len(m.Content) > MaxMessageText {
			return m, textTooLarge(oparam, len(m.Content))
		}
		return m, nil
	case '[':
		return m, decodeOutputParts(it.Output, oparam, &m)
	case 0, 'n':
		return m, InvalidRequest(oparam, CodeMissingParameter, "%s is required", oparam)
	}
	return m, InvalidRequest(oparam, CodeInvalidType,
		"%s must be a string or an array of input_text parts", oparam)
}

func decodeOutputParts(raw json.RawMessage, param string, m *messages.ChatMessage) *Error {
	parts, e := decodeInputParts(raw, param)
	if e != nil {
		return e
	}
	for j := range parts {
		if parts[j].Type != PartText {
			return InvalidRequest(indexed(param, j)+".type", CodeUnsupported,
				"a function_call_output may contain only input_text parts")
		}
	}
	return setParts(m, parts, param)
}
