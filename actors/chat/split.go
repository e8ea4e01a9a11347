package chat

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Unit is the unit in which a platform counts the length of a message.
type Unit int

// Length units.
const (
	// Runes counts Unicode code points (Matrix and most platforms).
	Runes Unit = iota
	// Bytes counts UTF-8 bytes (IRC).
	Bytes
	// UTF16 counts UTF-16 code units, as Telegram does for its
	// 4096-character limit: a character outside the Basic Multilingual
	// Plane, such as most emoji, counts twice.
	UTF16
)

// runeSize returns the length of r in unit u.
func (u Unit) runeSize(r rune) int {
	switch u {
	case Bytes:
		if r == utf8.RuneError {
			return 3
		}
		return utf8.RuneLen(r)
	case UTF16:
		if r >= 0x10000 {
			return 2
		}
		return 1
	}
	return 1
}

// Len returns the length of s in unit u.
func (u Unit) Len(s string) int {
	if u == Bytes {
		return len(s)
	}
	n := 0
	for _, r := range s {
		n += u.runeSize(r)
	}
	return n
}

// Split cuts text into parts of at most limit (in unit u) each. It cuts
// at the last paragraph break, line break or sentence end that fits. Only
// a sentence longer than the limit is cut elsewhere: at the last space,
// or between two characters of one unbroken word. It never
// cuts inside a UTF-8 sequence. White space around a cut is dropped, and
// so are parts left empty. A limit below 1 returns text whole, and a
// single character longer than the limit becomes a part of its own.
func Split(text string, limit int, u Unit) []string {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil
	}
	if limit < 1 || u.Len(text) <= limit {
		return []string{text}
	}
	var parts []string
	for text != "" {
		if u.Len(text) <= limit {
			parts = append(parts, text)
			break
		}
		cut := cutPoint(text, fitPrefix(text, limit, u))
		if part := strings.TrimSpace(text[:cut]); part != "" {
			parts = append(parts, part)
		}
		text = strings.TrimLeftFunc(text[cut:], unicode.IsSpace)
	}
	return parts
}

// fitPrefix returns the byte length of the longest prefix of s whose
// length in u is at most limit, and at least one character.
func fitPrefix(s string, limit int, u Unit) int {
	n := 0
	for i, r := range s {
		n += u.runeSize(r)
		if n > limit {
			if i == 0 {
				_, size := utf8.DecodeRuneInString(s)
				return size
			}
			return i
		}
	}
	return len(s)
}

// cutPoint returns where to end the next part of text, given that its
// first end bytes fit the limit. It looks one character past end, so that
// a boundary right at the limit counts.
func cutPoint(text string, end int) int {
	if end >= len(text) {
		return len(text)
	}
	window := text[:end]
	next, _ := utf8.DecodeRuneInString(text[end:])
	para := lastIndexAfter(window, "\n\n")
	if strings.HasPrefix(text[end:], "\n\n") {
		para = end
	}
	line := lastIndexAfter(window, "\n")
	if next == '\n' {
		line = end
	}
	sentence := lastSentenceEnd(text, end)

	half := end / 2
	for _, at := range []int{para, line, sentence} {
		if at >= half {
			return at
		}
	}
	if best := max(para, line, sentence); best > 0 {
		return best
	}

	if unicode.IsSpace(next) {
		return end
	}
	if space := lastSpace(window); space > 0 {
		return space
	}
	return end
}

// lastIndexAfter returns the index just after the last sep in s, or -1.
func lastIndexAfter(s, sep string) int {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return -1
	}
	return i + len(sep)
}

// lastSentenceEnd returns the index just after the last sentence-ending
// punctuation in text[:end] that white space or the end of text follows,
// or -1.
func lastSentenceEnd(text string, end int) int {
	for i := end; i > 0; {
		r, size := utf8.DecodeLastRuneInString(text[:i])
		i -= size
		if !isSentenceEnd(r) {
			continue
		}
		after := i + size
		if after == len(text) || isWideSentenceEnd(r) {
			return after
		}
		if next, _ := utf8.DecodeRuneInString(text[after:]); unicode.IsSpace(next) {
			return after
		}
	}
	return -1
}

func isSentenceEnd(r rune) bool {
	return strings.ContainsRune(".!?…", r) || isWideSentenceEnd(r)
}

// isWideSentenceEnd reports the full-width marks of Chinese and Japanese,
// which need no space after them.
func isWideSentenceEnd(r rune) bool {
	return strings.ContainsRune("。！？", r)
}

// lastSpace returns the index of the last white space in s, or -1.
func lastSpace(s string) int {
	return strings.LastIndexFunc(s, unicode.IsSpace)
}
