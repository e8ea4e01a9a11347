package ircconn

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
)

// saslChunkBytes is the size of one AUTHENTICATE payload (IRCv3 SASL 3.1).
const saslChunkBytes = 400

// saslState runs SASL PLAIN during registration: CAP LS 302, CAP REQ
// :sasl, AUTHENTICATE PLAIN, the credentials, 903, CAP END.
type saslState struct {
	user     string
	password string
	// caps collects the capabilities of a multi-line CAP LS reply.
	caps []string
}

func (s *saslState) handle(c *Conn, m *Message) error {
	switch m.Command {
	case "CAP":
		return s.handleCap(c, m)
	case "AUTHENTICATE":
		if m.Param(0) == "+" {
			return s.sendCredentials(c)
		}
	case "903", "907":
		return c.writeCommand("CAP", "END")
	case "908":
		// 908 lists the mechanisms the server offers; 904 follows it.
		return nil
	case "902", "904", "905", "906":
		return fmt.Errorf("%w: %s %s", ErrSASLFailed, m.Command, lastParam(m))
	}
	return nil
}

// handleCap follows CAP LS, ACK and NAK. Parameters: the client's nick or
// *, the subcommand, "*" on every line but the last of a multi-line LS,
// and the space-separated capabilities.
func (s *saslState) handleCap(c *Conn, m *Message) error {
	switch strings.ToUpper(m.Param(1)) {
	case "LS":
		s.caps = append(s.caps, strings.Fields(lastParam(m))...)
		if m.Param(2) == "*" && len(m.Params) > 3 {
			return nil
		}
		if !offersPlain(s.caps) {
			_ = c.writeCommand("CAP", "END")
			return fmt.Errorf("%w: CAP LS offered %q", ErrSASLUnavailable, strings.Join(s.caps, " "))
		}
		return c.writeTrailing("CAP", "REQ", "sasl")
	case "ACK":
		if slices.Contains(strings.Fields(lastParam(m)), "sasl") {
			return c.writeCommand("AUTHENTICATE", "PLAIN")
		}
	case "NAK":
		_ = c.writeCommand("CAP", "END")
		return fmt.Errorf("%w: the server rejected CAP REQ sasl with CAP NAK", ErrSASLUnavailable)
	}
	return nil
}

// offersPlain reports whether the capability list has sasl and, when it
// lists mechanisms (sasl=PLAIN,EXTERNAL under CAP 302), PLAIN among them.
func offersPlain(caps []string) bool {
	for _, capability := range caps {
		name, mechs, hasMechs := strings.Cut(capability, "=")
		if name != "sasl" {
			continue
		}
		if !hasMechs {
			return true
		}
		return slices.ContainsFunc(strings.Split(mechs, ","), func(m string) bool {
			return strings.EqualFold(m, "PLAIN")
		})
	}
	return false
}

// sendCredentials sends authzid NUL authcid NUL password, base64 encoded,
// in 400-byte chunks. A payload that is an exact multiple of 400 bytes
// ends with an extra "AUTHENTICATE +".
func (s *saslState) sendCredentials(c *Conn) error {
	raw := s.user + "\x00" + s.user + "\x00" + s.password
	encoded := base64.StdEncoding.EncodeToString([]byte(raw))
	for len(encoded) >= saslChunkBytes {
		if err := c.writeCommand("AUTHENTICATE", encoded[:saslChunkBytes]); err != nil {
			return err
		}
		encoded = encoded[saslChunkBytes:]
	}
	if encoded == "" {
		encoded = "+"
	}
	return c.writeCommand("AUTHENTICATE", encoded)
}
