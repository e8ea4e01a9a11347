package matrix_test

import (
	"strings"
	"testing"

	"github.com/actorgate/actorgate/actors/matrix"
	"github.com/actorgate/actorgate/config"
)

func validSettings() matrix.Settings {
	return matrix.Settings{Matrix: config.MatrixConfig{
		Homeserver:   "https://matrix.example.org",
		UserID:       "@bot:example.org",
		AccessToken:  "syt_Ym90_abcdefghijklmnop_123456",
		AllowedUsers: []string{"@alice:example.org"},
	}}
}

func TestPlatformRejectsUnusableSettings(t *testing.T) {
	cases := []struct {
		name    string
		edit    func(*matrix.Settings)
		code    string
		mention string
	}{
		{
			"no homeserver", func(s *matrix.Settings) { s.Matrix.Homeserver = "" },
			matrix.CodeConfigInvalid, "MATRIX_HOMESERVER",
		},
		{
			"homeserver without scheme", func(s *matrix.Settings) { s.Matrix.Homeserver = "matrix.example.org" },
			matrix.CodeConfigInvalid, "MATRIX_HOMESERVER",
		},
		{"homeserver with credentials", func(s *matrix.Settings) {
			s.Matrix.Homeserver = "https://bot:secret@matrix.example.org"
		}, matrix.CodeConfigInvalid, "MATRIX_HOMESERVER"},
		{
			"homeserver with query", func(s *matrix.Settings) { s.Matrix.Homeserver = "https://m.example.org/?a=b" },
			matrix.CodeConfigInvalid, "MATRIX_HOMESERVER",
		},
		{
			"user id without server", func(s *matrix.Settings) { s.Matrix.UserID = "@bot" },
			matrix.CodeConfigInvalid, "MATRIX_USER_ID",
		},
		{
			"user id without at sign", func(s *matrix.Settings) { s.Matrix.UserID = "bot:example.org" },
			matrix.CodeConfigInvalid, "MATRIX_USER_ID",
		},
		{
			"no credentials", func(s *matrix.Settings) { s.Matrix.AccessToken = "" },
			matrix.CodeConfigInvalid, "MATRIX_PASSWORD",
		},
		{
			"placeholder token", func(s *matrix.Settings) { s.Matrix.AccessToken = "changeme" },
			matrix.CodeTokenInvalid, "MATRIX_ACCESS_TOKEN",
		},
		{"placeholder password", func(s *matrix.Settings) {
			s.Matrix.AccessToken = ""
			s.Matrix.Password = "changeme"
		}, matrix.CodeLoginFailed, "MATRIX_PASSWORD"},
		{"allowlist entry without server", func(s *matrix.Settings) {
			s.Matrix.AllowedUsers = []string{"@alice:example.org", "bob"}
		}, matrix.CodeConfigInvalid, "MATRIX_ALLOWED_USERS"},
		{
			"negative limit", func(s *matrix.Settings) { s.Limit = -1 },
			matrix.CodeConfigInvalid, "limit",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := validSettings()
			tc.edit(&s)
			p := matrix.Platform(s)
			if p.Rejected == nil {
				t.Fatal("settings accepted, want them rejected")
			}
			if p.Rejected.Code != tc.code {
				t.Errorf("code = %q, want %q", p.Rejected.Code, tc.code)
			}
			if p.Rejected.Retryable {
				t.Error("rejection is retryable, want fatal")
			}
			if !strings.Contains(p.Rejected.Message, tc.mention) {
				t.Errorf("message %q does not mention %s", p.Rejected.Message, tc.mention)
			}
			if strings.Contains(p.Rejected.Message, "secret") {
				t.Errorf("message %q shows a credential", p.Rejected.Message)
			}
		})
	}
}

func TestPlatformAcceptsValidSettings(t *testing.T) {
	cases := map[string]func(*matrix.Settings){
		"access token": func(*matrix.Settings) {},
		"password": func(s *matrix.Settings) {
			s.Matrix.AccessToken = ""
			s.Matrix.Password = "correct horse battery staple"
		},
		"no allowlist": func(s *matrix.Settings) { s.Matrix.AllowedUsers = nil },
		"homeserver under a path": func(s *matrix.Settings) {
			s.Matrix.Homeserver = "https://example.org/matrix"
		},
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			s := validSettings()
			edit(&s)
			p := matrix.Platform(s)
			if p.Rejected != nil {
				t.Fatalf("rejected: %v", p.Rejected)
			}
			if p.Name != matrix.Name || !p.UsesSessions || p.NewActor == nil {
				t.Errorf("platform = %+v, want name %s, sessions and an actor", p, matrix.Name)
			}
		})
	}
}

func TestFingerprintFollowsSecrets(t *testing.T) {
	base := matrix.Platform(validSettings()).Fingerprint
	if again := matrix.Platform(validSettings()).Fingerprint; again != base {
		t.Error("same settings gave different fingerprints")
	}
	changed := validSettings()
	changed.Matrix.AccessToken += "x"
	fp := matrix.Platform(changed).Fingerprint
	if fp == base {
		t.Error("a new access token kept the fingerprint; a reload would not apply it")
	}
	if strings.Contains(fp, changed.Matrix.AccessToken) {
		t.Error("fingerprint contains the token")
	}
}
