package config

import (
	"net"
	"path/filepath"
	"strconv"
	"time"
)

// Defaults of the chat platforms and their sessions.
const (
	// DefaultTelegramBaseURL is the Bot API server. Tests point
	// platforms.telegram.base_url at a local fake instead.
	DefaultTelegramBaseURL     = "https://api.telegram.org"
	DefaultTelegramPollTimeout = 30 * time.Second
	DefaultIRCNick             = "actorgate"
	DefaultIRCPortTLS          = 6697
	DefaultIRCPortPlain        = 6667
	DefaultWebhookHost         = "127.0.0.1"
	DefaultWebhookPort         = 8644
	DefaultWebhookReplayWindow = 5 * time.Minute
	MinWebhookSecretLength     = 16
	DefaultSessionIdleTimeout  = 24 * time.Hour
	DefaultSessionResetHour    = 4
	DefaultSessionHistory      = 40
	// MaxSessionHistory bounds history_length, because every turn of the
	// history is sent to the agent with each message.
	MaxSessionHistory = 1000
	// SessionResetOff disables the daily reset when set as reset_hour.
	SessionResetOff = -1
	SessionsDB      = "sessions.db"
)

// TelegramConfig configures the Telegram platform (Bot API long polling).
type TelegramConfig struct {
	// Token is the bot token that @BotFather issued, such as
	// 123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11.
	Token string `yaml:"token"`
	// AllowedUsers lists the numeric user ids that may talk to the bot.
	AllowedUsers []string `yaml:"allowed_users"`
	// AllowAllUsers lets everyone talk to the bot; AllowedUsers is then
	// not consulted.
	AllowAllUsers bool `yaml:"allow_all_users"`
	// BaseURL is the Bot API server, without the /bot<token> part.
	BaseURL string `yaml:"base_url"`
	// PollTimeout is how long one getUpdates call waits for an update.
	PollTimeout time.Duration `yaml:"poll_timeout"`
}

// IRCConfig configures the IRC platform.
type IRCConfig struct {
	Server string `yaml:"server"`
	// Port is the server's port; zero means 6697 with TLS and 6667
	// without.
	Port int    `yaml:"port"`
	TLS  bool   `yaml:"tls"`
	Nick string `yaml:"nick"`
	// Channels are joined after registration, such as #actorgate.
	Channels []string `yaml:"channels"`
	// SASLUser and SASLPassword log in with SASL PLAIN when SASLUser is
	// set.
	SASLUser     string `yaml:"sasl_user"`
	SASLPassword string `yaml:"sasl_password"`
	// AllowedUsers lists the nicks that may talk to the bot.
	AllowedUsers  []string `yaml:"allowed_users"`
	AllowAllUsers bool     `yaml:"allow_all_users"`
}

// MatrixConfig configures the Matrix platform.
type MatrixConfig struct {
	// Homeserver is the client-server API base URL, such as
	// https://matrix.example.org.
	Homeserver string `yaml:"homeserver"`
	// UserID is the bot's full user id, such as @bot:example.org.
	UserID string `yaml:"user_id"`
	// AccessToken logs in directly; without it Password is used to log in.
	AccessToken string `yaml:"access_token"`
	Password    string `yaml:"password"`
	// AllowedUsers lists the full user ids that may talk to the bot and
	// invite it to rooms.
	AllowedUsers  []string `yaml:"allowed_users"`
	AllowAllUsers bool     `yaml:"allow_all_users"`
}

// WebhookConfig configures the signed HTTP webhook platform.
type WebhookConfig struct {
	// Enabled, when set, wins over the other settings: false keeps the
	// platform off even with a secret in the environment.
	Enabled *bool  `yaml:"enabled"`
	Host    string `yaml:"host"`
	Port    int    `yaml:"port"`
	// Secret is the HMAC-SHA256 key that signs requests and callbacks; at
	// least 16 characters and not a placeholder.
	Secret string `yaml:"secret"`
	// CallbackAllowlist lists the origins (scheme://host[:port]) that a
	// request's callback_url may point at.
	CallbackAllowlist []string `yaml:"callback_allowlist"`
	// ReplayWindow is how far a request's timestamp may be from the
	// gateway's clock, and how long a used signature is remembered.
	ReplayWindow time.Duration `yaml:"replay_window"`
}

// SessionsConfig sets how chat conversations are kept.
type SessionsConfig struct {
	// IdleTimeout starts a fresh session after this much silence; zero
	// keeps sessions however long they are idle.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// ResetHour (0-23, local time) starts a fresh session for every
	// conversation last used before the most recent such hour;
	// SessionResetOff (-1) disables the daily reset.
	ResetHour int `yaml:"reset_hour"`
	// HistoryLength is how many recent turns are sent to the agent with
	// each message.
	HistoryLength int `yaml:"history_length"`
	// GroupSessionsPerUser keeps one session per user in group chats
	// instead of one per group.
	GroupSessionsPerUser bool `yaml:"group_sessions_per_user"`
	// DBPath is the sessions database; empty means Home/sessions.db.
	DBPath string `yaml:"db_path"`
}

func defaultTelegram() TelegramConfig {
	return TelegramConfig{
		BaseURL:     DefaultTelegramBaseURL,
		PollTimeout: DefaultTelegramPollTimeout,
	}
}

func defaultIRC() IRCConfig {
	return IRCConfig{TLS: true, Nick: DefaultIRCNick}
}

func defaultWebhook() WebhookConfig {
	return WebhookConfig{
		Host:         DefaultWebhookHost,
		Port:         DefaultWebhookPort,
		ReplayWindow: DefaultWebhookReplayWindow,
	}
}

func defaultSessions() SessionsConfig {
	return SessionsConfig{
		IdleTimeout:          DefaultSessionIdleTimeout,
		ResetHour:            DefaultSessionResetHour,
		HistoryLength:        DefaultSessionHistory,
		GroupSessionsPerUser: true,
	}
}

// ResolvedPort returns Port, or the usual IRC port for the TLS setting
// when Port is zero.
func (c IRCConfig) ResolvedPort() int {
	switch {
	case c.Port != 0:
		return c.Port
	case c.TLS:
		return DefaultIRCPortTLS
	}

	return DefaultIRCPortPlain
}

// Addr returns the server address, host:port.
func (c IRCConfig) Addr() string {
	return net.JoinHostPort(c.Server, strconv.Itoa(c.ResolvedPort()))
}

// Addr returns the webhook listen address, host:port, with an IPv6 host
// in brackets.
func (c WebhookConfig) Addr() string {
	return net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
}

// ResolvedDBPath returns the path of the sessions database, resolved
// against home like APIServerConfig.ResolvedDBPath: "" when both DBPath
// and home are empty.
func (c SessionsConfig) ResolvedDBPath(home string) string {
	switch {
	case c.DBPath == "" && home == "":
		return ""
	case c.DBPath == "":
		return filepath.Join(home, SessionsDB)
	case filepath.IsAbs(c.DBPath) || home == "":
		return c.DBPath
	}

	return filepath.Join(home, c.DBPath)
}
