package config

import (
	"fmt"
	"regexp"
	"strings"
)

// Stable codes of the chat platforms' Enrollment.Code.
const (
	CodeTelegramNotConfigured = "telegram_not_configured"
	CodeTelegramTokenInvalid  = "telegram_token_invalid"
	CodeIRCNotConfigured      = "irc_not_configured"
	CodeIRCConfigInvalid      = "irc_config_invalid"
	CodeMatrixNotConfigured   = "matrix_not_configured"
	CodeMatrixConfigInvalid   = "matrix_config_invalid"
	CodeMatrixTokenInvalid    = "matrix_token_invalid"
	CodeWebhookNotConfigured  = "webhook_not_configured"
	CodeWebhookSecretInvalid  = "webhook_secret_invalid"
)

// reloadHint ends every Fatal reason.
const reloadHint = ", then reload with SIGHUP or restart"

// telegramToken is the shape of a Bot API token: the bot's numeric id, a
// colon, and a secret of letters, digits, - and _ (35 characters in every
// token issued so far; 30 or more are accepted).
var telegramToken = regexp.MustCompile(`^[0-9]{3,20}:[A-Za-z0-9_-]{30,}$`)

// Enrollment decides whether the Telegram platform starts: NotConfigured
// without a token, Fatal for a token that is a placeholder or not shaped
// like a Bot API token, else Enrolled.
func (c TelegramConfig) Enrollment() Enrollment {
	token := strings.TrimSpace(c.Token)
	switch {
	case token == "":
		return Enrollment{
			Status: NotConfigured, Code: CodeTelegramNotConfigured,
			Reason: "Telegram not enrolled: TELEGRAM_BOT_TOKEN is not set; set the token " +
				"from @BotFather in .env or platforms.telegram.token",
		}
	case isPlaceholder(token) || !telegramToken.MatchString(token):
		return Enrollment{
			Status: Fatal, Code: CodeTelegramTokenInvalid,
			Reason: "Telegram bot token is a placeholder or not a Bot API token " +
				"(digits, a colon, then 30 or more letters, digits, - or _); set " +
				"TELEGRAM_BOT_TOKEN or platforms.telegram.token to the token from @BotFather" +
				reloadHint,
		}
	}

	return Enrollment{Status: Enrolled}
}

// AccessWarning returns a warning when nobody may talk to the bot: no
// allowlist and allow_all_users unset. That is not an error: the bot then
// refuses everyone.
func (c TelegramConfig) AccessWarning() string {
	return accessWarning("Telegram", "TELEGRAM", c.AllowedUsers, c.AllowAllUsers)
}

// Enrollment decides whether the IRC platform starts: NotConfigured
// without a server, Fatal when SASL is half configured or the nick is
// missing, else Enrolled.
func (c IRCConfig) Enrollment() Enrollment {
	switch {
	case strings.TrimSpace(c.Server) == "":
		return Enrollment{
			Status: NotConfigured, Code: CodeIRCNotConfigured,
			Reason: "IRC not enrolled: IRC_SERVER is not set; set the server's host name " +
				"in .env or platforms.irc.server",
		}
	case strings.TrimSpace(c.Nick) == "":
		return Enrollment{
			Status: Fatal, Code: CodeIRCConfigInvalid,
			Reason: "IRC nick is empty; set IRC_NICK or platforms.irc.nick" + reloadHint,
		}
	case c.SASLUser != "" && c.SASLPassword == "":
		return Enrollment{
			Status: Fatal, Code: CodeIRCConfigInvalid,
			Reason: "IRC_SASL_USER is set but IRC_SASL_PASSWORD is empty; set both " +
				"(platforms.irc.sasl_user and sasl_password) or neither" + reloadHint,
		}
	case c.SASLUser == "" && c.SASLPassword != "":
		return Enrollment{
			Status: Fatal, Code: CodeIRCConfigInvalid,
			Reason: "IRC_SASL_PASSWORD is set but IRC_SASL_USER is empty; set both " +
				"(platforms.irc.sasl_user and sasl_password) or neither" + reloadHint,
		}
	}

	return Enrollment{Status: Enrolled}
}

// AccessWarning returns a warning when nobody may talk to the bot.
func (c IRCConfig) AccessWarning() string {
	return accessWarning("IRC", "IRC", c.AllowedUsers, c.AllowAllUsers)
}

// Enrollment decides whether the Matrix platform starts: NotConfigured
// without a homeserver, Fatal without a user id or a way to log in, or
// with a placeholder token, else Enrolled.
func (c MatrixConfig) Enrollment() Enrollment {
	switch {
	case strings.TrimSpace(c.Homeserver) == "":
		return Enrollment{
			Status: NotConfigured, Code: CodeMatrixNotConfigured,
			Reason: "Matrix not enrolled: MATRIX_HOMESERVER is not set; set the homeserver " +
				"URL in .env or platforms.matrix.homeserver",
		}
	case strings.TrimSpace(c.UserID) == "":
		return Enrollment{
			Status: Fatal, Code: CodeMatrixConfigInvalid,
			Reason: "Matrix user id is empty; set MATRIX_USER_ID or platforms.matrix.user_id " +
				"to the bot's id, such as @bot:example.org" + reloadHint,
		}
	case c.AccessToken == "" && c.Password == "":
		return Enrollment{
			Status: Fatal, Code: CodeMatrixConfigInvalid,
			Reason: "Matrix has neither an access token nor a password; set " +
				"MATRIX_ACCESS_TOKEN or MATRIX_PASSWORD (platforms.matrix.access_token or " +
				"password)" + reloadHint,
		}
	case c.AccessToken != "" && isPlaceholder(strings.TrimSpace(c.AccessToken)):
		return Enrollment{
			Status: Fatal, Code: CodeMatrixTokenInvalid,
			Reason: "Matrix access token is a placeholder; set MATRIX_ACCESS_TOKEN or " +
				"platforms.matrix.access_token to the bot's token" + reloadHint,
		}
	}

	return Enrollment{Status: Enrolled}
}

// AccessWarning returns a warning when nobody may talk to the bot.
func (c MatrixConfig) AccessWarning() string {
	return accessWarning("Matrix", "MATRIX", c.AllowedUsers, c.AllowAllUsers)
}

// Enrollment decides whether the webhook platform starts: Disabled when
// Enabled is false, NotConfigured without a secret unless Enabled is
// true, Fatal for a missing, short or placeholder secret, else Enrolled.
func (c WebhookConfig) Enrollment() Enrollment {
	secret := strings.TrimSpace(c.Secret)
	switch {
	case c.Enabled != nil && !*c.Enabled:
		return Enrollment{
			Status: Disabled,
			Reason: "webhook disabled by platforms.webhook.enabled: false",
		}
	case secret == "" && c.Enabled == nil:
		return Enrollment{
			Status: NotConfigured, Code: CodeWebhookNotConfigured,
			Reason: "webhook not enrolled: WEBHOOK_SECRET is not set; set a secret of at " +
				fmt.Sprintf("least %d characters in .env or platforms.webhook.secret",
					MinWebhookSecretLength),
		}
	case !UsableSecret(secret, MinWebhookSecretLength):
		problem := "is empty but the webhook is enabled"
		if secret != "" {
			problem = secretProblem(secret, MinWebhookSecretLength)
		}

		return Enrollment{
			Status: Fatal, Code: CodeWebhookSecretInvalid,
			Reason: fmt.Sprintf("webhook secret %s; set WEBHOOK_SECRET or "+
				"platforms.webhook.secret to a random secret of at least %d characters "+
				"(such as the output of openssl rand -hex 32)", problem,
				MinWebhookSecretLength) + reloadHint,
		}
	}

	return Enrollment{Status: Enrolled}
}

func accessWarning(platform, envPrefix string, users []string, all bool) string {
	if all || len(users) > 0 {
		return ""
	}

	return fmt.Sprintf("%s bot refuses every user: %s_ALLOWED_USERS is empty and "+
		"%s_ALLOW_ALL_USERS is not set; list the user ids that may talk to it, or set "+
		"%s_ALLOW_ALL_USERS=true", platform, envPrefix, envPrefix, envPrefix)
}
