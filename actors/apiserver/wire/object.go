package wire

import (
	"bytes"
	"encoding/json"
)

// splitObject returns the members of the JSON object in body, which must
// be valid JSON (checked by the caller) with an object at its top. It
// decodes as json.Unmarshal into a map[string]json.RawMessage does, and a
// duplicate key keeps its last value. The values are slices of one copy of
// body, so they stay valid when the caller reuses body.
func splitObject(body []byte) map[string]json.RawMessage {
	data := bytes.Clone(bytes.TrimSpace(body))
	fields := make(map[string]json.RawMessage)
	i := skipSpace(data, 1)
	for i < len(data) && data[i] != '}' {
		end := skipString(data, i)
		key := objectKey(data[i:end])
		i = skipSpace(data, skipSpace(data, end)+1)
		end = skipValue(data, i)
		fields[key] = data[i:end:end]
		i = skipSpace(data, end)
		if i < len(data) && data[i] == ',' {
			i = skipSpace(data, i+1)
		}
	}
	return fields
}

// syntaxError returns encoding/json's error for the invalid JSON in body,
// whose message names the problem and its offset.
func syntaxError(body []byte) error {
	return json.Unmarshal(body, new(json.RawMessage))
}

// splitArray returns the elements of the JSON array in raw, which must be
// valid JSON with an array at its top, as slices of raw.
func splitArray(raw []byte) []json.RawMessage {
	data := bytes.TrimSpace(raw)
	var items []json.RawMessage
	i := skipSpace(data, 1)
	for i < len(data) && data[i] != ']' {
		end := skipValue(data, i)
		items = append(items, data[i:end:end])
		i = skipSpace(data, end)
		if i < len(data) && data[i] == ',' {
			i = skipSpace(data, i+1)
		}
	}
	return items
}

// objectKey returns the text of the string literal raw. A key without
// escapes, the usual case, is converted directly.
func objectKey(raw []byte) string {
	if s, ok := plainString(raw); ok {
		return s
	}
	var s string
	// raw is a string literal of a body that decodeBody found valid, so
	// this does not fail.
	_ = json.Unmarshal(raw, &s)
	return s
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON whitespace.
func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index just past the string literal that starts at
// data[i].
func skipString(data []byte, i int) int {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(data)
}

// skipValue returns the index just past the value that starts at data[i].
func skipValue(data []byte, i int) int {
	if i >= len(data) {
		return i
	}
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for ; i < len(data); i++ {
			switch data[i] {
			case '"':
				i = skipString(data, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(data)
	}
	for ; i < len(data); i++ {
		switch data[i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return i
		}
	}
	return i
}
