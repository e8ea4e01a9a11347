package ircconn

import (
	"fmt"
	"strings"
)

// MaxLineBytes is the longest IRC line without message tags, CR-LF
// included (RFC 1459, section 2.3).
const MaxLineBytes = 512

// Message is one IRC protocol line.
type Message struct {
	// Tags are the IRCv3 message tags, unescaped; nil when the line had
	// none.
	Tags map[string]string
	// Source is the prefix without its leading colon: a server name or
	// nick!user@host. Empty when the line had no prefix.
	Source string
	// Command is the command in upper case, or a three-digit numeric.
	Command string
	Params  []string
}

// ParseMessage parses one line, with or without its CR-LF. It returns an
// error wrapping ErrMalformedLine for a line without a command: letters,
// or a three-digit numeric.
func ParseMessage(line string) (*Message, error) {
	line = strings.TrimRight(line, "\r\n")
	m := &Message{}
	rest := line

	if strings.HasPrefix(rest, "@") {
		var tags string
		tags, rest = cutWord(rest[1:])
		m.Tags = parseTags(tags)
	}
	if strings.HasPrefix(rest, ":") {
		m.Source, rest = cutWord(rest[1:])
	}

	m.Command, rest = cutWord(rest)
	if !validCommand(m.Command) {
		return nil, fmt.Errorf("%w: no command in %q", ErrMalformedLine, truncate(line, 80))
	}
	m.Command = strings.ToUpper(m.Command)
	m.Params = parseParams(rest)
	return m, nil
}

// cutWord returns the text up to the first space and the rest with its
// leading spaces removed.
func cutWord(s string) (word, rest string) {
	s = strings.TrimLeft(s, " ")
	word, rest, _ = strings.Cut(s, " ")
	return word, strings.TrimLeft(rest, " ")
}

func parseParams(s string) []string {
	var params []string
	for s != "" {
		if s[0] == ':' {
			return append(params, s[1:])
		}
		var p string
		p, s = cutWord(s)
		params = append(params, p)
	}
	return params
}

func parseTags(s string) map[string]string {
	tags := make(map[string]string)
	for tag := range strings.SplitSeq(s, ";") {
		if tag == "" {
			continue
		}
		key, value, _ := strings.Cut(tag, "=")
		tags[key] = unescapeTagValue(value)
	}
	return tags
}

// unescapeTagValue reverses the IRCv3 tag value escaping: \: is a
// semicolon, \s a space, \r and \n line breaks, \\ a backslash, and a
// backslash before any other character is dropped.
func unescapeTagValue(v string) string {
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '\\' {
			b.WriteByte(v[i])
			continue
		}
		i++
		if i == len(v) {
			break
		}
		switch v[i] {
		case ':':
			b.WriteByte(';')
		case 's':
			b.WriteByte(' ')
		case 'r':
			b.WriteByte('\r')
		case 'n':
			b.WriteByte('\n')
		default:
			b.WriteByte(v[i])
		}
	}
	return b.String()
}

// Nick returns the nick part of a nick!user@host source, or the whole
// source when it is a server name or a bare nick.
func (m *Message) Nick() string {
	nick, _, _ := m.UserHost()
	return nick
}

// UserHost splits the source into nick, user and host. User and host are
// empty when the source is not of the nick!user@host form.
func (m *Message) UserHost() (nick, user, host string) {
	nick, rest, ok := strings.Cut(m.Source, "!")
	if !ok {
		nick, host, _ = strings.Cut(m.Source, "@")
		return nick, "", host
	}
	user, host, _ = strings.Cut(rest, "@")
	return nick, user, host
}

// Param returns the i-th parameter, or "" when there are fewer.
func (m *Message) Param(i int) string {
	if i < 0 || i >= len(m.Params) {
		return ""
	}
	return m.Params[i]
}

// FormatLine builds a line without CR-LF from a command and its
// parameters. Only the last parameter may contain spaces, start with a
// colon or be empty. A parameter containing CR, LF or NUL is rejected
// with an error wrapping ErrInvalidParam, so that text from a user or the
// agent can never inject a second command.
func FormatLine(command string, params ...string) (string, error) {
	return formatLine(false, command, params)
}

// formatTrailing is FormatLine with the last parameter always written as
// a trailing one (":text"), as clients write the text of PRIVMSG, NOTICE,
// USER and QUIT; some servers expect it there.
func formatTrailing(command string, params ...string) (string, error) {
	return formatLine(true, command, params)
}

func formatLine(trailing bool, command string, params []string) (string, error) {
	if !validCommand(command) {
		return "", fmt.Errorf("%w: command %q", ErrInvalidParam, command)
	}
	var b strings.Builder
	b.WriteString(command)
	for i, p := range params {
		if strings.ContainsAny(p, "\r\n\x00") {
			return "", fmt.Errorf("%w: parameter %d of %s contains a line break or NUL",
				ErrInvalidParam, i+1, command)
		}
		last := i == len(params)-1
		needsColon := p == "" || p[0] == ':' || strings.Contains(p, " ")
		if needsColon && !last {
			return "", fmt.Errorf("%w: parameter %d of %s is empty, contains a space "+
				"or starts with a colon but is not the last", ErrInvalidParam, i+1, command)
		}
		b.WriteByte(' ')
		if needsColon || (last && trailing) {
			b.WriteByte(':')
		}
		b.WriteString(p)
	}
	return b.String(), nil
}

// validCommand reports whether s is letters only or a three-digit numeric
// (RFC 2812, section 2.3.1).
func validCommand(s string) bool {
	if s == "" {
		return false
	}
	if len(s) == 3 && isDigit(rune(s[0])) && isDigit(rune(s[1])) && isDigit(rune(s[2])) {
		return true
	}
	for _, r := range s {
		if !isLetter(r) {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
