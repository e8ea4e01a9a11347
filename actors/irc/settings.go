package irc

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/actorgate/actorgate/actors/irc/ircconn"
	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
)

// Name is the platform name of IRC.
const Name = "irc"

// addressReserve is the room kept in each answer part for the "nick: "
// that addresses a channel reply to its asker: a 30-byte nick (a common
// NICKLEN), a colon and a space.
const addressReserve = 32

// PartLimit is the length in bytes at which the chat core splits answers.
// The connection splits a part again at line breaks and where the
// server's 512-byte line limit requires it.
const PartLimit = ircconn.MaxPayloadBytes - addressReserve

// Settings configures the adapter.
type Settings struct {
	IRC      config.IRCConfig
	Sessions config.SessionsConfig
	// AgentTimeout bounds one agent run.
	AgentTimeout time.Duration
	// TLS replaces the TLS client configuration when IRC.TLS is set; nil
	// verifies the server against the system's roots. Tests and hosts
	// with a private certificate authority set it.
	TLS *tls.Config
	// Conn tunes the connection; zero fields use the ircconn defaults.
	Conn ConnTuning
}

// ConnTuning holds the connection settings that have no configuration
// key: keepalive, flood control and timeouts.
type ConnTuning struct {
	DialTimeout     time.Duration
	RegisterTimeout time.Duration
	PingInterval    time.Duration
	PingTimeout     time.Duration
	FloodBurst      int
	FloodInterval   time.Duration
}

func (s Settings) withDefaults() Settings {
	if s.AgentTimeout <= 0 {
		s.AgentTimeout = config.DefaultAgentTimeout
	}
	return s
}

// connConfig builds the connection's configuration; Handler and Logger
// are left for the adapter to set.
func (s Settings) connConfig() ircconn.Config {
	cfg := ircconn.Config{
		Addr:            s.IRC.Addr(),
		Nick:            strings.TrimSpace(s.IRC.Nick),
		SASLUser:        s.IRC.SASLUser,
		SASLPassword:    s.IRC.SASLPassword,
		Channels:        s.IRC.Channels,
		DialTimeout:     s.Conn.DialTimeout,
		RegisterTimeout: s.Conn.RegisterTimeout,
		PingInterval:    s.Conn.PingInterval,
		PingTimeout:     s.Conn.PingTimeout,
		FloodBurst:      s.Conn.FloodBurst,
		FloodInterval:   s.Conn.FloodInterval,
		QuitMessage:     "actorgate stopping",
	}
	if s.IRC.TLS {
		cfg.TLS = s.TLS
		if cfg.TLS == nil {
			cfg.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
		}
	}
	return cfg
}

// checkSettings returns the fatal error that keeps the adapter from
// starting, or nil. It opens nothing.
func checkSettings(s Settings) *messages.PlatformError {
	switch enr := s.IRC.Enrollment(); enr.Status {
	case config.Fatal:
		return configError(enr.Reason)
	case config.NotConfigured:
		// The configuration enrolls no such platform; a host that builds
		// Settings in code can still get here.
		return configError(enr.Reason + ", then reload with SIGHUP")
	}
	if port := s.IRC.ResolvedPort(); port < 1 || port > 65535 {
		return configError(fmt.Sprintf("IRC port %d is invalid; set IRC_PORT "+
			"(platforms.irc.port) to 1-65535, then reload with SIGHUP", port))
	}
	if strings.ContainsAny(s.IRC.Server, " /") {
		return configError(fmt.Sprintf("IRC server %q is not a host name; set IRC_SERVER "+
			"(platforms.irc.server) to a host such as irc.libera.chat, without a scheme or "+
			"port, then reload with SIGHUP", s.IRC.Server))
	}
	if err := ircconn.ValidateNick(strings.TrimSpace(s.IRC.Nick)); err != nil {
		return configError(fmt.Sprintf("%v; set IRC_NICK (platforms.irc.nick), then reload "+
			"with SIGHUP", err))
	}
	for _, ch := range s.IRC.Channels {
		if err := ircconn.ValidateChannel(ch); err != nil {
			return configError(fmt.Sprintf("%v; fix IRC_CHANNELS (platforms.irc.channels), "+
				"a comma-separated list such as #actorgate,#help, then reload with SIGHUP", err))
		}
	}
	if err := s.connConfig().Validate(); err != nil {
		return configError(fmt.Sprintf("%v; check the platforms.irc settings, then reload "+
			"with SIGHUP", err))
	}
	return nil
}

func configError(msg string) *messages.PlatformError {
	return &messages.PlatformError{Platform: Name, Code: CodeConfigInvalid, Message: msg}
}

// fingerprint identifies the settings, so that a reload restarts the
// adapter only when one of them changed. It is a hash: the SASL password
// never appears in it, but a changed password changes it.
func fingerprint(s Settings) string {
	// plainIRC drops IRCConfig's MarshalJSON, which redacts the password.
	type plainIRC config.IRCConfig
	b, err := json.Marshal(struct {
		IRC          plainIRC
		Sessions     config.SessionsConfig
		AgentTimeout time.Duration
		CustomTLS    bool
		Conn         ConnTuning
	}{plainIRC(s.IRC), s.Sessions, s.AgentTimeout, s.TLS != nil, s.Conn})
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
