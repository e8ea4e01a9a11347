package agent

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// maxSkipDepth bounds the nesting of an ignored value that chunkScanner
// skips itself. A deeper value is left to encoding/json.
const maxSkipDepth = 32

// Field names that decodeChunk and decodeCompletion read, at each level of
// a chunk or a completion.
var (
	chunkFields            = []string{"model", "choices", "usage", "error"}
	choiceFields           = []string{"index", "delta", "finish_reason"}
	deltaFields            = []string{"content", "tool_calls"}
	usageFields            = []string{"prompt_tokens", "completion_tokens", "total_tokens"}
	completionChoiceFields = []string{"message", "finish_reason"}
	messageFields          = []string{"content", "tool_calls"}
)

// decodeChunk decodes the common shape of a streamed chunk into c without
// reflection: a model, choices whose delta carries content, finish
// reasons, a usage, and null error and tool_calls. It returns false for
// anything else, including invalid JSON, tool calls, errors,
// duplicate fields, keys with escapes or non-ASCII bytes, and keys that
// differ from a known field only in case, which encoding/json matches.
// After false, c may be partly filled, and the caller decodes data with
// encoding/json, which also reports why invalid JSON is invalid.
//
// A model equal to model, the reply's model so far, is set to that string, which saves allocating it again for every chunk.
//
// For every input that it accepts, the result equals what json.Unmarshal
// into a reset wireChunk produces, apart from a null error, which it leaves
// empty instead of "null". FuzzDecodeChunk checks this.
func decodeChunk(data []byte, c *wireChunk, model string) bool {
	return decodeTop(data, &c.Model, model, &c.Usage, c, nil)
}

// decodeTop reads the top-level object that chunks and completions share:
// a model, choices, a usage and a null error, with other fields skipped.
// The choices go into chunk when it is set, else into completion. It
// reports false as decodeChunk does.
func decodeTop(
	data []byte, model *string, known string, usage **wireUsage,
	chunk *wireChunk, completion *wireCompletion,
) bool {
	s := chunkScanner{data: data}
	var seen uint8
	ok := s.object(func(key []byte) bool {
		i, ok := s.field(key, chunkFields, &seen)
		if !ok {
			return false
		}
		switch i {
		case 0:
			return s.optionalString(model, known)
		case 1:
			if chunk != nil {
				return s.choices(chunk)
			}
			return s.completionChoices(completion)
		case 2:
			return s.usage(usage)
		case 3:
			// An error is left to encoding/json.
			return s.literal("null")
		default:
			return s.skipValue(0)
		}
	})
	if !ok {
		return false
	}
	s.skipSpace()
	return s.pos == len(s.data)
}

// chunkScanner reads one JSON chunk from data, starting at pos.
type chunkScanner struct {
	data []byte
	pos  int
}

// field returns the index of key in names, or -1 for a key to skip. It
// reports false for a key seen before and for a key that encoding/json
// would match to a name by case folding.
func (s *chunkScanner) field(key []byte, names []string, seen *uint8) (int, bool) {
	for i, name := range names {
		if string(key) == name {
			if *seen&(1<<i) != 0 {
				return 0, false
			}
			*seen |= 1 << i
			return i, true
		}
	}
	for _, name := range names {
		if len(key) == len(name) && bytes.EqualFold(key, []byte(name)) {
			return 0, false
		}
	}
	return -1, true
}

func (s *chunkScanner) choices(c *wireChunk) bool {
	return scanArray(s, &c.Choices, s.choice)
}

// scanArray reads a JSON array, or null, into *dst, which the caller passes
// empty. Each element is read by elem into a zero value appended to *dst,
// and null sets *dst to nil, as encoding/json does.
func scanArray[T any](s *chunkScanner, dst *[]T, elem func(*T) bool) bool {
	if s.literal("null") {
		*dst = nil
		return true
	}
	if !s.consume('[') {
		return false
	}
	if s.consume(']') {
		return true
	}
	for {
		var zero T
		*dst = append(*dst, zero)
		if !elem(&(*dst)[len(*dst)-1]) {
			return false
		}
		if s.consume(',') {
			continue
		}
		return s.consume(']')
	}
}

func (s *chunkScanner) choice(c *wireChunkChoice) bool {
	var seen uint8
	return s.object(func(key []byte) bool {
		i, ok := s.field(key, choiceFields, &seen)
		if !ok {
			return false
		}
		switch i {
		case 0:
			return s.smallInt(&c.Index)
		case 1:
			if s.literal("null") {
				return true
			}
			return s.delta(c)
		case 2:
			return s.optionalString(&c.FinishReason, "")
		default:
			return s.skipValue(0)
		}
	})
}

func (s *chunkScanner) delta(c *wireChunkChoice) bool {
	var seen uint8
	return s.object(func(key []byte) bool {
		i, ok := s.field(key, deltaFields, &seen)
		if !ok {
			return false
		}
		switch i {
		case 0:
			return s.optionalString(&c.Delta.Content, "")
		case 1:
			// Tool call fragments are left to encoding/json.
			return s.literal("null")
		default:
			return s.skipValue(0)
		}
	})
}

func (s *chunkScanner) usage(dst **wireUsage) bool {
	if s.literal("null") {
		*dst = nil
		return true
	}
	u := &wireUsage{}
	*dst = u
	var seen uint8
	return s.object(func(key []byte) bool {
		i, ok := s.field(key, usageFields, &seen)
		if !ok {
			return false
		}
		switch i {
		case 0:
			return s.smallInt(&u.PromptTokens)
		case 1:
			return s.smallInt(&u.CompletionTokens)
		case 2:
			return s.smallInt(&u.TotalTokens)
		default:
			return s.skipValue(0)
		}
	})
}

// decodeCompletion decodes the common shape of a non-streamed completion
// into c without reflection. That shape has a model, a usage, a null error
// and choices whose message has content and null tool_calls. Fields that
// wireCompletion lacks, such as id, index, logprobs and refusal, are
// skipped after a syntax check. Everything else makes it return false, as
// decodeChunk does, and the caller then decodes data into a reset c with
// encoding/json. A model equal to model is set to that string without
// allocating.
//
// For every input that it accepts, the result equals what json.Unmarshal
// into a zero wireCompletion produces, apart from a null error, which it
// leaves empty, and an empty choices array, which it leaves nil.
// FuzzDecodeCompletion checks this.
func decodeCompletion(data []byte, c *wireCompletion, model string) bool {
	return decodeTop(data, &c.Model, model, &c.Usage, nil, c)
}

func (s *chunkScanner) completionChoices(c *wireCompletion) bool {
	return scanArray(s, &c.Choices, s.completionChoice)
}

func (s *chunkScanner) completionChoice(c *wireCompletionChoice) bool {
	var seen uint8
	return s.object(func(key []byte) bool {
		i, ok := s.field(key, completionChoiceFields, &seen)
		if !ok {
			return false
		}
		switch i {
		case 0:
			if s.literal("null") {
				return true
			}
			return s.message(c)
		case 1:
			return s.optionalString(&c.FinishReason, "")
		default:
			return s.skipValue(0)
		}
	})
}

func (s *chunkScanner) message(c *wireCompletionChoice) bool {
	var seen uint8
	return s.object(func(key []byte) bool {
		i, ok := s.field(key, messageFields, &seen)
		if !ok {
			return false
		}
		switch i {
		case 0:
			return s.optionalString(&c.Message.Content, "")
		case 1:
			// Tool calls are left to encoding/json.
			return s.literal("null")
		default:
			return s.skipValue(0)
		}
	})
}

// object reads an object and calls field for each key, with the scanner
// at the key's value. field returns false to stop.
func (s *chunkScanner) object(field func(key []byte) bool) bool {
	if !s.consume('{') {
		return false
	}
	if s.consume('}') {
		return true
	}
	for {
		key, ok := s.key()
		if !ok || !s.consume(':') || !field(key) {
			return false
		}
		if s.consume(',') {
			continue
		}
		return s.consume('}')
	}
}

// key reads an object key made of printable ASCII without escapes and
// returns it without its quotes.
func (s *chunkScanner) key() ([]byte, bool) {
	if !s.consume('"') {
		return nil, false
	}
	start := s.pos
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		s.pos++
		switch {
		case c == '"':
			return s.data[start : s.pos-1], true
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			return nil, false
		}
	}
	return nil, false
}

// optionalString reads a string into dst, or null, which leaves dst
// unchanged as encoding/json does. A string equal to known is set to known
// without allocating.
func (s *chunkScanner) optionalString(dst *string, known string) bool {
	if s.literal("null") {
		return true
	}
	s.skipSpace()
	start := s.pos
	escaped, ok := s.skipString()
	if !ok {
		return false
	}
	raw := s.data[start+1 : s.pos-1]
	if escaped {
		// Escapes are rare in the fields read here, so encoding/json
		// decodes such a string on its own.
		return json.Unmarshal(s.data[start:s.pos], dst) == nil
	}
	if !utf8.Valid(raw) {
		// encoding/json replaces invalid UTF-8 with U+FFFD.
		return false
	}
	if string(raw) == known {
		*dst = known
		return true
	}
	*dst = string(raw)
	return true
}

// smallInt reads a non-negative integer of at most nine digits, which fits
// an int on every platform, without a sign, fraction or exponent.
func (s *chunkScanner) smallInt(dst *int) bool {
	s.skipSpace()
	start, n := s.pos, 0
	for s.pos < len(s.data) && s.pos-start < 10 && isDigit(s.data[s.pos]) {
		n = n*10 + int(s.data[s.pos]-'0')
		s.pos++
	}
	digits := s.pos - start
	if digits == 0 || digits > 9 || (digits > 1 && s.data[start] == '0') {
		return false
	}
	if s.pos < len(s.data) && isNumberByte(s.data[s.pos]) {
		return false
	}
	*dst = n
	return true
}

// skipValue skips any valid JSON value, checking its syntax as
// encoding/json does.
func (s *chunkScanner) skipValue(depth int) bool {
	if depth > maxSkipDepth {
		return false
	}
	s.skipSpace()
	if s.pos >= len(s.data) {
		return false
	}
	switch s.data[s.pos] {
	case '{':
		return s.object(func([]byte) bool { return s.skipValue(depth + 1) })
	case '[':
		return s.skipArray(depth)
	case '"':
		_, ok := s.skipString()
		return ok
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		return s.skipNumber()
	}
}

func (s *chunkScanner) skipArray(depth int) bool {
	s.pos++
	if s.consume(']') {
		return true
	}
	for {
		if !s.skipValue(depth + 1) {
			return false
		}
		if s.consume(',') {
			continue
		}
		return s.consume(']')
	}
}

// skipString skips a string starting at pos and reports whether it has
// escapes. Bytes of 0x80 and above pass unchecked, as in encoding/json's
// syntax check.
func (s *chunkScanner) skipString() (escaped, ok bool) {
	if s.pos >= len(s.data) || s.data[s.pos] != '"' {
		return false, false
	}
	s.pos++
	for s.pos < len(s.data) {
		// Most bytes of a string need no check beyond this table.
		for s.pos < len(s.data) && plainStringByte[s.data[s.pos]] {
			s.pos++
		}
		if s.pos >= len(s.data) {
			break
		}
		c := s.data[s.pos]
		s.pos++
		switch {
		case c == '"':
			return escaped, true
		case c < 0x20:
			return false, false
		case c == '\\':
			escaped = true
			if !s.skipEscape() {
				return false, false
			}
		}
	}
	return false, false
}

// plainStringByte reports the bytes that stand for themselves inside a JSON
// string: all but the quote, the backslash and the control characters.
var plainStringByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// skipEscape skips the rest of an escape sequence after its backslash.
func (s *chunkScanner) skipEscape() bool {
	if s.pos >= len(s.data) {
		return false
	}
	c := s.data[s.pos]
	s.pos++
	switch c {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return true
	case 'u':
		if len(s.data)-s.pos < 4 {
			return false
		}
		for _, h := range s.data[s.pos : s.pos+4] {
			if !isHexDigit(h) {
				return false
			}
		}
		s.pos += 4
		return true
	default:
		return false
	}
}

// skipNumber skips a number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *chunkScanner) skipNumber() bool {
	if s.peek() == '-' {
		s.pos++
	}
	switch c := s.peek(); {
	case c == '0':
		s.pos++
	case c >= '1' && c <= '9':
		s.skipDigits()
	default:
		return false
	}
	if s.peek() == '.' {
		s.pos++
		if s.skipDigits() == 0 {
			return false
		}
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.pos++
		if c := s.peek(); c == '+' || c == '-' {
			s.pos++
		}
		if s.skipDigits() == 0 {
			return false
		}
	}
	return true
}

func (s *chunkScanner) skipDigits() int {
	start := s.pos
	for s.pos < len(s.data) && isDigit(s.data[s.pos]) {
		s.pos++
	}
	return s.pos - start
}

// peek returns the byte at pos, or 0 at the end.
func (s *chunkScanner) peek() byte {
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

// literal skips whitespace and then word if it comes next. Otherwise only
// the whitespace is skipped. A byte after word that cannot follow a value
// is caught by the next consume.
func (s *chunkScanner) literal(word string) bool {
	s.skipSpace()
	if !bytes.HasPrefix(s.data[s.pos:], []byte(word)) {
		return false
	}
	s.pos += len(word)
	return true
}

// consume skips whitespace and then c if it comes next.
func (s *chunkScanner) consume(c byte) bool {
	s.skipSpace()
	if s.pos < len(s.data) && s.data[s.pos] == c {
		s.pos++
		return true
	}
	return false
}

func (s *chunkScanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHexDigit(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// isNumberByte reports whether c can continue a number, which makes an
// integer read so far part of a longer number.
func isNumberByte(c byte) bool {
	return isDigit(c) || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+'
}
