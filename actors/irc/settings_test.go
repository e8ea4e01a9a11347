package irc_test

import (
	"strings"
	"testing"

	"github.com/actorgate/actorgate/actors/irc"
	"github.com/actorgate/actorgate/config"
)

func validSettings() irc.Settings {
	cfg := config.Default().Platforms.IRC
	cfg.Server = "irc.example.org"
	cfg.Channels = []string{"#actorgate"}
	return irc.Settings{IRC: cfg, Sessions: config.Default().Platforms.Sessions}
}

func TestPlatformRejectsInvalidSettings(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*irc.Settings)
		mention string
	}{
		{name: "no server", edit: func(s *irc.Settings) { s.IRC.Server = "" }, mention: "IRC_SERVER"},
		{
			name: "url as server", edit: func(s *irc.Settings) { s.IRC.Server = "ircs://irc.example.org" },
			mention: "IRC_SERVER",
		},
		{name: "empty nick", edit: func(s *irc.Settings) { s.IRC.Nick = " " }, mention: "IRC_NICK"},
		{name: "bad nick", edit: func(s *irc.Settings) { s.IRC.Nick = "9lives" }, mention: "IRC_NICK"},
		{name: "bad port", edit: func(s *irc.Settings) { s.IRC.Port = 70000 }, mention: "IRC_PORT"},
		{
			name: "bad channel", edit: func(s *irc.Settings) { s.IRC.Channels = []string{"actorgate"} },
			mention: "IRC_CHANNELS",
		},
		{
			name: "half sasl", edit: func(s *irc.Settings) { s.IRC.SASLUser = "bot" },
			mention: "IRC_SASL_PASSWORD",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validSettings()
			tt.edit(&s)
			p := irc.Platform(s)
			if p.Rejected == nil {
				t.Fatal("Platform accepted invalid settings")
			}
			if p.Rejected.Code != irc.CodeConfigInvalid || p.Rejected.Retryable {
				t.Errorf("Rejected = %s (retryable %v), want fatal %s",
					p.Rejected.Code, p.Rejected.Retryable, irc.CodeConfigInvalid)
			}
			if !strings.Contains(p.Rejected.Message, tt.mention) {
				t.Errorf("message %q does not name %s", p.Rejected.Message, tt.mention)
			}
			if !strings.Contains(p.Rejected.Message, "SIGHUP") {
				t.Errorf("message %q does not say how to apply a fix", p.Rejected.Message)
			}
		})
	}
}

func TestPlatformDescribesChatPlatform(t *testing.T) {
	p := irc.Platform(validSettings())
	if p.Rejected != nil {
		t.Fatalf("valid settings rejected: %v", p.Rejected)
	}
	if p.Name != irc.Name || !p.UsesSessions || p.NewActor == nil {
		t.Errorf("Platform = %+v, want name irc, sessions and an actor", p)
	}
}

func TestFingerprintTracksSettings(t *testing.T) {
	base := irc.Platform(validSettings()).Fingerprint
	if again := irc.Platform(validSettings()).Fingerprint; again != base {
		t.Fatal("the same settings give different fingerprints")
	}
	edits := map[string]func(*irc.Settings){
		"password": func(s *irc.Settings) { s.IRC.SASLUser, s.IRC.SASLPassword = "u", "other" },
		"channels": func(s *irc.Settings) { s.IRC.Channels = []string{"#other"} },
		"sessions": func(s *irc.Settings) { s.Sessions.HistoryLength = 3 },
		"tuning":   func(s *irc.Settings) { s.Conn.FloodBurst = 9 },
	}
	for name, edit := range edits {
		s := validSettings()
		edit(&s)
		fp := irc.Platform(s).Fingerprint
		if fp == base {
			t.Errorf("changing the %s keeps the fingerprint", name)
		}
		if strings.Contains(fp, "other") {
			t.Errorf("fingerprint %q shows a setting", fp)
		}
	}
}
