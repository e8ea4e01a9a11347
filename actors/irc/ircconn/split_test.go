package ircconn_test

import (
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/actorgate/actorgate/actors/irc/ircconn"
)

func TestSplitText(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		limit int
		want  []string
	}{
		{name: "short", text: "hello", limit: 10, want: []string{"hello"}},
		{name: "exact", text: "0123456789", limit: 10, want: []string{"0123456789"}},
		{name: "empty", text: "", limit: 10, want: nil},
		{
			name: "lines", text: "one\ntwo\r\nthree\rfour", limit: 10,
			want: []string{"one", "two", "three", "four"},
		},
		{name: "blank lines dropped", text: "a\n\n  \nb\n", limit: 10, want: []string{"a", "b"}},
		{
			name: "word boundary", text: "alpha beta gamma delta", limit: 12,
			want: []string{"alpha beta", "gamma delta"},
		},
		{
			name: "spaces collapse at cut", text: "alpha beta    gamma", limit: 12,
			want: []string{"alpha beta", "gamma"},
		},
		{
			name: "long word hard cut", text: "abcdefghijklmnopqrstuvwxyz", limit: 10,
			want: []string{"abcdefghij", "klmnopqrst", "uvwxyz"},
		},
		{
			name: "early space ignored", text: "a bcdefghijklmnop", limit: 10,
			want: []string{"a bcdefghi", "jklmnop"},
		},
		{name: "utf8 boundary", text: "ééééé", limit: 5, want: []string{"éé", "éé", "é"}},
		{name: "four-byte runes", text: "😀😀😀", limit: 7, want: []string{"😀", "😀", "😀"}},
		{
			name: "ctcp and nul removed", text: "\x01ACTION waves\x01 a\x00b", limit: 50,
			want: []string{"ACTION waves ab"},
		},
		{name: "invalid utf8 replaced", text: "a\xffb", limit: 50, want: []string{"a\uFFFDb"}},
		{name: "leading indent kept", text: "  code", limit: 50, want: []string{"  code"}},
		{name: "trailing space trimmed", text: "x   \t", limit: 50, want: []string{"x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ircconn.SplitText(tt.text, tt.limit)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SplitText(%q, %d) = %q, want %q", tt.text, tt.limit, got, tt.want)
			}
		})
	}
}

func FuzzSplitText(f *testing.F) {
	f.Add("hello world, this is a longer sentence", 12)
	f.Add("ééé ééé\nxyz😀", 5)
	f.Add("\x01\x00\r\n  \xff", 4)
	f.Fuzz(func(t *testing.T, text string, limit int) {
		if limit < 4 || limit > 600 {
			return
		}
		parts := ircconn.SplitText(text, limit)
		for _, p := range parts {
			if len(p) > limit {
				t.Fatalf("part %q is %d bytes, limit %d", p, len(p), limit)
			}
			if !utf8.ValidString(p) {
				t.Fatalf("part %q is not valid UTF-8", p)
			}
			if strings.ContainsAny(p, "\r\n\x00\x01") {
				t.Fatalf("part %q contains a line break, NUL or CTCP delimiter", p)
			}
			if strings.TrimSpace(p) == "" {
				t.Fatalf("part %q is blank", p)
			}
		}
		// No text is lost: apart from whitespace, the parts spell the
		// sanitised input.
		clean := strings.Map(func(r rune) rune {
			if r == 0 || r == 1 {
				return -1
			}
			return r
		}, strings.ToValidUTF8(text, "\uFFFD"))
		if got, want := stripSpace(strings.Join(parts, "")), stripSpace(clean); got != want {
			t.Fatalf("parts %q lost text: got %q, want %q", parts, got, want)
		}
	})
}

func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}
