// Package jsonstr appends Go strings as JSON strings without reflection,
// for the encoders that write JSON field by field.
package jsonstr

import "unicode/utf8"

const hexDigits = "0123456789abcdef"

// plainASCII marks the bytes that Append copies as they are: ASCII from
// 0x20 up, apart from '"' and '\\'.
var plainASCII = func() (plain [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		plain[c] = c != '"' && c != '\\'
	}
	return plain
}()

// Append appends s to dst as a JSON string, escaped as encoding/json
// (Go 1.26) escapes it with SetEscapeHTML(false). '"' and '\\' get a
// backslash, \b \f \n \r and \t their short escapes, and other bytes below
// 0x20 \u00XX. Each invalid UTF-8 byte becomes \ufffd, and U+2028 and U+2029,
// which JavaScript treats as line breaks, become \u2028 and \u2029. <, > and
// & stay as they are, because the output is not embedded in HTML.
func Append(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if plainASCII[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			dst = appendEscapedByte(dst, c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendEscapedByte appends the escape of an ASCII byte that cannot appear
// in a JSON string as it is.
func appendEscapedByte(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	default:
		return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
	}
}
