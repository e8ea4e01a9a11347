package ircconn

import "time"

// Event is a report from a Conn to its Config.Handler: one of *Inbound,
// *Joined, *JoinFailed, *Parted, *NickChanged or, last of all,
// *Disconnected.
type Event interface {
	isEvent()
}

// Inbound is a PRIVMSG for the bot: a direct message to its nick, or a
// channel message that starts with its nick and a colon or comma.
type Inbound struct {
	Nick string
	User string
	Host string
	// Channel is the channel the message was sent to; empty for a direct
	// message.
	Channel string
	// Text is the message with the "nick: " address removed.
	Text string
	// Time is the server-time tag when the server sent one, else the time
	// the line was read.
	Time time.Time
}

// Joined reports that the server confirmed a JOIN of the bot.
type Joined struct {
	Channel string
}

// JoinFailed reports a numeric error reply to a JOIN: 471 (full), 473
// (invite only), 474 (banned), 475 (bad key), 403 (no such channel), 405
// (too many channels) or 477 (registered nicks only).
type JoinFailed struct {
	Channel string
	Code    string
	Reason  string
}

// Parted reports that the bot left a channel: it was kicked (By is set)
// or parted.
type Parted struct {
	Channel string
	By      string
	Reason  string
}

// NickChanged reports the bot's new nick.
type NickChanged struct {
	Nick string
}

// Disconnected is the last event of a connection. Err is the reason:
// ErrClosed after Close, else the failure that ended it.
type Disconnected struct {
	Err error
}

func (*Inbound) isEvent()      {}
func (*Joined) isEvent()       {}
func (*JoinFailed) isEvent()   {}
func (*Parted) isEvent()       {}
func (*NickChanged) isEvent()  {}
func (*Disconnected) isEvent() {}
