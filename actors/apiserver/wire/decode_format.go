package wire

import (
	json "github.com/segmentio/encoding/json"

	"github.com/actorgate/actorgate/internal/jsonstr"
)

type rawTextConfig struct {
	Format    json.RawMessage `json:"format"`
	Verbosity json.RawMessage `json:"verbosity"`
}

type rawTextFormat struct {
	Type        json.RawMessage `json:"type"`
	Name        json.RawMessage `json:"name"`
	Description json.RawMessage `json:"description"`
	Schema      json.RawMessage `json:"schema"`
	Strict      json.RawMessage `json:"strict"`
}

type rawReasoning struct {
	Effort json.RawMessage `json:"effort"`
}

// convertTextConfig maps the Responses API text object to the Chat
// Completions options: text.format to response_format and text.verbosity
// to verbosity. A "text" format is the default and sets nothing.
func convertTextConfig(raw json.RawMessage, set func(string, json.RawMessage)) *Error {
	if isAbsent(raw) {
		return nil
	}
	var tc rawTextConfig
	if e := decodeObject(raw, "text", &tc); e != nil {
		return e
	}
	if !isAbsent(tc.Verbosity) {
		if _, e := decodeString(tc.Verbosity, "text.verbosity"); e != nil {
			return e
		}
		set("verbosity", tc.Verbosity)
	}
	if isAbsent(tc.Format) {
		return nil
	}

	var f rawTextFormat
	if e := decodeObject(tc.Format, "text.format", &f); e != nil {
		return e
	}
	typ, e := requiredString(f.Type, "text.format.type")
	if e != nil {
		return e
	}
	switch typ {
	case "text":
		return nil
	case "json_object":
		set("response_format", json.RawMessage(`{"type":"json_object"}`))
		return nil
	case "json_schema":
		format, e := convertJSONSchemaFormat(&f)
		if e != nil {
			return e
		}
		set("response_format", format)
		return nil
	}
	return InvalidRequest("text.format.type", CodeUnsupported,
		"text.format.type %q is not supported; use text, json_object or json_schema", clip(typ))
}

// convertJSONSchemaFormat turns the flat Responses json_schema format into
// the Chat Completions {"type":"json_schema","json_schema":{...}}.
func convertJSONSchemaFormat(f *rawTextFormat) (json.RawMessage, *Error) {
	name, e := requiredString(f.Name, "text.format.name")
	if e != nil {
		return nil, e
	}
	if jsonKind(f.Schema) != '{' {
		return nil, InvalidRequest("text.format.schema", CodeInvalidType,
			"text.format.schema must be a JSON Schema object")
	}
	description, e := optionalString(f.Description, "text.format.description")
	if e != nil {
		return nil, e
	}
	if _, e := optionalBool(f.Strict, "text.format.strict", false); e != nil {
		return nil, e
	}

	out := []byte(`{"type":"json_schema","json_schema":{"name":`)
	out = jsonstr.Append(out, name)
	if description != "" {
		out = append(out, `,"description":`...)
		out = jsonstr.Append(out, description)
	}
	out = append(out, `,"schema":`...)
	out = append(out, f.Schema...)
	if !isAbsent(f.Strict) {
		out = append(out, `,"strict":`...)
		out = append(out, f.Strict...)
	}
	return append(out, "}}"...), nil
}

// convertReasoning maps reasoning.effort to reasoning_effort.
func convertReasoning(raw json.RawMessage, set func(string, json.RawMessage)) *Error {
	if isAbsent(raw) {
		return nil
	}
	var r rawReasoning
	if e := decodeObject(raw, "reasoning", &r); e != nil {
		return e
	}
	if isAbsent(r.Effort) {
		return nil
	}
	if _, e := decodeString(r.Effort, "reasoning.effort"); e != nil {
		return e
	}
	set("reasoning_effort", r.Effort)
	return nil
}
