package config

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// RedactedText replaces a key in Config.Redacted and in the String,
// GoString, Format, MarshalJSON and MarshalYAML output of the config types.
const RedactedText = "[redacted]"

func redact(secret string) string {
	if secret == "" {
		return ""
	}

	return RedactedText
}

// Redacted returns a deep copy of c with every key replaced by
// RedactedText. An empty key stays empty, so a missing key still shows.
func (c Config) Redacted() Config {
	c.Agent = c.Agent.redacted()
	c.Platforms.APIServer = c.Platforms.APIServer.redacted()
	c.Platforms = c.Platforms.redactedChat()

	return c
}

func (a AgentConfig) redacted() AgentConfig {
	a.APIKey = redact(a.APIKey)

	return a
}

func (a APIServerConfig) redacted() APIServerConfig {
	a.Key = redact(a.Key)
	if a.Enabled != nil {
		enabled := *a.Enabled
		a.Enabled = &enabled
	}
	if a.CORSOrigins != nil {
		a.CORSOrigins = append([]string(nil), a.CORSOrigins...)
	}

	return a
}

// The types below have the fields of AgentConfig and APIServerConfig but
// none of their methods, so that the methods can format or encode a
// redacted copy without calling themselves.
type (
	plainAgent     AgentConfig
	plainAPIServer APIServerConfig
)

// String formats a with its API key redacted, so that fmt and loggers
// that use fmt never print the key.
func (a AgentConfig) String() string { return formatFields(plainAgent(a.redacted())) }

// GoString is String for the %#v verb.
func (a AgentConfig) GoString() string { return "config.AgentConfig" + a.String() }

// Format writes String, or GoString for %#v, whatever the verb, because
// fmt would print a string field's value inside an error for verbs such
// as %d.
func (a AgentConfig) Format(f fmt.State, verb rune) { formatRedacted(f, verb, a) }

// MarshalJSON encodes a with its API key redacted.
func (a AgentConfig) MarshalJSON() ([]byte, error) {
	return json.Marshal(plainAgent(a.redacted()))
}

// MarshalYAML encodes a with its API key redacted, so a marshalled
// configuration must not be written back as config.yaml.
func (a AgentConfig) MarshalYAML() (any, error) { return plainAgent(a.redacted()), nil }

// String formats a with its key redacted, so that fmt and loggers that use
// fmt never print the key.
func (a APIServerConfig) String() string {
	return formatFields(plainAPIServer(a.redacted()))
}

// GoString is String for the %#v verb.
func (a APIServerConfig) GoString() string { return "config.APIServerConfig" + a.String() }

// Format writes String, or GoString for %#v, whatever the verb, because
// fmt would print a string field's value inside an error for verbs such
// as %d.
func (a APIServerConfig) Format(f fmt.State, verb rune) { formatRedacted(f, verb, a) }

// MarshalJSON encodes a with its key redacted.
func (a APIServerConfig) MarshalJSON() ([]byte, error) {
	return json.Marshal(plainAPIServer(a.redacted()))
}

// MarshalYAML encodes a with its key redacted, so a marshalled
// configuration must not be written back as config.yaml.
func (a APIServerConfig) MarshalYAML() (any, error) {
	return plainAPIServer(a.redacted()), nil
}

func formatRedacted(f fmt.State, verb rune, v interface {
	fmt.Stringer
	fmt.GoStringer
},
) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, v.GoString())

		return
	}

	_, _ = io.WriteString(f, v.String())
}

// formatFields formats a struct as {Name:value ...} like %+v, but prints
// the value a pointer points to instead of its address.
func formatFields(v any) string {
	rv := reflect.ValueOf(v)
	parts := make([]string, 0, rv.NumField())

	for i := range rv.NumField() {
		field := rv.Field(i)
		value := "<nil>"
		if field.Kind() != reflect.Pointer {
			value = fmt.Sprintf("%v", field.Interface())
		} else if !field.IsNil() {
			value = fmt.Sprintf("%v", field.Elem().Interface())
		}
		parts = append(parts, rv.Type().Field(i).Name+":"+value)
	}

	return "{" + strings.Join(parts, " ") + "}"
}
