package ircconn_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/actorgate/actorgate/actors/irc/ircconn"
)

func TestParseMessage(t *testing.T) {
	tests := []struct {
		name string
		line string
		want ircconn.Message
	}{
		{
			name: "privmsg",
			line: ":alice!~alice@127.0.0.1 PRIVMSG #chan :hello there\r\n",
			want: ircconn.Message{
				Source: "alice!~alice@127.0.0.1", Command: "PRIVMSG",
				Params: []string{"#chan", "hello there"},
			},
		},
		{
			name: "numeric without trailing",
			line: ":irc.test 433 * bot",
			want: ircconn.Message{Source: "irc.test", Command: "433", Params: []string{"*", "bot"}},
		},
		{
			name: "no prefix",
			line: "PING :irc.test",
			want: ircconn.Message{Command: "PING", Params: []string{"irc.test"}},
		},
		{
			name: "lower-case command",
			line: "ping x",
			want: ircconn.Message{Command: "PING", Params: []string{"x"}},
		},
		{
			name: "empty trailing",
			line: ":a!b@c PRIVMSG bot :",
			want: ircconn.Message{Source: "a!b@c", Command: "PRIVMSG", Params: []string{"bot", ""}},
		},
		{
			name: "trailing with colons",
			line: "PRIVMSG bot :: a :b",
			want: ircconn.Message{Command: "PRIVMSG", Params: []string{"bot", ": a :b"}},
		},
		{
			name: "repeated spaces",
			line: ":s  CAP  *   LS  :sasl multi-prefix",
			want: ircconn.Message{Source: "s", Command: "CAP", Params: []string{"*", "LS", "sasl multi-prefix"}},
		},
		{
			name: "tags",
			line: `@time=2026-01-02T03:04:05.000Z;msgid=a\sb\:c\\d;flag :n!u@h PRIVMSG bot :hi`,
			want: ircconn.Message{
				Tags: map[string]string{
					"time": "2026-01-02T03:04:05.000Z", "msgid": `a b;c\d`, "flag": "",
				},
				Source: "n!u@h", Command: "PRIVMSG", Params: []string{"bot", "hi"},
			},
		},
		{
			name: "no params",
			line: "QUIT",
			want: ircconn.Message{Command: "QUIT"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ircconn.ParseMessage(tt.line)
			if err != nil {
				t.Fatalf("ParseMessage(%q): %v", tt.line, err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("ParseMessage(%q)\n got %#v\nwant %#v", tt.line, *got, tt.want)
			}
		})
	}
}

func TestParseMessageRejectsNoCommand(t *testing.T) {
	for _, line := range []string{"", "   ", ":prefix-only", "@a=b", "@a=b :src", " @", "PRIV-MSG x", "4321 x"} {
		if _, err := ircconn.ParseMessage(line); !errors.Is(err, ircconn.ErrMalformedLine) {
			t.Errorf("ParseMessage(%q) error = %v, want ErrMalformedLine", line, err)
		}
	}
}

func TestMessageUserHost(t *testing.T) {
	tests := []struct {
		source, nick, user, host string
	}{
		{"alice!~alice@example.org", "alice", "~alice", "example.org"},
		{"irc.example.org", "irc.example.org", "", ""},
		{"bob@host", "bob", "", "host"},
		{"", "", "", ""},
	}
	for _, tt := range tests {
		m := &ircconn.Message{Source: tt.source}
		nick, user, host := m.UserHost()
		if nick != tt.nick || user != tt.user || host != tt.host {
			t.Errorf("UserHost(%q) = %q, %q, %q; want %q, %q, %q",
				tt.source, nick, user, host, tt.nick, tt.user, tt.host)
		}
		if m.Nick() != tt.nick {
			t.Errorf("Nick(%q) = %q, want %q", tt.source, m.Nick(), tt.nick)
		}
	}
}

func TestFormatLine(t *testing.T) {
	tests := []struct {
		name    string
		command string
		params  []string
		want    string
		wantErr bool
	}{
		{
			name: "trailing with space", command: "PRIVMSG", params: []string{"#c", "hi there"},
			want: "PRIVMSG #c :hi there",
		},
		{name: "plain last", command: "NICK", params: []string{"bot"}, want: "NICK bot"},
		{name: "empty last", command: "PRIVMSG", params: []string{"#c", ""}, want: "PRIVMSG #c :"},
		{name: "colon last", command: "PRIVMSG", params: []string{"#c", ":)"}, want: "PRIVMSG #c ::)"},
		{
			name: "user line", command: "USER", params: []string{"bot", "0", "*", "Real Name"},
			want: "USER bot 0 * :Real Name",
		},
		{name: "line feed", command: "PRIVMSG", params: []string{"#c", "a\nQUIT"}, wantErr: true},
		{name: "carriage return", command: "PRIVMSG", params: []string{"#c", "a\rb"}, wantErr: true},
		{name: "nul", command: "PRIVMSG", params: []string{"#c", "a\x00b"}, wantErr: true},
		{name: "space in middle", command: "PRIVMSG", params: []string{"#c d", "x"}, wantErr: true},
		{name: "empty middle", command: "PRIVMSG", params: []string{"", "x"}, wantErr: true},
		{name: "bad command", command: "PRIV MSG", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ircconn.FormatLine(tt.command, tt.params...)
			if tt.wantErr {
				if !errors.Is(err, ircconn.ErrInvalidParam) {
					t.Fatalf("FormatLine error = %v, want ErrInvalidParam", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("FormatLine = %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzParseMessage(f *testing.F) {
	for _, seed := range []string{
		":alice!~alice@h PRIVMSG #c :hi",
		"@a=b\\s;c :s 001 bot :Welcome",
		"PING :x",
		"CAP * LS * :sasl=PLAIN",
		"::: :::",
		"@",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		m, err := ircconn.ParseMessage(line)
		if err != nil {
			return
		}
		if m.Command == "" {
			t.Fatalf("ParseMessage(%q) returned an empty command", line)
		}
		if strings.ContainsAny(m.Command, " ") {
			t.Fatalf("ParseMessage(%q) returned command %q with a space", line, m.Command)
		}
		// A parsed message whose parameters are valid formats back into a
		// line that parses to the same command and parameters.
		formatted, err := ircconn.FormatLine(m.Command, m.Params...)
		if err != nil {
			return
		}
		again, err := ircconn.ParseMessage(formatted)
		if err != nil {
			t.Fatalf("re-parsing %q: %v", formatted, err)
		}
		if again.Command != m.Command || !reflect.DeepEqual(again.Params, m.Params) {
			t.Fatalf("round trip of %q: got %q %q, want %q %q",
				line, again.Command, again.Params, m.Command, m.Params)
		}
	})
}
