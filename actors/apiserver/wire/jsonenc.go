package wire

import (
	"strconv"

	"github.com/actorgate/actorgate/internal/jsonstr"
)

// appendStringOrNull appends s as a JSON string, or null when s is empty.
func appendStringOrNull(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, "null"...)
	}
	return jsonstr.Append(dst, s)
}

// appendKey appends a comma when needed, then "key":. The key must need no
// escaping.
func appendKey(dst []byte, key string) []byte {
	if n := len(dst); n > 0 && dst[n-1] != '{' && dst[n-1] != '[' {
		dst = append(dst, ',')
	}
	dst = append(dst, '"')
	dst = append(dst, key...)
	return append(dst, '"', ':')
}

func appendStringField(dst []byte, key, value string) []byte {
	return jsonstr.Append(appendKey(dst, key), value)
}

func appendIntField(dst []byte, key string, value int64) []byte {
	return strconv.AppendInt(appendKey(dst, key), value, 10)
}

// appendRawField appends key with a JSON value, or with fallback when the
// value is empty. The value must be valid JSON, which holds for every value
// the decoders of this package produce.
func appendRawField(dst []byte, key string, value []byte, fallback string) []byte {
	dst = appendKey(dst, key)
	if len(value) == 0 {
		return append(dst, fallback...)
	}
	return append(dst, value...)
}
