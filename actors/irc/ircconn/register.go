package ircconn

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"go.uber.org/zap"
)

// registration is the state of one registration attempt.
type registration struct {
	c *Conn
	// nickAttempts counts the alternatives tried after 433.
	nickAttempts int
	sasl         *saslState
}

// register sends NICK and USER (after CAP LS when SASL is configured) and
// reads until 001 RPL_WELCOME or a failure. The caller set the deadline.
func (c *Conn) register() error {
	reg := &registration{c: c}
	if c.cfg.SASLUser != "" {
		reg.sasl = &saslState{user: c.cfg.SASLUser, password: c.cfg.SASLPassword}
		if err := c.writeCommand("CAP", "LS", "302"); err != nil {
			return err
		}
	}
	if err := c.writeCommand("NICK", c.cfg.Nick); err != nil {
		return err
	}
	if err := c.writeTrailing("USER", c.cfg.User, "0", "*", c.cfg.RealName); err != nil {
		return err
	}

	for {
		line, err := c.readLine()
		if err != nil {
			return registrationReadError(err)
		}
		m, err := ParseMessage(line)
		if err != nil {
			c.log.Debug("skipping malformed line", zap.Error(err))
			continue
		}
		done, err := reg.handle(m)
		if err != nil || done {
			return err
		}
	}
}

func registrationReadError(err error) error {
	switch {
	case isTimeout(err):
		return ErrRegistrationTimeout
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%w before registration completed", ErrServerClosed)
	}
	return err
}

// handle processes one line; done is true once the server welcomed the
// client.
func (reg *registration) handle(m *Message) (done bool, err error) {
	c := reg.c
	switch m.Command {
	case "001":
		c.welcome(m)
		return true, nil
	case "PING":
		return false, c.writeTrailing("PONG", m.Params...)
	case "433", "436":
		return false, reg.nickInUse()
	case "432":
		return false, reg.nickRejected(m)
	case "464", "465":
		return false, fmt.Errorf("%w: %s %s", ErrRegistrationRejected, m.Command, lastParam(m))
	case "ERROR":
		return false, fmt.Errorf("%w: %s", ErrRegistrationRejected, lastParam(m))
	case "421":
		if strings.EqualFold(m.Param(1), "CAP") && reg.sasl != nil {
			return false, fmt.Errorf("%w: the server does not support CAP", ErrSASLUnavailable)
		}
	case "CAP", "AUTHENTICATE", "900", "902", "903", "904", "905", "906", "907", "908":
		if reg.sasl != nil {
			return false, reg.sasl.handle(c, m)
		}
	}
	return false, nil
}

// welcome records the nick the server registered, which may be a
// truncated form of the one sent. It also records the user@host when the
// welcome text ends with nick!user@host, as RFC 2812 suggests and ngircd
// does.
func (c *Conn) welcome(m *Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if nick := m.Param(0); nick != "" {
		c.nick = nick
	}
	words := strings.Fields(lastParam(m))
	if len(words) == 0 {
		return
	}
	if _, userHost, ok := strings.Cut(words[len(words)-1], "!"); ok && strings.Contains(userHost, "@") {
		c.userHost = userHost
	}
}

// nickInUse tries the next alternative: the nick followed by one more
// underscore, up to NickRetries of them.
func (reg *registration) nickInUse() error {
	c := reg.c
	if reg.nickAttempts >= c.cfg.NickRetries {
		return fmt.Errorf("%w: %s and %d alternatives with trailing underscores",
			ErrNickInUse, c.cfg.Nick, reg.nickAttempts)
	}
	reg.nickAttempts++
	alt := c.cfg.Nick + strings.Repeat("_", reg.nickAttempts)
	c.log.Info("nick in use, trying an alternative",
		zap.String("nick", c.cfg.Nick), zap.String("alternative", alt))
	c.mu.Lock()
	c.nick = alt
	c.mu.Unlock()
	return c.writeCommand("NICK", alt)
}

// nickRejected handles 432: the configured nick is invalid on this server,
// or an alternative is (too long, most often), which leaves no nick free.
func (reg *registration) nickRejected(m *Message) error {
	if reg.nickAttempts == 0 {
		return fmt.Errorf("%w: %s: %s", ErrNickInvalid, reg.c.cfg.Nick, lastParam(m))
	}
	return fmt.Errorf("%w: %s, and the server rejected the alternative %s: %s",
		ErrNickInUse, reg.c.cfg.Nick, m.Param(1), lastParam(m))
}

func lastParam(m *Message) string {
	if len(m.Params) == 0 {
		return ""
	}
	return m.Params[len(m.Params)-1]
}
