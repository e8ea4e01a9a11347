package config

import (
	"strconv"
	"strings"
	"time"
)

// init adds the chat platforms' variables to envSettings and their
// secrets to secretPaths, so that the loader in env.go and yaml.go treats
// them like the API server's.
func init() {
	envSettings = append(envSettings, chatEnvSettings...)
	for _, path := range chatSecretPaths {
		secretPaths[path] = true
	}
}

// chatSecretPaths are the YAML paths of the chat platforms' secrets.
var chatSecretPaths = []string{
	"platforms.telegram.token",
	"platforms.irc.sasl_password",
	"platforms.matrix.access_token",
	"platforms.matrix.password",
	"platforms.webhook.secret",
}

// chatEnvSettings lists the chat platforms' variables in the order they
// are applied.
var chatEnvSettings = concatSettings(
	telegramEnv, ircEnv, matrixEnv, webhookEnv, sessionsEnv,
)

func concatSettings(groups ...[]envSetting) []envSetting {
	var all []envSetting
	for _, g := range groups {
		all = append(all, g...)
	}

	return all
}

var telegramEnv = []envSetting{
	{"TELEGRAM_BOT_TOKEN", func(c *Config, v string) string {
		c.Platforms.Telegram.Token = v
		return ""
	}},
	{"TELEGRAM_ALLOWED_USERS", func(c *Config, v string) string {
		c.Platforms.Telegram.AllowedUsers = splitList(v)
		return ""
	}},
	{"TELEGRAM_ALLOW_ALL_USERS", func(c *Config, v string) string {
		return parseBoolSetting(v, &c.Platforms.Telegram.AllowAllUsers)
	}},
	{"TELEGRAM_BASE_URL", func(c *Config, v string) string {
		c.Platforms.Telegram.BaseURL = v
		return ""
	}},
	{"TELEGRAM_POLL_TIMEOUT", func(c *Config, v string) string {
		return parseDuration(v, &c.Platforms.Telegram.PollTimeout)
	}},
}

var ircEnv = []envSetting{
	{"IRC_SERVER", func(c *Config, v string) string {
		c.Platforms.IRC.Server = v
		return ""
	}},
	{"IRC_PORT", func(c *Config, v string) string {
		return parsePort(v, &c.Platforms.IRC.Port)
	}},
	{"IRC_TLS", func(c *Config, v string) string {
		return parseBoolSetting(v, &c.Platforms.IRC.TLS)
	}},
	{"IRC_NICK", func(c *Config, v string) string {
		c.Platforms.IRC.Nick = v
		return ""
	}},
	{"IRC_CHANNELS", func(c *Config, v string) string {
		c.Platforms.IRC.Channels = splitList(v)
		return ""
	}},
	{"IRC_SASL_USER", func(c *Config, v string) string {
		c.Platforms.IRC.SASLUser = v
		return ""
	}},
	{"IRC_SASL_PASSWORD", func(c *Config, v string) string {
		c.Platforms.IRC.SASLPassword = v
		return ""
	}},
	{"IRC_ALLOWED_USERS", func(c *Config, v string) string {
		c.Platforms.IRC.AllowedUsers = splitList(v)
		return ""
	}},
	{"IRC_ALLOW_ALL_USERS", func(c *Config, v string) string {
		return parseBoolSetting(v, &c.Platforms.IRC.AllowAllUsers)
	}},
}

var matrixEnv = []envSetting{
	{"MATRIX_HOMESERVER", func(c *Config, v string) string {
		c.Platforms.Matrix.Homeserver = v
		return ""
	}},
	{"MATRIX_USER_ID", func(c *Config, v string) string {
		c.Platforms.Matrix.UserID = v
		return ""
	}},
	{"MATRIX_ACCESS_TOKEN", func(c *Config, v string) string {
		c.Platforms.Matrix.AccessToken = v
		return ""
	}},
	{"MATRIX_PASSWORD", func(c *Config, v string) string {
		c.Platforms.Matrix.Password = v
		return ""
	}},
	{"MATRIX_ALLOWED_USERS", func(c *Config, v string) string {
		c.Platforms.Matrix.AllowedUsers = splitList(v)
		return ""
	}},
	{"MATRIX_ALLOW_ALL_USERS", func(c *Config, v string) string {
		return parseBoolSetting(v, &c.Platforms.Matrix.AllowAllUsers)
	}},
}

var webhookEnv = []envSetting{
	{"WEBHOOK_ENABLED", func(c *Config, v string) string {
		return parseEnabled(v, &c.Platforms.Webhook.Enabled)
	}},
	{"WEBHOOK_HOST", func(c *Config, v string) string {
		c.Platforms.Webhook.Host = v
		return ""
	}},
	{"WEBHOOK_PORT", func(c *Config, v string) string {
		return parsePort(v, &c.Platforms.Webhook.Port)
	}},
	{"WEBHOOK_SECRET", func(c *Config, v string) string {
		c.Platforms.Webhook.Secret = v
		return ""
	}},
	{"WEBHOOK_CALLBACK_ALLOWLIST", func(c *Config, v string) string {
		c.Platforms.Webhook.CallbackAllowlist = splitList(v)
		return ""
	}},
	{"WEBHOOK_REPLAY_WINDOW", func(c *Config, v string) string {
		return parseDuration(v, &c.Platforms.Webhook.ReplayWindow)
	}},
}

var sessionsEnv = []envSetting{
	{"SESSION_IDLE_MINUTES", func(c *Config, v string) string {
		return parseMinutes(v, &c.Platforms.Sessions.IdleTimeout)
	}},
	{"SESSION_RESET_HOUR", func(c *Config, v string) string {
		return parseResetHour(v, &c.Platforms.Sessions.ResetHour)
	}},
	{"SESSION_HISTORY_LENGTH", func(c *Config, v string) string {
		return parseCount(v, &c.Platforms.Sessions.HistoryLength)
	}},
	{"SESSION_GROUP_PER_USER", func(c *Config, v string) string {
		return parseBoolSetting(v, &c.Platforms.Sessions.GroupSessionsPerUser)
	}},
}

func parseBoolSetting(v string, dst *bool) string {
	b, err := parseBool(v)
	if err != nil {
		return "is not a boolean; set true, false, 1, 0, yes or no"
	}
	*dst = b

	return ""
}

// parseEnabled sets an enabled switch from a variable, except when
// config.yaml set it to false: that explicit false wins, as for
// API_SERVER_ENABLED.
func parseEnabled(v string, dst **bool) string {
	var enabled bool
	if problem := parseBoolSetting(v, &enabled); problem != "" {
		return problem
	}
	if *dst != nil && !**dst {
		return ""
	}
	*dst = &enabled

	return ""
}

// parseMinutes reads a whole number of minutes, where 0 disables the idle
// timeout.
func parseMinutes(v string, dst *time.Duration) string {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return "is not a whole number of minutes; set 0 (never) or more, such as 1440"
	}
	*dst = time.Duration(n) * time.Minute

	return ""
}

// parseResetHour reads an hour 0-23, or off, none or -1 to disable the
// daily reset.
func parseResetHour(v string, dst *int) string {
	switch strings.ToLower(v) {
	case "off", "none", "never", "-1":
		*dst = SessionResetOff

		return ""
	}

	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 23 {
		return "is not an hour; set 0-23 (local time), or off"
	}
	*dst = n

	return ""
}
