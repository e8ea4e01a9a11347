package wire

import (
	json "github.com/segmentio/encoding/json"

	"github.com/actorgate/actorgate/internal/jsonstr"
)

// Tool choice modes that both APIs accept as a bare string.
const (
	ToolChoiceAuto     = "auto"
	ToolChoiceNone     = "none"
	ToolChoiceRequired = "required"
)

// MaxTools is the maximum number of tools in one request, the limit the
// OpenAI API documents for Chat Completions.
const MaxTools = 128

type rawChatTool struct {
	Type     json.RawMessage `json:"type"`
	Function json.RawMessage `json:"function"`
}

// rawFunction is a function definition: the "function" object of a chat
// tool, or the tool itself in the Responses API.
type rawFunction struct {
	Type        json.RawMessage `json:"type"`
	Name        json.RawMessage `json:"name"`
	Description json.RawMessage `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
	Strict      json.RawMessage `json:"strict"`
}

type rawToolChoice struct {
	Type     json.RawMessage `json:"type"`
	Name     json.RawMessage `json:"name"`
	Function json.RawMessage `json:"function"`
}

// checkChatTools checks a Chat Completions tools array and returns it as
// sent, or nil when it is absent or empty.
func checkChatTools(raw json.RawMessage) (json.RawMessage, *Error) {
	items, e := toolItems(raw)
	if e != nil || len(items) == 0 {
		return nil, e
	}
	for i, item := range items {
		param := indexed("tools", i)
		var rt rawChatTool
		if e := decodeObject(item, param, &rt); e != nil {
			return nil, e
		}
		if e := expectType(rt.Type, param+".type", "function", true); e != nil {
			return nil, e
		}
		if isAbsent(rt.Function) {
			return nil, InvalidRequest(param+".function", CodeMissingParameter,
				"%s.function is required", param)
		}
		var fn rawFunction
		fparam := param + ".function"
		if e := decodeObject(rt.Function, fparam, &fn); e != nil {
			return nil, e
		}
		if _, _, e := checkFunction(&fn, fparam); e != nil {
			return nil, e
		}
	}
	return raw, nil
}

func toolItems(raw json.RawMessage) ([]json.RawMessage, *Error) {
	if isAbsent(raw) {
		return nil, nil
	}
	items, e := decodeArray(raw, "tools")
	if e != nil {
		return nil, e
	}
	if len(items) > MaxTools {
		return nil, InvalidRequest("tools", CodeTooLarge, "tools has %d entries; the maximum is %d",
			len(items), MaxTools)
	}
	return items, nil
}

// checkFunction checks the fields of a function definition; param is the
// path of the object that contains them.
func checkFunction(fn *rawFunction, param string) (name, description string, e *Error) {
	if name, e = requiredString(fn.Name, param+".name"); e != nil {
		return "", "", e
	}
	if description, e = optionalString(fn.Description, param+".description"); e != nil {
		return "", "", e
	}
	if !isAbsent(fn.Parameters) && jsonKind(fn.Parameters) != '{' {
		return "", "", InvalidRequest(param+".parameters", CodeInvalidType,
			"%s.parameters must be a JSON Schema object", param)
	}
	if _, e = optionalBool(fn.Strict, param+".strict", false); e != nil {
		return "", "", e
	}
	return name, description, nil
}

// checkChatToolChoice accepts "auto", "none", "required",
// {"type":"function","function":{"name"}} and
// {"type":"allowed_tools","allowed_tools":{...}}, returned as sent.
func checkChatToolChoice(raw json.RawMessage) (json.RawMessage, *Error) {
	if isAbsent(raw) {
		return nil, nil
	}
	if jsonKind(raw) == '"' {
		return raw, checkToolChoiceMode(raw)
	}
	var rc rawToolChoice
	if e := decodeToolChoiceObject(raw, &rc); e != nil {
		return nil, e
	}
	typ, e := requiredString(rc.Type, "tool_choice.type")
	if e != nil {
		return nil, e
	}
	switch typ {
	case "allowed_tools":
		return raw, nil
	case "function":
		if isAbsent(rc.Function) {
			return nil, InvalidRequest("tool_choice.function", CodeMissingParameter,
				"tool_choice.function is required when tool_choice.type is \"function\"")
		}
		var fn rawFunction
		if e := decodeObject(rc.Function, "tool_choice.function", &fn); e != nil {
			return nil, e
		}
		if _, e := requiredString(fn.Name, "tool_choice.function.name"); e != nil {
			return nil, e
		}
		return raw, nil
	}
	return nil, InvalidRequest("tool_choice.type", CodeUnsupported,
		"tool_choice.type %q is not supported; use \"function\" or \"allowed_tools\"",
		clip(typ))
}

func decodeToolChoiceObject(raw json.RawMessage, rc *rawToolChoice) *Error {
	if jsonKind(raw) != '{' {
		return InvalidRequest("tool_choice", CodeInvalidType,
			"tool_choice must be \"auto\", \"none\", \"required\" or an object")
	}
	return decodeObject(raw, "tool_choice", rc)
}

func checkToolChoiceMode(raw json.RawMessage) *Error {
	mode, e := decodeString(raw, "tool_choice")
	if e != nil {
		return e
	}
	switch mode {
	case ToolChoiceAuto, ToolChoiceNone, ToolChoiceRequired:
		return nil
	}
	return InvalidRequest("tool_choice", CodeInvalidValue,
		"tool_choice %q is not supported; use \"auto\", \"none\" or \"required\"", clip(mode))
}

// convertResponsesTools checks a Responses API tools array, whose function
// tools are flat ({"type":"function","name",...}), and returns it in the
// chat shape ({"type":"function","function":{"name",...}}). Nil when
// absent or empty.
func convertResponsesTools(raw json.RawMessage) (json.RawMessage, *Error) {
	items, e := toolItems(raw)
	if e != nil || len(items) == 0 {
		return nil, e
	}
	out := make([]byte, 0, len(raw)+32*len(items))
	out = append(out, '[')
	for i, item := range items {
		param := indexed("tools", i)
		var fn rawFunction
		if e := decodeObject(item, param, &fn); e != nil {
			return nil, e
		}
		if e := expectType(fn.Type, param+".type", "function", true); e != nil {
			return nil, e
		}
		name, description, e := checkFunction(&fn, param)
		if e != nil {
			return nil, e
		}
		if i > 0 {
			out = append(out, ',')
		}
		out = appendChatFunctionTool(out, name, description, &fn)
	}
	return append(out, ']'), nil
}

func appendChatFunctionTool(dst []byte, name, description string, fn *rawFunction) []byte {
	dst = append(dst, `{"type":"function","function":{"name":`...)
	dst = jsonstr.Append(dst, name)
	if !isAbsent(fn.Description) {
		dst = append(dst, `,"description":`...)
		dst = jsonstr.Append(dst, description)
	}
	if !isAbsent(fn.Parameters) {
		dst = append(dst, `,"parameters":`...)
		dst = append(dst, fn.Parameters...)
	}
	if !isAbsent(fn.Strict) {
		dst = append(dst, `,"strict":`...)
		dst = append(dst, fn.Strict...)
	}
	return append(dst, "}}"...)
}

// convertResponsesToolChoice checks a Responses API tool_choice and returns
// it in the chat shape: a mode string unchanged, {"type":"function","name"}
// as {"type":"function","function":{"name"}}.
func convertResponsesToolChoice(raw json.RawMessage) (json.RawMessage, *Error) {
	if isAbsent(raw) {
		return nil, nil
	}
	if jsonKind(raw) == '"' {
		return raw, checkToolChoiceMode(raw)
	}
	var rc rawToolChoice
	if e := decodeToolChoiceObject(raw, &rc); e != nil {
		return nil, e
	}
	if e := expectType(rc.Type, "tool_choice.type", "function", true); e != nil {
		return nil, e
	}
	name, e := requiredString(rc.Name, "tool_choice.name")
	if e != nil {
		return nil, e
	}
	out := jsonstr.Append([]byte(`{"type":"function","function":{"name":`), name)
	return append(out, "}}"...), nil
}
