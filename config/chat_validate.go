package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// validateChat checks the chat platforms' and sessions' fields. Like the
// API server's checks, it judges formats and ranges only: tokens and
// secrets are judged by each platform's enrollment, so that a bad token
// stops only that platform.
func (p PlatformsConfig) validateChat(v *validator, home string) {
	p.Telegram.validate(v)
	p.IRC.validate(v)
	p.Matrix.validate(v)
	p.Webhook.validate(v)
	p.Sessions.validate(v)

	if home == "" && p.Sessions.DBPath == "" && p.anyChatEnrolled() {
		v.add("platforms.sessions.db_path", "",
			"is empty and there is no data folder; set a path for the sessions database")
	}
}

// anyChatEnrolled reports whether a chat platform would be enrolled, in
// which case the gateway opens the sessions database.
func (p PlatformsConfig) anyChatEnrolled() bool {
	for _, e := range []Enrollment{
		p.Telegram.Enrollment(), p.IRC.Enrollment(),
		p.Matrix.Enrollment(), p.Webhook.Enrollment(),
	} {
		if e.Status == Enrolled {
			return true
		}
	}

	return false
}

func (c TelegramConfig) validate(v *validator) {
	const prefix = "platforms.telegram."

	if problem := checkHTTPURL(c.BaseURL, "such as "+DefaultTelegramBaseURL); problem != "" {
		v.add(prefix+"base_url", "TELEGRAM_BASE_URL", problem)
	}
	if c.PollTimeout < time.Second || c.PollTimeout > 10*time.Minute {
		v.add(prefix+"poll_timeout", "TELEGRAM_POLL_TIMEOUT", fmt.Sprintf(
			"is %s; set a Go duration from 1s to 10m, such as 30s", c.PollTimeout))
	}
	checkUserList(v, prefix+"allowed_users", "TELEGRAM_ALLOWED_USERS", c.AllowedUsers)
}

func (c IRCConfig) validate(v *validator) {
	const prefix = "platforms.irc."

	if c.Port < 0 || c.Port > 65535 {
		v.add(prefix+"port", "IRC_PORT",
			fmt.Sprintf("%d is not a port number; set 1-65535, or 0 for 6697 (TLS) or 6667", c.Port))
	}
	if strings.ContainsAny(c.Server, " /") {
		v.add(prefix+"server", "IRC_SERVER", fmt.Sprintf(
			"%q is not a host name; set the server's host name only, such as irc.libera.chat, "+
				"and the port in platforms.irc.port", c.Server))
	}
	if c.Server != "" && !validNick(c.Nick) {
		v.add(prefix+"nick", "IRC_NICK", fmt.Sprintf(
			"%q is not a valid nick; use letters, digits and -[]\\`^{}|_, "+
				"starting with a letter or one of []\\`^{}|_, such as %s", c.Nick, DefaultIRCNick))
	}
	for i, ch := range c.Channels {
		if !validChannel(ch) {
			v.add(fmt.Sprintf("%schannels[%d]", prefix, i), "IRC_CHANNELS", fmt.Sprintf(
				"%q is not a channel name; channel names start with # or & and contain no "+
					"spaces or commas, such as #actorgate", ch))
		}
	}
	checkUserList(v, prefix+"allowed_users", "IRC_ALLOWED_USERS", c.AllowedUsers)
}

func (c MatrixConfig) validate(v *validator) {
	const prefix = "platforms.matrix."

	if c.Homeserver != "" {
		if problem := checkHTTPURL(c.Homeserver, "such as https://matrix.example.org"); problem != "" {
			v.add(prefix+"homeserver", "MATRIX_HOMESERVER", problem)
		}
	}
	if c.UserID != "" && !validMatrixUserID(c.UserID) {
		v.add(prefix+"user_id", "MATRIX_USER_ID", fmt.Sprintf(
			"%q is not a Matrix user id; write @localpart:server, such as @bot:example.org",
			c.UserID))
	}
	checkUserList(v, prefix+"allowed_users", "MATRIX_ALLOWED_USERS", c.AllowedUsers)
}

func (c WebhookConfig) validate(v *validator) {
	const prefix = "platforms.webhook."

	if problem := checkHost(c.Host); problem != "" {
		v.add(prefix+"host", "WEBHOOK_HOST", strings.ReplaceAll(problem,
			"platforms.api_server.port", prefix+"port"))
	}
	if c.Port < 1 || c.Port > 65535 {
		v.add(prefix+"port", "WEBHOOK_PORT",
			fmt.Sprintf("%d is not a port number; set 1-65535", c.Port))
	}
	v.positive(prefix+"replay_window", "WEBHOOK_REPLAY_WINDOW", c.ReplayWindow)

	for i, origin := range c.CallbackAllowlist {
		problem := checkOrigin(origin)
		if origin == "*" {
			problem = `"*" would let callers make the gateway post to any host; ` +
				"list each callback origin, such as https://hooks.example.org"
		}
		if problem != "" {
			v.add(fmt.Sprintf("%scallback_allowlist[%d]", prefix, i),
				"WEBHOOK_CALLBACK_ALLOWLIST", problem)
		}
	}
}

func (c SessionsConfig) validate(v *validator) {
	const prefix = "platforms.sessions."

	if c.IdleTimeout < 0 {
		v.add(prefix+"idle_timeout", "SESSION_IDLE_MINUTES", fmt.Sprintf(
			"is %s; set 0 (never) or a positive Go duration such as 24h", c.IdleTimeout))
	}
	if c.ResetHour < SessionResetOff || c.ResetHour > 23 {
		v.add(prefix+"reset_hour", "SESSION_RESET_HOUR", fmt.Sprintf(
			"is %d; set an hour 0-23 (local time), or -1 to turn the daily reset off",
			c.ResetHour))
	}
	if c.HistoryLength < 1 || c.HistoryLength > MaxSessionHistory {
		v.add(prefix+"history_length", "SESSION_HISTORY_LENGTH", fmt.Sprintf(
			"is %d; set 1-%d, such as %d", c.HistoryLength, MaxSessionHistory,
			DefaultSessionHistory))
	}
}

// checkHTTPURL accepts an absolute http or https URL without a query or
// fragment.
func checkHTTPURL(raw, example string) string {
	if raw == "" {
		return "is empty; set an http or https URL, " + example
	}

	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" {
		return fmt.Sprintf("%q is not an absolute http or https URL; set one, %s", raw, example)
	}

	return ""
}

func checkUserList(v *validator, path, env string, users []string) {
	for i, u := range users {
		if strings.TrimSpace(u) == "" || strings.ContainsAny(u, " \t,") {
			v.add(fmt.Sprintf("%s[%d]", path, i), env, fmt.Sprintf(
				"%q is not a user id; list ids without spaces, separated by commas", u))
		}
	}
}

// validNick follows RFC 2812 section 2.3.1, with any length: servers set
// their own limit.
func validNick(nick string) bool {
	if nick == "" {
		return false
	}

	for i, r := range nick {
		special := strings.ContainsRune("[]\\`^{}|_", r)
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		rest := r >= '0' && r <= '9' || r == '-'
		if !letter && !special && (i == 0 || !rest) {
			return false
		}
	}

	return true
}

func validChannel(name string) bool {
	return len(name) > 1 && (name[0] == '#' || name[0] == '&') &&
		!strings.ContainsAny(name, " ,\x07\r\n")
}

func validMatrixUserID(id string) bool {
	local, server, ok := strings.Cut(strings.TrimPrefix(id, "@"), ":")

	return strings.HasPrefix(id, "@") && ok && local != "" && server != ""
}
