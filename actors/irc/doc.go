// Package irc is the IRC platform adapter: an actor that keeps one bot
// connection to an IRC server and answers, through the agent, the
// messages addressed to it.
//
// # Supervision and messages
//
// The gateway spawns the adapter as its child "irc" (see [Platform]) and
// supervises it; every restart builds a fresh [Adapter]. The adapter
// accepts:
//
//   - *actor.Started: checks the settings (an invalid one escalates a fatal
//     *messages.PlatformError with code irc_config_invalid), builds the
//     chat core and dials on a goroutine it owns. Once the server welcomed
//     the bot it sends *messages.PlatformConnected to the gateway.
//   - *messages.SendMessage: sends text to a channel or nick; the sender
//     gets *messages.SendMessageReply once it was written.
//   - *actor.Restarting, *actor.Stopping, *actor.Stopped: one idempotent
//     close cancels the chat turns in flight, then sends QUIT and closes
//     the connection.
//
// The connection reports to the adapter with messages to itself. A lost
// connection (the server died, a KILL, a ping timeout) escalates a
// retryable PlatformError, irc_connection_lost, so the gateway restarts
// the adapter with backoff; the new instance reconnects and joins the
// channels again. Failures the same settings would meet again are fatal:
// irc_nick_invalid, irc_sasl_failed, irc_sasl_unavailable and
// irc_tls_invalid. A nick in use (irc_nick_in_use), a refused connection
// (irc_connect_failed) or an unfinished registration
// (irc_registration_failed) are retried.
//
// # Messages for the bot
//
// A direct message (PRIVMSG to the bot's nick) is a conversation of its
// own. In a channel the bot only reads lines that start with its nick and
// a colon or comma ("actorgate: hello"), and it answers in the channel
// with the asker's nick in front. The lower-cased nick is the user id
// that IRC_ALLOWED_USERS lists. A nick proves nothing on networks that
// let anyone take any free nick, so list only nicks that the network's
// services protect. "!new" and "!reset" work like "/new" and "/reset",
// which most IRC clients do not send. Access control, history and
// splitting are the chat core's (package chat).
//
// IRC keeps nothing for a client that is away: lines sent to the bot's
// nick or channels while it reconnects never reach it. A message whose
// answer is still being produced or written when the adapter restarts
// gets no answer either, because the server cannot deliver it again and
// the adapter does not store messages in flight. An answer that was
// produced is stored in the session before it is sent, so the
// conversation goes on from it.
package irc
