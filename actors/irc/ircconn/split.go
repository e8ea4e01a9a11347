package ircconn

import (
	"strings"
	"unicode/utf8"
)

// MaxPayloadBytes bounds the text of one outgoing PRIVMSG or NOTICE,
// whatever the room left under the 512-byte line limit. It keeps a
// margin for servers that relay lines with longer prefixes than this
// client can see.
const MaxPayloadBytes = 400

// SplitText turns text into IRC message payloads of at most limit bytes
// each. Every line of text becomes at least one payload, because a
// payload cannot contain a line break. Empty lines are dropped, because
// IRC cannot send an empty message. A line longer than the limit is cut
// at the last space that fits, or, when a single word is longer than the
// limit, at the last UTF-8 character boundary that fits. NUL and the CTCP
// delimiter \x01 are removed, so text never turns into a CTCP request.
func SplitText(text string, limit int) []string {
	if limit < utf8.UTFMax {
		limit = utf8.UTFMax
	}
	text = strings.ToValidUTF8(text, "\uFFFD")
	text = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\x00", "", "\x01", "").Replace(text)

	var out []string
	for line := range strings.SplitSeq(text, "\n") {
		out = appendLine(out, strings.TrimRight(line, " \t"), limit)
	}
	return out
}

func appendLine(out []string, line string, limit int) []string {
	for len(line) > limit {
		cut, next := cutPoint(line, limit)
		if strings.TrimSpace(line[:cut]) != "" {
			out = append(out, line[:cut])
		}
		line = strings.TrimLeft(line[next:], " ")
	}
	if strings.TrimSpace(line) != "" {
		out = append(out, line)
	}
	return out
}

// cutPoint returns where to end the current payload and where the next
// one starts. It prefers the last space within the limit, so that words
// stay whole, unless that space is in the first half of the payload,
// which would waste most of a line.
func cutPoint(line string, limit int) (cut, next int) {
	if i := strings.LastIndexByte(line[:limit+1], ' '); i > limit/2 {
		if cut = len(strings.TrimRight(line[:i], " ")); cut > 0 {
			return cut, i + 1
		}
	}
	cut = limit
	for cut > 0 && !utf8.RuneStart(line[cut]) {
		cut--
	}
	return cut, cut
}
