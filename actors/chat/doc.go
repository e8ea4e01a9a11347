// Package chat holds the logic every chat adapter shares, so that the
// Telegram, IRC, Matrix and webhook adapters only translate between their
// network protocol and [messages.InboundMessage].
//
// # The core
//
// An adapter builds a [Core] in *actor.Started with [NewCore], giving it
// the platform's settings ([Config]), the gateway's [gateway.Env] (the
// agent, the sessions store and the logger) and a [SendFunc] that sends
// one message to the platform. For each message it receives, the adapter
// calls [Core.Submit]. The core then, on its own goroutines:
//
//  1. publishes the message on the actor system's event stream, so that a
//     host that embeds the gateway can subscribe to *messages.InboundMessage;
//  2. checks access: deny by default. A user that is not on the allowlist
//     ([Access]) gets one polite refusal per hour at most, and the message
//     never reaches the agent;
//  3. handles /new and /reset (also /new@botname, see [ParseCommand]) by
//     starting a fresh session;
//  4. otherwise loads the session's bounded history from the sessions
//     store, asks the agent with the history and the new message, stores
//     the user's turn and the answer in one transaction, splits the answer
//     at the platform's limit ([Split]) and sends the parts through a
//     [Sender].
//
// Messages of one conversation (one [SessionKey]) are answered in order,
// one at a time; different conversations run in parallel.
//
// # Why goroutines and not ReenterAfter
//
// The core talks to the agent and the sessions store with RequestFuture
// from goroutines it owns, instead of ReenterAfter on the adapter's
// context. A turn is a chain of three requests followed by sends that wait
// for rate limits and retries, and a typing indicator that ticks while the
// agent works; written as one goroutine per conversation it reads top to
// bottom, keeps the conversation's order without extra bookkeeping in the
// actor, and never occupies the adapter's mailbox, which stays free for
// lifecycle messages and network events. The goroutines are tracked:
// [Core.Close], called from the adapter's Restarting, Stopping and Stopped
// handlers, cancels them (a running agent request is cancelled with
// *messages.CancelAgentRequest) and waits for them. A job cancelled this
// way does not call its Done function, so an adapter that acknowledges
// messages in Done receives it again after the restart.
//
// Each agent request carries a deadline, and the future waits a little
// longer than that deadline. The agent never replies after the deadline,
// so no reply can reach a future that already timed out.
//
// # Sending
//
// A [Sender] waits for a per-chat and a global token bucket
// (golang.org/x/time/rate), honours a platform's retry-after answer
// ([RetryAfter]), retries other transient errors with exponential backoff
// and full jitter, and reports permanent errors ([Permanent]) at once. An
// adapter can send its own messages through [Core.Sender], and serves
// *messages.SendMessage from other actors with [Core.SendMessage].
//
// # Logging
//
// The core logs with the adapter's logger: refusals at info level (with
// the user id), failed turns at warn, failed sends at error. It never logs
// message text at info level or above.
package chat
