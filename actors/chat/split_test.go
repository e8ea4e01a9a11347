package chat

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/actorgate/actorgate/messages"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		limit int
		unit  Unit
		want  []string
	}{
		{"fits", "hello world", 20, Runes, []string{"hello world"}},
		{"empty", "  \n ", 5, Runes, nil},
		{"no limit", "abc def", 0, Runes, []string{"abc def"}},
		{
			"sentences", "One two. Three four. Five six.", 20, Runes,
			[]string{"One two. Three four.", "Five six."},
		},
		{
			"line before sentence", "aaaa. bbbb\ncccc dddd", 15, Runes,
			[]string{"aaaa. bbbb", "cccc dddd"},
		},
		{
			"paragraph", "first para here\n\nsecond para", 20, Runes,
			[]string{"first para here", "second para"},
		},
		{
			"long sentence at spaces", "one two three four five", 10, Runes,
			[]string{"one two", "three four", "five"},
		},
		{"one long word", "abcdefghij", 4, Runes, []string{"abcd", "efgh", "ij"}},
		{"utf16 emoji count twice", "😀😀😀", 4, UTF16, []string{"😀😀", "😀"}},
		{"bytes never cut a rune", "ééé", 3, Bytes, []string{"é", "é", "é"}},
		{"wide sentence end", "你好。再见。", 3, Runes, []string{"你好。", "再见。"}},
		{"question marks", "Why? Because! Yes.", 10, Runes, []string{"Why?", "Because!", "Yes."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Split(tt.text, tt.limit, tt.unit)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Errorf("Split(%q, %d) = %q, want %q", tt.text, tt.limit, got, tt.want)
			}
		})
	}
}

// TestSplitProperties checks on random text that every part fits, is
// valid UTF-8, and that no character is lost or added.
func TestSplitProperties(t *testing.T) {
	words := []string{"a", "word", "longerword", "é", "😀", "你好", ".", "!", "\n", "\n\n", " ", "x."}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		var b strings.Builder
		for range rng.IntN(80) {
			b.WriteString(words[rng.IntN(len(words))])
			if rng.IntN(2) == 0 {
				b.WriteByte(' ')
			}
		}
		text := b.String()
		unit := Unit(i % 3)
		limit := 2 + rng.IntN(30)
		parts := Split(text, limit, unit)
		for _, p := range parts {
			// A single character longer than the limit cannot be cut.
			if unit.Len(p) > limit && utf8.RuneCountInString(p) > 1 {
				t.Fatalf("part %q of %q is %d long, limit %d (unit %d)", p, text, unit.Len(p), limit, unit)
			}
			if !utf8.ValidString(p) {
				t.Fatalf("part %q is not valid UTF-8", p)
			}
			if p == "" {
				t.Fatalf("empty part from %q", text)
			}
		}
		if strip(strings.Join(parts, "")) != strip(text) {
			t.Fatalf("Split(%q) lost or added text: %q", text, parts)
		}
	}
}

func strip(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

func TestUnitLen(t *testing.T) {
	s := "aé😀"
	if n := Runes.Len(s); n != 3 {
		t.Errorf("Runes.Len = %d, want 3", n)
	}
	if n := Bytes.Len(s); n != 7 {
		t.Errorf("Bytes.Len = %d, want 7", n)
	}
	if n := UTF16.Len(s); n != 4 {
		t.Errorf("UTF16.Len = %d, want 4", n)
	}
}

func TestSessionKey(t *testing.T) {
	base := messages.InboundMessage{Platform: "telegram", ChatID: "-100", UserID: "42"}
	tests := []struct {
		name    string
		mutate  func(m *messages.InboundMessage)
		perUser bool
		want    string
	}{
		{
			"dm", func(m *messages.InboundMessage) { m.ChatType = messages.ChatDM }, true,
			"agent:main:telegram:dm:-100",
		},
		{
			"group per user", func(m *messages.InboundMessage) { m.ChatType = messages.ChatGroup }, true,
			"agent:main:telegram:group:-100::42",
		},
		{
			"group shared", func(m *messages.InboundMessage) { m.ChatType = messages.ChatGroup }, false,
			"agent:main:telegram:group:-100",
		},
		{"thread", func(m *messages.InboundMessage) {
			m.ChatType = messages.ChatGroup
			m.ThreadID = "7"
		}, false, "agent:main:telegram:group:-100:7"},
		{"thread per user", func(m *messages.InboundMessage) {
			m.ChatType = messages.ChatGroup
			m.ThreadID = "7"
		}, true, "agent:main:telegram:group:-100:7:42"},
		{"colons escaped", func(m *messages.InboundMessage) {
			m.Platform = "matrix"
			m.ChatType = messages.ChatGroup
			m.ChatID = "!room:example.org"
			m.UserID = "@u:example.org"
		}, true, "agent:main:matrix:group:!room%3Aexample.org::@u%3Aexample.org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := base
			tt.mutate(&m)
			if got := SessionKey(m, tt.perUser); got != tt.want {
				t.Errorf("SessionKey = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		text, bot string
		want      Command
	}{
		{"/new", "mybot", ResetCommand},
		{"/reset please", "mybot", ResetCommand},
		{"  /NEW\nmore", "mybot", ResetCommand},
		{"/new@MyBot", "mybot", ResetCommand},
		{"/new@mybot", "@mybot", ResetCommand},
		{"/new@otherbot", "mybot", OtherBotCommand},
		{"/new@anybot", "", ResetCommand},
		{"/newer", "mybot", NoCommand},
		{"/start", "mybot", NoCommand},
		{"new", "mybot", NoCommand},
		{"tell me /new", "mybot", NoCommand},
	}
	for _, tt := range tests {
		if got := ParseCommand(tt.text, tt.bot); got != tt.want {
			t.Errorf("ParseCommand(%q, %q) = %v, want %v", tt.text, tt.bot, got, tt.want)
		}
	}
}

func TestAccess(t *testing.T) {
	tests := []struct {
		name   string
		access Access
		user   string
		want   bool
	}{
		{"zero denies", Access{}, "1", false},
		{"listed", Access{Users: []string{"1", " 2 "}}, "2", true},
		{"not listed", Access{Users: []string{"1"}}, "3", false},
		{"empty user", Access{Users: []string{""}}, "", false},
		{"allow all", Access{AllowAll: true}, "anyone", true},
	}
	for _, tt := range tests {
		if got := tt.access.Allowed(tt.user); got != tt.want {
			t.Errorf("%s: Allowed(%q) = %v, want %v", tt.name, tt.user, got, tt.want)
		}
	}
}
