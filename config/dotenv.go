package config

import (
	"fmt"
	"strings"
)

// parseDotEnv parses the text of a .env file into a map of variables.
//
// Each statement is NAME=VALUE, optionally preceded by "export ". Blank
// lines and lines starting with # are skipped. An unquoted value ends at
// the line end or at a # preceded by white space, and is trimmed. A value
// in single quotes is taken literally. A value in double quotes may use
// the escapes \n, \r, \t, \" and \\. Quoted values may span lines. Values
// are never expanded: $NAME stays as written. A later line wins over an
// earlier one with the same name.
//
// Errors name the line but never quote its text, because a malformed line
// may contain a secret.
func parseDotEnv(text string) (map[string]string, error) {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	vars := make(map[string]string)

	for i := 0; i < len(lines); i++ {
		lineNo := i + 1

		stmt := strings.TrimLeft(lines[i], " \t")
		if stmt == "" || stmt[0] == '#' {
			continue
		}

		name, rest, err := splitAssignment(stmt)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", lineNo, err)
		}

		value, used, err := parseValue(rest, lines[i+1:])
		if err != nil {
			return nil, fmt.Errorf("line %d: %s %w", lineNo, name, err)
		}

		vars[name] = value
		i += used
	}

	return vars, nil
}

// splitAssignment splits "export NAME = rest" into NAME and rest.
func splitAssignment(stmt string) (string, string, error) {
	if after, ok := strings.CutPrefix(stmt, "export"); ok &&
		after != "" && (after[0] == ' ' || after[0] == '\t') {
		stmt = strings.TrimLeft(after, " \t")
	}

	end := 0
	for end < len(stmt) && isNameByte(stmt[end], end == 0) {
		end++
	}

	name := stmt[:end]
	rest := strings.TrimLeft(stmt[end:], " \t")

	if name == "" || !strings.HasPrefix(rest, "=") {
		return "", "", fmt.Errorf("expected NAME=VALUE, where NAME is letters, " +
			"digits and underscores")
	}

	return name, strings.TrimLeft(rest[1:], " \t"), nil
}

func isNameByte(b byte, first bool) bool {
	switch {
	case b == '_', b >= 'A' && b <= 'Z', b >= 'a' && b <= 'z':
		return true
	case b >= '0' && b <= '9', b == '.':
		return !first
	}

	return false
}

// parseValue parses the value that starts rest. A quoted value may go on
// into the following lines; used is how many of them it took.
func parseValue(rest string, following []string) (value string, used int, err error) {
	if rest == "" {
		return "", 0, nil
	}

	switch rest[0] {
	case '\'', '"':
		return parseQuoted(rest, following)
	}

	if i := commentStart(rest); i >= 0 {
		rest = rest[:i]
	}

	return strings.TrimRight(rest, " \t"), 0, nil
}

// commentStart returns the index of a # that follows white space, or -1.
func commentStart(s string) int {
	for i := 1; i < len(s); i++ {
		if s[i] == '#' && (s[i-1] == ' ' || s[i-1] == '\t') {
			return i
		}
	}

	return -1
}

func parseQuoted(rest string, following []string) (string, int, error) {
	quote := rest[0]
	text := rest[1:]
	var value strings.Builder

	for used := 0; ; used++ {
		end, ok := scanQuoted(text, quote, &value)
		if ok {
			if !onlyComment(text[end+1:]) {
				return "", 0, fmt.Errorf("has text after its closing quote; " +
					"quote the whole value or start a comment with #")
			}

			return value.String(), used, nil
		}

		if used == len(following) {
			return "", 0, fmt.Errorf("has no closing %c quote", quote)
		}

		value.WriteByte('\n')
		text = following[used]
	}
}

// scanQuoted appends text up to the closing quote to value and returns the
// quote's index; ok is false when the line has no closing quote.
func scanQuoted(text string, quote byte, value *strings.Builder) (end int, ok bool) {
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == quote:
			return i, true
		case c == '\\' && quote == '"' && i+1 < len(text):
			i++
			value.WriteString(unescape(text[i]))
		default:
			value.WriteByte(c)
		}
	}

	return 0, false
}

func unescape(c byte) string {
	switch c {
	case 'n':
		return "\n"
	case 'r':
		return "\r"
	case 't':
		return "\t"
	case '"', '\\':
		return string(c)
	}

	return "\\" + string(c)
}

func onlyComment(s string) bool {
	s = strings.TrimLeft(s, " \t")

	return s == "" || s[0] == '#'
}
