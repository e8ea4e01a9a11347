package wire

import (
	"bytes"
	"strconv"
	"unicode/utf8"

	json "github.com/segmentio/encoding/json"
)

// Request decoding works in two steps. decodeBody checks the whole body
// once and splits its top-level object into json.RawMessage values, and
// nested objects decode into structs of json.RawMessage fields, which fail
// only on broken JSON, never on a wrong value type. Each field is then
// checked on its own, so that a wrong type becomes an Error naming that
// field. The decoder is github.com/segmentio/encoding/json, which follows
// encoding/json's rules about twice as fast. decodeBody first bounds the
// nesting depth, which encoding/json limits and segmentio does not.

// unmarshalJSON and validJSON are the two JSON functions the decoders call.
// They are variables only so that a test can run the same decoders with
// encoding/json, whose behaviour they must match. Nothing else sets them.
//
// NOTE: segmentio v0.5.4 folds a non-ASCII object key rune by rune, so a key
// that has ſ (U+017F) or K (U+212A) and also a plain s or k matches no
// field, where encoding/json matches it ignoring case. The decoders agree
// because no field tag contains more than one s or k in total. For the
// structs listed in rawTypes, TestFieldKeysFoldLikeEncodingJSON fails when
// a tag does.
var (
	unmarshalJSON = json.Unmarshal
	validJSON     = json.Valid
)

// jsonKind returns the type of a JSON value from its first byte: '"'
// string, '{' object, '[' array, 't' or 'f' boolean, 'n' null, and '0' for
// any number. An absent value returns 0.
func jsonKind(raw json.RawMessage) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	switch c := raw[0]; {
	case c == '-' || (c >= '0' && c <= '9'):
		return '0'
	default:
		return c
	}
}

// isAbsent reports whether a field was left out or set to null.
func isAbsent(raw json.RawMessage) bool {
	k := jsonKind(raw)
	return k == 0 || k == 'n'
}

// decodeObject decodes raw, which must be a JSON object, into the struct v.
func decodeObject(raw json.RawMessage, param string, v any) *Error {
	if jsonKind(raw) != '{' {
		return InvalidRequest(param, CodeInvalidType, "%s must be a JSON object", param)
	}
	if err := unmarshalJSON(raw, v); err != nil {
		return InvalidRequest(param, CodeInvalidType, "%s must be a JSON object: %v", param, err)
	}
	return nil
}

// decodeArray decodes raw, which must be a JSON array, into its elements,
// which are slices of raw.
func decodeArray(raw json.RawMessage, param string) ([]json.RawMessage, *Error) {
	if jsonKind(raw) != '[' {
		return nil, InvalidRequest(param, CodeInvalidType, "%s must be an array", param)
	}
	// Every value reaching here is part of a request body that decodeBody
	// found valid, so the array splits without another check.
	return splitArray(raw), nil
}

// decodeString decodes a JSON string. Invalid UTF-8 becomes U+FFFD.
func decodeString(raw json.RawMessage, param string) (string, *Error) {
	if jsonKind(raw) != '"' {
		return "", InvalidRequest(param, CodeInvalidType, "%s must be a string", param)
	}
	if s, ok := plainString(raw); ok {
		return s, nil
	}
	var s string
	if err := unmarshalJSON(raw, &s); err != nil {
		return "", InvalidRequest(param, CodeInvalidType, "%s must be a string: %v", param, err)
	}
	return s, nil
}

// plainString returns the content of a JSON string literal that needs no
// unescaping: no backslash, no control character and valid UTF-8. Most
// strings are like that, and this skips a second pass of encoding/json.
func plainString(raw json.RawMessage) (string, bool) {
	n := len(raw)
	if n < 2 || raw[0] != '"' || raw[n-1] != '"' {
		return "", false
	}
	body := raw[1 : n-1]
	for _, c := range body {
		if c < 0x20 || c == '\\' || c == '"' {
			return "", false
		}
	}
	if !utf8.Valid(body) {
		return "", false
	}
	return string(body), true
}

// optionalString decodes a string that may be absent or null, which
// decodes to "".
func optionalString(raw json.RawMessage, param string) (string, *Error) {
	if isAbsent(raw) {
		return "", nil
	}
	return decodeString(raw, param)
}

// presentString decodes a string that must be present; "" is allowed.
func presentString(raw json.RawMessage, param string) (string, *Error) {
	if isAbsent(raw) {
		return "", InvalidRequest(param, CodeMissingParameter, "%s is required", param)
	}
	return decodeString(raw, param)
}

// requiredString decodes a string that must be present and non-empty.
func requiredString(raw json.RawMessage, param string) (string, *Error) {
	if isAbsent(raw) {
		return "", InvalidRequest(param, CodeMissingParameter, "%s is required", param)
	}
	s, e := decodeString(raw, param)
	if e != nil {
		return "", e
	}
	if s == "" {
		return "", InvalidRequest(param, CodeInvalidValue, "%s must not be empty", param)
	}
	return s, nil
}

// optionalBool decodes a boolean that may be absent or null, which decodes
// to def.
func optionalBool(raw json.RawMessage, param string, def bool) (bool, *Error) {
	switch jsonKind(raw) {
	case 0, 'n':
		return def, nil
	case 't', 'f':
		switch string(bytes.TrimSpace(raw)) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, InvalidRequest(param, CodeInvalidType, "%s must be a boolean", param)
}

// checkNumber checks that raw is a JSON number that fits in a float64, so
// that an upstream can read it, and returns its value.
func checkNumber(raw json.RawMessage, param string) (float64, *Error) {
	if jsonKind(raw) != '0' {
		return 0, InvalidRequest(param, CodeInvalidType, "%s must be a number", param)
	}
	v, err := strconv.ParseFloat(string(bytes.TrimSpace(raw)), 64)
	if err != nil {
		return 0, InvalidRequest(param, CodeInvalidValue, "%s must be a finite number", param)
	}
	return v, nil
}

// checkInteger checks that raw is a JSON integer that fits in an int64,
// and returns its value.
func checkInteger(raw json.RawMessage, param string) (int64, *Error) {
	if jsonKind(raw) != '0' {
		return 0, InvalidRequest(param, CodeInvalidType, "%s must be an integer", param)
	}
	v, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
	if err != nil {
		return 0, InvalidRequest(param, CodeInvalidType, "%s must be an integer", param)
	}
	return v, nil
}

// maxQuoted is the number of bytes of a client's value that an error
// message repeats.
const maxQuoted = 64

// clip shortens a client's value for an error message, so that a huge
// value is not sent back in full.
func clip(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// indexed returns base[i].
func indexed(base string, i int) string {
	return base + "[" + strconv.Itoa(i) + "]"
}
