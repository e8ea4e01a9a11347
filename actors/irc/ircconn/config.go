package ircconn

import (
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"time"

	"go.uber.org/zap"
)

// Defaults applied by Dial to zero Config fields.
const (
	DefaultNickRetries         = 3
	DefaultDialTimeout         = 30 * time.Second
	DefaultRegisterTimeout     = 60 * time.Second
	DefaultPingInterval        = 90 * time.Second
	DefaultPingTimeout         = 60 * time.Second
	DefaultWriteTimeout        = 30 * time.Second
	DefaultFloodBurst          = 4
	DefaultFloodInterval       = 500 * time.Millisecond
	DefaultNickReclaimInterval = time.Minute
	DefaultQuitMessage         = "shutting down"
)

// maxNickBytes bounds a configured nick. Servers announce their own limit
// (NICKLEN) only after registration and reject longer nicks with 432.
const maxNickBytes = 64

// maxChannelBytes bounds a configured channel name (RFC 2812 allows 50,
// servers announce CHANNELLEN).
const maxChannelBytes = 200

// Config configures one IRC connection.
type Config struct {
	// Addr is the server's host:port.
	Addr string
	// TLS, when set, wraps the connection in TLS with this configuration.
	// An empty ServerName is filled in with the host of Addr.
	TLS *tls.Config
	// Nick is the nick to register. When it is in use, the nick followed
	// by one to NickRetries underscores is tried.
	Nick string
	// User is the user name sent with USER; empty uses Nick.
	User string
	// RealName is the real name sent with USER; empty uses Nick.
	RealName string
	// SASLUser and SASLPassword, when set, authenticate with SASL PLAIN
	// before registration. Both or neither must be set.
	SASLUser     string
	SASLPassword string
	// Channels are joined after registration.
	Channels []string

	NickRetries     int
	DialTimeout     time.Duration
	RegisterTimeout time.Duration
	// PingInterval is how long the connection may stay silent before the
	// client sends PING; PingTimeout is how long it then waits for any
	// line before it gives the connection up.
	PingInterval time.Duration
	PingTimeout  time.Duration
	WriteTimeout time.Duration
	// FloodBurst lines go out at once, then one line per FloodInterval.
	FloodBurst    int
	FloodInterval time.Duration
	// NickReclaimInterval is how often the client requests Nick again
	// while it is registered under an alternative.
	NickReclaimInterval time.Duration
	QuitMessage         string

	// Handler receives the connection's events on its reader goroutine.
	// It must return quickly: the connection reads nothing while it runs.
	Handler func(Event)
	// Logger receives protocol diagnostics; nil logs nothing.
	Logger *zap.Logger
}

func (c Config) withDefaults() Config {
	setDefault(&c.NickRetries, DefaultNickRetries)
	setDefault(&c.DialTimeout, DefaultDialTimeout)
	setDefault(&c.RegisterTimeout, DefaultRegisterTimeout)
	setDefault(&c.PingInterval, DefaultPingInterval)
	setDefault(&c.PingTimeout, DefaultPingTimeout)
	setDefault(&c.WriteTimeout, DefaultWriteTimeout)
	setDefault(&c.FloodBurst, DefaultFloodBurst)
	setDefault(&c.FloodInterval, DefaultFloodInterval)
	setDefault(&c.NickReclaimInterval, DefaultNickReclaimInterval)
	setDefault(&c.QuitMessage, DefaultQuitMessage)
	setDefault(&c.User, c.Nick)
	setDefault(&c.RealName, c.Nick)
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c
}

func setDefault[T comparable](field *T, value T) {
	var zero T
	if *field == zero {
		*field = value
	}
}

// Validate checks the fields a server would reject or that could inject
// protocol lines. Each error wraps ErrInvalidConfig and names the field.
func (c Config) Validate() error {
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		return fmt.Errorf("%w: Addr %q is not host:port", ErrInvalidConfig, c.Addr)
	}
	if err := ValidateNick(c.Nick); err != nil {
		return err
	}
	if strings.ContainsAny(c.User, " \r\n\x00@") {
		return fmt.Errorf("%w: User %q contains a space, '@', a line break or NUL",
			ErrInvalidConfig, c.User)
	}
	if strings.ContainsAny(c.RealName+c.QuitMessage, "\r\n\x00") {
		return fmt.Errorf("%w: RealName or QuitMessage contains a line break or NUL",
			ErrInvalidConfig)
	}
	if err := validateSASL(c.SASLUser, c.SASLPassword); err != nil {
		return err
	}
	for _, ch := range c.Channels {
		if err := ValidateChannel(ch); err != nil {
			return err
		}
	}
	if c.NickRetries < 0 || c.FloodBurst < 0 {
		return fmt.Errorf("%w: NickRetries and FloodBurst must not be negative", ErrInvalidConfig)
	}
	return nil
}

func validateSASL(user, password string) error {
	if (user == "") != (password == "") {
		return fmt.Errorf("%w: SASLUser and SASLPassword must be set together", ErrInvalidConfig)
	}
	if strings.ContainsRune(user+password, 0) {
		return fmt.Errorf("%w: SASLUser or SASLPassword contains NUL", ErrInvalidConfig)
	}
	return nil
}

// ValidateNick checks a nick against RFC 2812 (section 2.3.1): a letter or
// one of []\`_^{|} first, then letters, digits, those characters and '-'.
// The length is bounded by 64 bytes here, because servers announce their
// own limit only after registration.
func ValidateNick(nick string) error {
	if nick == "" {
		return fmt.Errorf("%w: Nick is empty", ErrInvalidConfig)
	}
	if len(nick) > maxNickBytes {
		return fmt.Errorf("%w: Nick %q is longer than %d bytes", ErrInvalidConfig,
			truncate(nick, 20), maxNickBytes)
	}
	for i, r := range nick {
		ok := isLetter(r) || strings.ContainsRune("[]\\`_^{|}", r) ||
			(i > 0 && (isDigit(r) || r == '-'))
		if !ok {
			return fmt.Errorf("%w: Nick %q has the invalid character %q at byte %d; use "+
				"letters, digits and []\\`_^{|}-, not starting with a digit or '-'",
				ErrInvalidConfig, nick, r, i)
		}
	}
	return nil
}

// ValidateChannel checks a channel name: a prefix of #, &, + or !, then no
// space, comma, BEL, line break or NUL (RFC 2812, section 1.3).
func ValidateChannel(name string) error {
	if len(name) < 2 || !IsChannel(name) {
		return fmt.Errorf("%w: channel %q must start with #, &, + or ! followed by a name",
			ErrInvalidConfig, name)
	}
	if len(name) > maxChannelBytes {
		return fmt.Errorf("%w: channel %q is longer than %d bytes", ErrInvalidConfig,
			truncate(name, 20), maxChannelBytes)
	}
	if strings.ContainsAny(name, " ,\a\r\n\x00") {
		return fmt.Errorf("%w: channel %q contains a space, comma, BEL, line break or NUL",
			ErrInvalidConfig, name)
	}
	return nil
}

// IsChannel reports whether a message target is a channel rather than a
// nick.
func IsChannel(target string) bool {
	return target != "" && strings.ContainsRune("#&+!", rune(target[0]))
}

func isLetter(r rune) bool { return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') }

func isDigit(r rune) bool { return r >= '0' && r <= '9' }
