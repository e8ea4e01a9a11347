package ircconn

import "strings"

// Case mappings a server announces with CASEMAPPING in RPL_ISUPPORT (005).
const (
	CaseMapASCII   = "ascii"
	CaseMapRFC1459 = "rfc1459"
	// CaseMapStrictRFC1459 is rfc1459 without the ~ and ^ pair.
	CaseMapStrictRFC1459 = "strict-rfc1459"
)

// FoldName folds a nick or channel name for comparison under the given
// case mapping. Unknown mappings fold as rfc1459, the RFC 2812 default,
// which also folds every pair that ascii folds.
func FoldName(s, mapping string) string {
	lower := strings.ToLower(s)
	if mapping == CaseMapASCII {
		return lower
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '[':
			return '{'
		case ']':
			return '}'
		case '\\':
			return '|'
		case '~':
			if mapping == CaseMapStrictRFC1459 {
				return r
			}
			return '^'
		}
		return r
	}, lower)
}

// EqualNames reports whether two nicks or channel names are the same
// under the case mapping.
func EqualNames(a, b, mapping string) bool {
	return FoldName(a, mapping) == FoldName(b, mapping)
}
