package ircconn

import (
	"strings"
	"time"

	"go.uber.org/zap"
)

// handlePrivmsg reports a direct message, or a channel message addressed
// to the bot, as Inbound. It ignores CTCP requests, the bot's own lines,
// lines from a server (no nick!user@host source) and channel chatter.
func (c *Conn) handlePrivmsg(m *Message) {
	nick, user, host := m.UserHost()
	target, text := m.Param(0), m.Param(1)
	if user == "" || c.isSelf(nick) {
		return
	}
	if strings.HasPrefix(text, "\x01") {
		c.log.Debug("ignoring a CTCP request", zap.String("from", nick))
		return
	}

	in := &Inbound{Nick: nick, User: user, Host: host, Text: text, Time: messageTime(m)}
	if IsChannel(target) {
		rest, ok := c.addressed(text)
		if !ok {
			return
		}
		in.Channel, in.Text = target, rest
	} else if !c.isSelf(target) {
		// A status message (@#channel) or a target that is not the bot.
		return
	}
	if strings.TrimSpace(in.Text) == "" {
		return
	}
	c.emit(in)
}

// addressed strips "nick:" or "nick," and the spaces after it from the
// start of a channel message. It reports false when the message does not
// start with the bot's nick followed by one of those characters.
func (c *Conn) addressed(text string) (string, bool) {
	c.mu.Lock()
	nick, mapping := c.nick, c.caseMapping
	c.mu.Unlock()

	if len(text) <= len(nick) || !EqualNames(text[:len(nick)], nick, mapping) {
		return "", false
	}
	switch text[len(nick)] {
	case ':', ',':
		return strings.TrimSpace(text[len(nick)+1:]), true
	}
	return "", false
}

// messageTime returns the IRCv3 server-time tag, or now when the line has
// none or it does not parse.
func messageTime(m *Message) time.Time {
	if v, ok := m.Tags["time"]; ok {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t
		}
	}
	return time.Now()
}
