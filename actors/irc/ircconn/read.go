package ircconn

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"go.uber.org/zap"
)

// readLine returns the next line without CR-LF. A line read in part
// before a deadline passed is kept and completed by the next call. A line
// longer than the read buffer is skipped with a warning.
func (c *Conn) readLine() (string, error) {
	for {
		chunk, err := c.r.ReadSlice('\n')
		if c.discarding {
			if err == nil {
				c.discarding = false
				continue
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			return "", err
		}
		if errors.Is(err, bufio.ErrBufferFull) || len(c.pending)+len(chunk) > readBufferBytes {
			c.log.Warn("skipping a line longer than the read buffer",
				zap.Int("max_bytes", readBufferBytes), zap.Error(ErrLineTooLong))
			c.pending = c.pending[:0]
			c.discarding = err != nil
			continue
		}
		c.pending = append(c.pending, chunk...)
		if err != nil {
			return "", err
		}
		line := strings.TrimRight(string(c.pending), "\r\n")
		c.pending = c.pending[:0]
		return line, nil
	}
}

// readLoop reads until the connection ends, then reports Disconnected.
// Silence longer than PingInterval makes it send PING; more silence for
// PingTimeout ends the connection with ErrPingTimeout.
func (c *Conn) readLoop() {
	defer c.wg.Done()
	defer func() { c.emit(&Disconnected{Err: c.Err()}) }()

	pinged := false
	for {
		wait := c.cfg.PingInterval
		if pinged {
			wait = c.cfg.PingTimeout
		}
		if err := c.nc.SetReadDeadline(time.Now().Add(wait)); err != nil {
			c.fail(fmt.Errorf("%w: %w", ErrServerClosed, err))
			return
		}
		line, err := c.readLine()
		if err != nil {
			if isTimeout(err) && !pinged {
				pinged = true
				c.sendUrgent("PING", "keepalive")
				continue
			}
			c.fail(c.readFailure(err))
			return
		}
		pinged = false
		c.dispatchLine(line)
	}
}

func (c *Conn) readFailure(err error) error {
	switch {
	case isTimeout(err):
		return ErrPingTimeout
	case errors.Is(err, io.EOF):
		return ErrServerClosed
	case errors.Is(err, net.ErrClosed):
		// Close or a failed write closed the socket; fail keeps that reason.
		return ErrClosed
	}
	return fmt.Errorf("%w: %w", ErrServerClosed, err)
}

func (c *Conn) dispatchLine(line string) {
	m, err := ParseMessage(line)
	if err != nil {
		c.log.Debug("skipping malformed line", zap.Error(err))
		return
	}
	switch m.Command {
	case "PING":
		c.log.Debug("replying to server ping")
		c.sendUrgent("PONG", m.Params...)
	case "PONG":
		c.log.Debug("keepalive pong received")
	case "ERROR":
		c.fail(fmt.Errorf("%w: %s", ErrServerClosed, lastParam(m)))
	case "PRIVMSG":
		c.handlePrivmsg(m)
	case "JOIN", "PART", "KICK", "NICK":
		c.handleMembership(m)
	case "005":
		c.handleISupport(m)
	case "403", "405", "471", "473", "474", "475", "476", "477":
		c.emit(&JoinFailed{Channel: m.Param(1), Code: m.Command, Reason: lastParam(m)})
	case "433":
		c.log.Debug("nick still in use", zap.String("nick", m.Param(1)))
	}
}

// handleISupport reads CASEMAPPING from RPL_ISUPPORT.
func (c *Conn) handleISupport(m *Message) {
	for _, token := range m.Params[1:] {
		if value, ok := strings.CutPrefix(token, "CASEMAPPING="); ok {
			c.mu.Lock()
			c.caseMapping = strings.ToLower(value)
			c.mu.Unlock()
		}
	}
}

// isSelf reports whether nick is the bot's current nick.
func (c *Conn) isSelf(nick string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return EqualNames(nick, c.nick, c.caseMapping)
}

func (c *Conn) handleMembership(m *Message) {
	switch m.Command {
	case "JOIN":
		if c.isSelf(m.Nick()) {
			c.joined(m)
		}
	case "PART":
		if c.isSelf(m.Nick()) {
			c.left(m.Param(0))
			c.emit(&Parted{Channel: m.Param(0), Reason: m.Param(1)})
		}
	case "KICK":
		if c.isSelf(m.Param(1)) {
			c.left(m.Param(0))
			c.emit(&Parted{Channel: m.Param(0), By: m.Nick(), Reason: m.Param(2)})
		}
	case "NICK":
		if c.isSelf(m.Nick()) {
			c.mu.Lock()
			c.nick = m.Param(0)
			c.mu.Unlock()
			c.emit(&NickChanged{Nick: m.Param(0)})
		}
	}
}

// joined records a channel the server confirmed and the user@host it
// shows for the bot, which bounds the room left in a relayed line.
func (c *Conn) joined(m *Message) {
	channel := m.Param(0)
	_, user, host := m.UserHost()
	c.mu.Lock()
	c.channels[FoldName(channel, c.caseMapping)] = channel
	if user != "" && host != "" {
		c.userHost = user + "@" + host
	}
	c.mu.Unlock()
	c.emit(&Joined{Channel: channel})
}

func (c *Conn) left(channel string) {
	c.mu.Lock()
	delete(c.channels, FoldName(channel, c.caseMapping))
	c.mu.Unlock()
}
