package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

const (
	testBotToken = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
	testSecret   = "webhook-secret-0123456789"
)

func TestChatDefaults(t *testing.T) {
	c := Default().Platforms
	if c.Telegram.BaseURL != DefaultTelegramBaseURL || c.Telegram.PollTimeout != 30*time.Second {
		t.Errorf("telegram defaults = %+v", c.Telegram)
	}
	if !c.IRC.TLS || c.IRC.Nick != "actorgate" || c.IRC.ResolvedPort() != 6697 {
		t.Errorf("irc defaults = %+v", c.IRC)
	}
	if c.Webhook.Addr() != "127.0.0.1:8644" || c.Webhook.ReplayWindow != 5*time.Minute {
		t.Errorf("webhook defaults = %+v", c.Webhook)
	}
	if !c.Sessions.GroupSessionsPerUser || c.Sessions.HistoryLength != 40 ||
		c.Sessions.IdleTimeout != 24*time.Hour || c.Sessions.ResetHour != 4 {
		t.Errorf("sessions defaults = %+v", c.Sessions)
	}
	if got := (IRCConfig{}).ResolvedPort(); got != 6667 {
		t.Errorf("plain IRC port = %d, want 6667", got)
	}
}

func TestChatEnv(t *testing.T) {
	res := mustRead(t, "", map[string]string{
		"TELEGRAM_BOT_TOKEN":         testBotToken,
		"TELEGRAM_ALLOWED_USERS":     "1, 2,,3",
		"TELEGRAM_ALLOW_ALL_USERS":   "no",
		"TELEGRAM_BASE_URL":          "http://127.0.0.1:9999",
		"IRC_SERVER":                 "irc.example.org",
		"IRC_PORT":                   "6667",
		"IRC_TLS":                    "false",
		"IRC_NICK":                   "gatebot",
		"IRC_CHANNELS":               "#a,#b",
		"IRC_SASL_USER":              "gate",
		"IRC_SASL_PASSWORD":          "pw",
		"IRC_ALLOWED_USERS":          "alice",
		"IRC_ALLOW_ALL_USERS":        "1",
		"MATRIX_HOMESERVER":          "https://matrix.example.org",
		"MATRIX_USER_ID":             "@bot:example.org",
		"MATRIX_ACCESS_TOKEN":        "syt_token",
		"MATRIX_PASSWORD":            "secret-pw",
		"MATRIX_ALLOWED_USERS":       "@alice:example.org",
		"MATRIX_ALLOW_ALL_USERS":     "true",
		"WEBHOOK_ENABLED":            "true",
		"WEBHOOK_HOST":               "0.0.0.0",
		"WEBHOOK_PORT":               "9001",
		"WEBHOOK_SECRET":             testSecret,
		"WEBHOOK_CALLBACK_ALLOWLIST": "https://hooks.example.org",
		"SESSION_IDLE_MINUTES":       "90",
		"SESSION_RESET_HOUR":         "off",
	})
	p := res.Config.Platforms

	if p.Telegram.Token != testBotToken || !slices.Equal(p.Telegram.AllowedUsers, []string{"1", "2", "3"}) ||
		p.Telegram.AllowAllUsers || p.Telegram.BaseURL != "http://127.0.0.1:9999" {
		t.Errorf("telegram = %#v", p.Telegram)
	}
	if p.IRC.Server != "irc.example.org" || p.IRC.Port != 6667 || p.IRC.TLS || p.IRC.Nick != "gatebot" ||
		!slices.Equal(p.IRC.Channels, []string{"#a", "#b"}) || p.IRC.SASLUser != "gate" ||
		p.IRC.SASLPassword != "pw" || !p.IRC.AllowAllUsers || p.IRC.AllowedUsers[0] != "alice" {
		t.Errorf("irc = %#v", p.IRC)
	}
	if p.Matrix.Homeserver != "https://matrix.example.org" || p.Matrix.UserID != "@bot:example.org" ||
		p.Matrix.AccessToken != "syt_token" || p.Matrix.Password != "secret-pw" ||
		!p.Matrix.AllowAllUsers || p.Matrix.AllowedUsers[0] != "@alice:example.org" {
		t.Errorf("matrix = %#v", p.Matrix)
	}
	if p.Webhook.Enabled == nil || !*p.Webhook.Enabled || p.Webhook.Addr() != "0.0.0.0:9001" ||
		p.Webhook.Secret != testSecret || p.Webhook.CallbackAllowlist[0] != "https://hooks.example.org" {
		t.Errorf("webhook = %#v", p.Webhook)
	}
	if p.Sessions.IdleTimeout != 90*time.Minute || p.Sessions.ResetHour != SessionResetOff {
		t.Errorf("sessions = %+v", p.Sessions)
	}
}

func TestChatEnvErrors(t *testing.T) {
	tests := []struct {
		name, value string
		want        []string
	}{
		{"TELEGRAM_ALLOW_ALL_USERS", "maybe", []string{"TELEGRAM_ALLOW_ALL_USERS", "not a boolean"}},
		{"IRC_PORT", "70000", []string{"IRC_PORT", "not a port number"}},
		{"IRC_TLS", "sometimes", []string{"IRC_TLS", "not a boolean"}},
		{"WEBHOOK_PORT", "http", []string{"WEBHOOK_PORT", "not a port number"}},
		{"WEBHOOK_ENABLED", "y", []string{"WEBHOOK_ENABLED"}},
		{"SESSION_IDLE_MINUTES", "1h", []string{"SESSION_IDLE_MINUTES", "minutes"}},
		{"SESSION_IDLE_MINUTES", "-5", []string{"SESSION_IDLE_MINUTES"}},
		{"SESSION_RESET_HOUR", "24", []string{"SESSION_RESET_HOUR", "0-23"}},
		{"TELEGRAM_POLL_TIMEOUT", "30", []string{"TELEGRAM_POLL_TIMEOUT", "has no unit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			_, err := Read("", envOf(map[string]string{tt.name: tt.value}))
			requireErrorContains(t, err, tt.want...)
			if !errors.Is(err, ErrEnvValue) {
				t.Errorf("err = %v, want ErrEnvValue", err)
			}
		})
	}
}

func TestChatYAML(t *testing.T) {
	home := writeHome(t, map[string]string{ConfigFileName: `platforms:
  telegram:
    token: "` + testBotToken + `"
    allowed_users: [1, 2]
    poll_timeout: 45s
  webhook:
    enabled: false
    secret: ` + testSecret + `
  sessions:
    reset_hour: 6
    group_sessions_per_user: false
    history_lenght: 3
`})
	res := mustRead(t, home, map[string]string{"WEBHOOK_ENABLED": "true"})
	p := res.Config.Platforms

	if p.Telegram.PollTimeout != 45*time.Second || len(p.Telegram.AllowedUsers) != 2 {
		t.Errorf("telegram = %#v", p.Telegram)
	}
	if p.Webhook.Enabled == nil || *p.Webhook.Enabled {
		t.Error("WEBHOOK_ENABLED=true overrode an explicit enabled: false")
	}
	if p.Sessions.ResetHour != 6 || p.Sessions.GroupSessionsPerUser {
		t.Errorf("sessions = %+v", p.Sessions)
	}
	if len(res.Warnings) != 1 || res.Warnings[0].Suggestion != "history_length" {
		t.Errorf("warnings = %v, want one suggesting history_length", res.Warnings)
	}
}

func TestChatValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(p *PlatformsConfig)
		parts  []string
	}{
		{
			"telegram base url", func(p *PlatformsConfig) { p.Telegram.BaseURL = "api.telegram.org" },
			[]string{"platforms.telegram.base_url (TELEGRAM_BASE_URL)", "absolute http or https"},
		},
		{
			"poll timeout", func(p *PlatformsConfig) { p.Telegram.PollTimeout = time.Hour },
			[]string{"platforms.telegram.poll_timeout", "1s to 10m"},
		},
		{
			"allowed user with space", func(p *PlatformsConfig) { p.Telegram.AllowedUsers = []string{"a b"} },
			[]string{"platforms.telegram.allowed_users[0]"},
		},
		{"irc nick", func(p *PlatformsConfig) {
			p.IRC.Server = "irc.example.org"
			p.IRC.Nick = "9lives"
		}, []string{"platforms.irc.nick (IRC_NICK)", "not a valid nick"}},
		{
			"irc channel", func(p *PlatformsConfig) { p.IRC.Channels = []string{"general"} },
			[]string{"platforms.irc.channels[0]", "start with # or &"},
		},
		{
			"irc server url", func(p *PlatformsConfig) { p.IRC.Server = "ircs://irc.example.org/" },
			[]string{"platforms.irc.server"},
		},
		{
			"matrix homeserver", func(p *PlatformsConfig) { p.Matrix.Homeserver = "matrix.org" },
			[]string{"platforms.matrix.homeserver"},
		},
		{
			"matrix user id", func(p *PlatformsConfig) { p.Matrix.UserID = "bot" },
			[]string{"platforms.matrix.user_id", "@localpart:server"},
		},
		{
			"webhook port", func(p *PlatformsConfig) { p.Webhook.Port = 0 },
			[]string{"platforms.webhook.port (WEBHOOK_PORT)"},
		},
		{
			"webhook host", func(p *PlatformsConfig) { p.Webhook.Host = "127.0.0.1:80" },
			[]string{"platforms.webhook.host", "platforms.webhook.port"},
		},
		{
			"callback star", func(p *PlatformsConfig) { p.Webhook.CallbackAllowlist = []string{"*"} },
			[]string{"platforms.webhook.callback_allowlist[0]", "any host"},
		},
		{"callback path", func(p *PlatformsConfig) {
			p.Webhook.CallbackAllowlist = []string{"https://hooks.example.org/x"}
		}, []string{"callback_allowlist[0]", "has a path"}},
		{
			"replay window", func(p *PlatformsConfig) { p.Webhook.ReplayWindow = 0 },
			[]string{"platforms.webhook.replay_window"},
		},
		{
			"reset hour", func(p *PlatformsConfig) { p.Sessions.ResetHour = 24 },
			[]string{"platforms.sessions.reset_hour (SESSION_RESET_HOUR)"},
		},
		{
			"history", func(p *PlatformsConfig) { p.Sessions.HistoryLength = 0 },
			[]string{"platforms.sessions.history_length", "set 1-1000"},
		},
		{
			"idle", func(p *PlatformsConfig) { p.Sessions.IdleTimeout = -time.Second },
			[]string{"platforms.sessions.idle_timeout"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Default()
			cfg.Home = t.TempDir()
			tt.mutate(&cfg.Platforms)
			err := cfg.Validate()
			requireErrorContains(t, err, tt.parts...)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestChatValidateSessionsPath(t *testing.T) {
	cfg := Default()
	cfg.Platforms.Webhook.Secret = testSecret
	err := cfg.Validate()
	requireErrorContains(t, err, "platforms.sessions.db_path", "no data folder")

	cfg.Platforms.Sessions.DBPath = "/var/lib/gate/sessions.db"
	if err := cfg.Validate(); err != nil {
		t.Errorf("with a db_path: %v", err)
	}
}

func TestChatEnrollment(t *testing.T) {
	enabled, disabled := boolPtr(true), boolPtr(false)
	tests := []struct {
		name   string
		got    Enrollment
		status EnrollStatus
		code   string
	}{
		{"telegram missing", TelegramConfig{}.Enrollment(), NotConfigured, CodeTelegramNotConfigured},
		{
			"telegram placeholder", TelegramConfig{Token: "changeme"}.Enrollment(), Fatal,
			CodeTelegramTokenInvalid,
		},
		{
			"telegram malformed", TelegramConfig{Token: "12345"}.Enrollment(), Fatal,
			CodeTelegramTokenInvalid,
		},
		{"telegram ok", TelegramConfig{Token: testBotToken}.Enrollment(), Enrolled, ""},
		{"irc missing", IRCConfig{}.Enrollment(), NotConfigured, CodeIRCNotConfigured},
		{"irc no nick", IRCConfig{Server: "s"}.Enrollment(), Fatal, CodeIRCConfigInvalid},
		{
			"irc half sasl", IRCConfig{Server: "s", Nick: "n", SASLUser: "u"}.Enrollment(), Fatal,
			CodeIRCConfigInvalid,
		},
		{
			"irc password only", IRCConfig{Server: "s", Nick: "n", SASLPassword: "p"}.Enrollment(), Fatal,
			CodeIRCConfigInvalid,
		},
		{"irc ok", IRCConfig{Server: "s", Nick: "n"}.Enrollment(), Enrolled, ""},
		{"matrix missing", MatrixConfig{}.Enrollment(), NotConfigured, CodeMatrixNotConfigured},
		{"matrix no user", MatrixConfig{Homeserver: "h"}.Enrollment(), Fatal, CodeMatrixConfigInvalid},
		{
			"matrix no login", MatrixConfig{Homeserver: "h", UserID: "@b:h"}.Enrollment(), Fatal,
			CodeMatrixConfigInvalid,
		},
		{
			"matrix placeholder", MatrixConfig{Homeserver: "h", UserID: "@b:h", AccessToken: "***"}.Enrollment(),
			Fatal, CodeMatrixTokenInvalid,
		},
		{
			"matrix password", MatrixConfig{Homeserver: "h", UserID: "@b:h", Password: "p"}.Enrollment(),
			Enrolled, "",
		},
		{"webhook missing", WebhookConfig{}.Enrollment(), NotConfigured, CodeWebhookNotConfigured},
		{
			"webhook disabled", WebhookConfig{Enabled: disabled, Secret: testSecret}.Enrollment(),
			Disabled, "",
		},
		{
			"webhook enabled without secret", WebhookConfig{Enabled: enabled}.Enrollment(), Fatal,
			CodeWebhookSecretInvalid,
		},
		{
			"webhook short secret", WebhookConfig{Secret: "short"}.Enrollment(), Fatal,
			CodeWebhookSecretInvalid,
		},
		{"webhook ok", WebhookConfig{Secret: testSecret}.Enrollment(), Enrolled, ""},
	}
	for _, tt := range tests {
		if tt.got.Status != tt.status || tt.got.Code != tt.code {
			t.Errorf("%s: %v %q, want %v %q (%s)", tt.name, tt.got.Status, tt.got.Code,
				tt.status, tt.code, tt.got.Reason)
		}
		if tt.status == Fatal && !strings.Contains(tt.got.Reason, "SIGHUP") {
			t.Errorf("%s: reason %q does not say how to apply the fix", tt.name, tt.got.Reason)
		}
	}
}

func TestChatAccessWarning(t *testing.T) {
	if w := (TelegramConfig{}).AccessWarning(); !strings.Contains(w, "TELEGRAM_ALLOWED_USERS") {
		t.Errorf("warning = %q", w)
	}
	if w := (TelegramConfig{AllowAllUsers: true}).AccessWarning(); w != "" {
		t.Errorf("allow all: warning %q", w)
	}
	if w := (IRCConfig{AllowedUsers: []string{"a"}}).AccessWarning(); w != "" {
		t.Errorf("with an allowlist: warning %q", w)
	}
}

func TestChatSecretsRedacted(t *testing.T) {
	cfg := Default()
	cfg.Platforms.Telegram.Token = testBotToken
	cfg.Platforms.IRC.SASLPassword = "irc-password-value"
	cfg.Platforms.Matrix.AccessToken = "matrix-token-value"
	cfg.Platforms.Matrix.Password = "matrix-password-value"
	cfg.Platforms.Webhook.Secret = testSecret
	secrets := []string{
		testBotToken, "irc-password-value", "matrix-token-value",
		"matrix-password-value", testSecret,
	}

	jsonOut, err := json.Marshal(cfg.Platforms)
	if err != nil {
		t.Fatal(err)
	}
	yamlOut, err := yaml.Marshal(cfg.Platforms)
	if err != nil {
		t.Fatal(err)
	}
	redacted := cfg.Redacted().Platforms
	outputs := map[string]string{
		"%v": fmt.Sprintf("%v", cfg.Platforms), "%+v": fmt.Sprintf("%+v", cfg.Platforms),
		"%#v": fmt.Sprintf("%#v", cfg.Platforms), "%s": fmt.Sprintf("%s", cfg.Platforms.Telegram),
		"json": string(jsonOut), "yaml": string(yamlOut),
		"Redacted": redacted.Telegram.Token + redacted.IRC.SASLPassword + redacted.Matrix.AccessToken +
			redacted.Matrix.Password + redacted.Webhook.Secret,
	}
	for name, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s output contains a secret: %s", name, out)
			}
		}
	}
	if cfg.Platforms.Telegram.Token != testBotToken {
		t.Error("Redacted changed the original")
	}
}

func TestChatSecretNotQuotedInYAMLError(t *testing.T) {
	home := writeHome(t, map[string]string{ConfigFileName: "platforms:\n  webhook:\n    secret: [a]\n"})
	_, err := Read(home, nil)
	requireErrorContains(t, err, "platforms.webhook.secret")
}
