// Package ircconn is an IRC client written on net, bufio and crypto/tls:
// one registered connection to one server, with what a bot needs and
// nothing else.
//
// [Dial] connects (in plain text or TLS), registers with NICK and USER and
// returns once the server sent 001 RPL_WELCOME. When the nick is in use
// (433) it tries the nick followed by one, two, ... underscores, up to
// Config.NickRetries, and later requests the configured nick again now
// and then. With Config.SASLUser set it logs in with SASL PLAIN first
// (CAP LS 302, CAP REQ :sasl, AUTHENTICATE PLAIN, 903, CAP END) and fails
// with ErrSASLUnavailable when the server does not offer it. Then it joins
// Config.Channels.
//
// A [Conn] runs two goroutines. The reader replies to the server's PING,
// sends its own PING after Config.PingInterval of silence and gives the
// connection up (ErrPingTimeout) when nothing arrives within
// Config.PingTimeout after that, tracks the bot's nick and channels, and
// reports [Event] values to Config.Handler: [Inbound] for a direct message
// or a channel message that starts with "nick:" or "nick,", and
// [Disconnected] last. The writer sends lines through a token bucket
// (Config.FloodBurst lines at once, then one per Config.FloodInterval;
// by default 4, then one every 500 ms), because servers disconnect clients
// that flood them; PONG skips the bucket.
//
// [Conn.Privmsg] and [Conn.Notice] split text with [SplitText]: one
// message per line of text, each cut at a space or, inside a long word, at
// a UTF-8 character boundary, so that the line the server relays, with
// ":nick!user@host " in front, stays under the 512-byte limit; no payload
// is longer than 400 bytes. Text can never inject a command: line breaks
// end a message, and NUL and the CTCP delimiter are removed.
//
// [Conn.Close] sends QUIT and waits for both goroutines; it is idempotent.
// The package logs nothing above debug level except lines it skips.
package ircconn
