package wire

import (
	"bytes"
	"math"
	"strconv"

	json "github.com/segmentio/encoding/json"

	"github.com/actorgate/actorgate/messages"
)

// ChatRequest is a validated POST /v1/chat/completions body.
type ChatRequest struct {
	// Model is the requested model; empty means the gateway's default.
	Model    string
	Messages []messages.ChatMessage
	Stream   bool
	// IncludeUsage is stream_options.include_usage: send a usage chunk
	// before [DONE].
	IncludeUsage bool
	// Tools is the client's tools array, checked to hold only function
	// tools and passed through as sent. Nil when absent or empty.
	Tools json.RawMessage
	// ToolChoice is the client's tool_choice, checked and passed through.
	ToolChoice json.RawMessage
	// Options holds the other known Chat Completions fields, type-checked
	// and passed through as sent: temperature, top_p, frequency_penalty,
	// presence_penalty, max_tokens, max_completion_tokens, seed, stop,
	// logprobs, top_logprobs, logit_bias, parallel_tool_calls, user,
	// response_format, reasoning_effort, verbosity, service_tier, metadata,
	// prediction, modalities, web_search_options, safety_identifier and
	// prompt_cache_key. Null values are left out.
	Options map[string]json.RawMessage
}

type rawStreamOptions struct {
	IncludeUsage json.RawMessage `json:"include_usage"`
}

// optionKind is the JSON type an option must have.
type optionKind int

const (
	optNumber optionKind = iota
	optInteger
	optBool
	optString
	optObject
	optArray
	optStop
)

// optionField is a request field passed through in Options, its JSON type
// and, for a number, the range of values OpenAI accepts, or nil.
type optionField struct {
	name  string
	kind  optionKind
	valid *valueRange
}

// valueRange is the inclusive range of a numeric option. An unbounded end
// is an infinity.
type valueRange struct {
	min, max float64
}

// Ranges of the numeric options, from the OpenAI API reference.
var (
	rangeTemperature = &valueRange{0, 2}
	rangeTopP        = &valueRange{0, 1}
	rangePenalty     = &valueRange{-2, 2}
	rangeTokens      = &valueRange{1, math.Inf(1)}
	rangeTopLogprobs = &valueRange{0, 20}
)

// chatOptions are the Chat Completions fields passed through in Options.
// Fields not listed here and not decoded into ChatRequest are ignored.
// When several options are invalid, the error names the first in this
// order.
var chatOptions = []optionField{
	{"temperature", optNumber, rangeTemperature},
	{"top_p", optNumber, rangeTopP},
	{"frequency_penalty", optNumber, rangePenalty},
	{"presence_penalty", optNumber, rangePenalty},
	{"max_tokens", optInteger, rangeTokens},
	{"max_completion_tokens", optInteger, rangeTokens},
	{"seed", optInteger, nil},
	{"top_logprobs", optInteger, rangeTopLogprobs},
	{"logprobs", optBool, nil},
	{"parallel_tool_calls", optBool, nil},
	{"user", optString, nil},
	{"reasoning_effort", optString, nil},
	{"service_tier", optString, nil},
	{"safety_identifier", optString, nil},
	{"prompt_cache_key", optString, nil},
	{"verbosity", optString, nil},
	{"stop", optStop, nil},
	{"logit_bias", optObject, nil},
	{"metadata", optObject, nil},
	{"response_format", optObject, nil},
	{"prediction", optObject, nil},
	{"web_search_options", optObject, nil},
	{"modalities", optArray, nil},
}

// DecodeChatRequest decodes and validates a Chat Completions request body.
// Every violation is a 400 whose Param names the field.
func DecodeChatRequest(body []byte) (*ChatRequest, *Error) {
	fields, e := decodeBody(body)
	if e != nil {
		return nil, e
	}

	req := &ChatRequest{}
	if req.Model, e = optionalString(fields["model"], "model"); e != nil {
		return nil, e
	}
	if req.Messages, e = decodeChatMessages(fields["messages"], "messages", false); e != nil {
		return nil, e
	}
	if e := decodeChatStream(fields, req); e != nil {
		return nil, e
	}
	if e := checkN(fields["n"]); e != nil {
		return nil, e
	}
	if req.Tools, e = checkChatTools(fields["tools"]); e != nil {
		return nil, e
	}
	if req.ToolChoice, e = checkChatToolChoice(fields["tool_choice"]); e != nil {
		return nil, e
	}
	if req.Options, e = collectOptions(fields, chatOptions); e != nil {
		return nil, e
	}
	return req, nil
}

// decodeBody checks that body is one JSON object and returns its fields.
// Keys match exactly, as in the OpenAI API, and a duplicate key keeps its
// last value, as encoding/json does.
func decodeBody(body []byte) (map[string]json.RawMessage, *Error) {
	// The depth check comes first because encoding/json rejects a body that
	// nests too deep as invalid JSON even when it is not an object.
	if tooDeep(body) {
		return nil, InvalidRequest("", CodeInvalidJSON, "request body nests arrays and "+
			"objects deeper than %d levels; send a flatter JSON object", maxDepth)
	}
	if jsonKind(body) != '{' {
		if len(body) > 0 && !validJSON(body) {
			return nil, invalidJSON(nil)
		}
		return nil, InvalidRequest("", CodeInvalidType, "request body must be a JSON object")
	}
	if !validJSON(body) {
		return nil, invalidJSON(syntaxError(body))
	}
	return splitObject(body), nil
}

// maxDepth is the deepest nesting of arrays and objects a request body may
// have, the limit of encoding/json.
const maxDepth = 10000

// tooDeep reports whether body nests arrays and objects deeper than
// maxDepth, counting brackets outside strings. The decoder then never
// recurses that deep.
func tooDeep(body []byte) bool {
	depth := 0
	inString, escaped := false, false
	for _, c := range body {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			if depth++; depth > maxDepth {
				return true
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return false
}

func invalidJSON(err error) *Error {
	if err == nil {
		return InvalidRequest("", CodeInvalidJSON,
			"request body is not valid JSON; send a JSON object")
	}
	return InvalidRequest("", CodeInvalidJSON,
		"request body is not valid JSON (%v); send a JSON object", err)
}

func decodeChatStream(fields map[string]json.RawMessage, req *ChatRequest) *Error {
	var e *Error
	if req.Stream, e = optionalBool(fields["stream"], "stream", false); e != nil {
		return e
	}
	raw := fields["stream_options"]
	if isAbsent(raw) {
		return nil
	}
	var so rawStreamOptions
	if e := decodeObject(raw, "stream_options", &so); e != nil {
		return e
	}
	req.IncludeUsage, e = optionalBool(so.IncludeUsage, "stream_options.include_usage", false)
	return e
}

func checkN(raw json.RawMessage) *Error {
	if isAbsent(raw) {
		return nil
	}
	n, e := checkInteger(raw, "n")
	if e != nil {
		return e
	}
	if n != 1 {
		return InvalidRequest("n", CodeUnsupported,
			"n must be 1; this server returns one choice per request")
	}
	return nil
}

// collectOptions type-checks the known option fields and returns them. It
// walks known, not the fields map, so that a body with several invalid
// options always gets the same error.
func collectOptions(fields map[string]json.RawMessage, known []optionField) (
	map[string]json.RawMessage, *Error,
) {
	var opts map[string]json.RawMessage
	for _, opt := range known {
		raw := fields[opt.name]
		if isAbsent(raw) {
			continue
		}
		if e := checkOption(raw, opt); e != nil {
			return nil, e
		}
		if opts == nil {
			opts = make(map[string]json.RawMessage)
		}
		opts[opt.name] = raw
	}
	return opts, nil
}

func checkOption(raw json.RawMessage, opt optionField) *Error {
	param := opt.name
	switch opt.kind {
	case optNumber:
		v, e := checkNumber(raw, param)
		if e != nil {
			return e
		}
		return opt.valid.check(param, raw, v, "decimal")
	case optInteger:
		v, e := checkInteger(raw, param)
		if e != nil {
			return e
		}
		return opt.valid.check(param, raw, float64(v), "integer")
	case optBool:
		_, e := optionalBool(raw, param, false)
		return e
	case optString:
		_, e := decodeString(raw, param)
		return e
	case optObject:
		return checkKind(raw, param, '{', "a JSON object")
	case optArray:
		return checkKind(raw, param, '[', "an array")
	case optStop:
		return checkStop(raw)
	}
	return nil
}

// check rejects a value v outside r with OpenAI's error code for it, such
// as decimal_above_max_value, where kind is "decimal" or "integer". A nil
// range accepts every value.
func (r *valueRange) check(param string, raw json.RawMessage, v float64, kind string) *Error {
	if r == nil {
		return nil
	}
	got := clip(string(bytes.TrimSpace(raw)))
	switch {
	case v < r.min:
		return InvalidRequest(param, kind+"_below_min_value",
			"%s is %s, below the minimum of %s; %s", param, got, formatBound(r.min), r.fix())
	case v > r.max:
		return InvalidRequest(param, kind+"_above_max_value",
			"%s is %s, above the maximum of %s; %s", param, got, formatBound(r.max), r.fix())
	}
	return nil
}

// fix returns the advice that names the values a client may send.
func (r *valueRange) fix() string {
	if math.IsInf(r.max, 1) {
		return "send " + formatBound(r.min) + " or more"
	}
	return "send a value from " + formatBound(r.min) + " to " + formatBound(r.max)
}

func formatBound(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func checkKind(raw json.RawMessage, param string, want byte, typeName string) *Error {
	if jsonKind(raw) != want {
		return InvalidRequest(param, CodeInvalidType, "%s must be %s", param, typeName)
	}
	return nil
}

// checkStop accepts a string or an array of strings.
func checkStop(raw json.RawMessage) *Error {
	if jsonKind(raw) == '"' {
		return nil
	}
	var stops []string
	if jsonKind(raw) != '[' || unmarshalJSON(raw, &stops) != nil {
		return InvalidRequest("stop", CodeInvalidType,
			"stop must be a string or an array of strings")
	}
	return nil
}
