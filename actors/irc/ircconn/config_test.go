package ircconn_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/actorgate/actorgate/actors/irc/ircconn"
)

func TestConfigValidate(t *testing.T) {
	valid := ircconn.Config{Addr: "127.0.0.1:6697", Nick: "actorgate", Channels: []string{"#a", "&b"}}
	tests := []struct {
		name  string
		edit  func(*ircconn.Config)
		field string
	}{
		{name: "valid", edit: func(*ircconn.Config) {}},
		{name: "no port", edit: func(c *ircconn.Config) { c.Addr = "127.0.0.1" }, field: "Addr"},
		{name: "empty nick", edit: func(c *ircconn.Config) { c.Nick = "" }, field: "Nick"},
		{name: "nick digit first", edit: func(c *ircconn.Config) { c.Nick = "1bot" }, field: "Nick"},
		{name: "nick space", edit: func(c *ircconn.Config) { c.Nick = "a b" }, field: "Nick"},
		{
			name: "nick too long", edit: func(c *ircconn.Config) { c.Nick = strings.Repeat("a", 65) },
			field: "Nick",
		},
		{name: "nick specials", edit: func(c *ircconn.Config) { c.Nick = "[bot]`_^{|}-1" }},
		{name: "user space", edit: func(c *ircconn.Config) { c.User = "a b" }, field: "User"},
		{
			name: "real name newline", edit: func(c *ircconn.Config) { c.RealName = "a\nQUIT" },
			field: "RealName",
		},
		{name: "sasl user only", edit: func(c *ircconn.Config) { c.SASLUser = "u" }, field: "SASLUser"},
		{name: "sasl both", edit: func(c *ircconn.Config) { c.SASLUser, c.SASLPassword = "u", "p" }},
		{
			name: "channel no prefix", edit: func(c *ircconn.Config) { c.Channels = []string{"chan"} },
			field: "channel",
		},
		{
			name: "channel comma", edit: func(c *ircconn.Config) { c.Channels = []string{"#a,#b"} },
			field: "channel",
		},
		{
			name: "channel prefix only", edit: func(c *ircconn.Config) { c.Channels = []string{"#"} },
			field: "channel",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.edit(&cfg)
			err := cfg.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, ircconn.ErrInvalidConfig) {
				t.Fatalf("Validate error = %v, want ErrInvalidConfig", err)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Errorf("Validate error %q does not name %s", err, tt.field)
			}
		})
	}
}

func TestFoldName(t *testing.T) {
	tests := []struct {
		a, b, mapping string
		equal         bool
	}{
		{"Bot", "bot", ircconn.CaseMapASCII, true},
		{"bot[1]", "BOT{1}", ircconn.CaseMapRFC1459, true},
		{"bot[1]", "BOT{1}", ircconn.CaseMapASCII, false},
		{"a~", "A^", ircconn.CaseMapRFC1459, true},
		{"a~", "A^", ircconn.CaseMapStrictRFC1459, false},
		{`a\`, "A|", ircconn.CaseMapStrictRFC1459, true},
	}
	for _, tt := range tests {
		if got := ircconn.EqualNames(tt.a, tt.b, tt.mapping); got != tt.equal {
			t.Errorf("EqualNames(%q, %q, %s) = %v, want %v", tt.a, tt.b, tt.mapping, got, tt.equal)
		}
	}
}
