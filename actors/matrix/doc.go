// Package matrix implements the matrix platform: an adapter actor that
// logs in to a Matrix homeserver through the client-server API
// (maunium.net/go/mautrix), answers the text messages of the rooms it is
// in through the agent actor, and joins the rooms that allowed users
// invite it to. The logic every chat platform shares (access control,
// /new and /reset, history, splitting, rate limits) is package chat's.
//
// # Lifecycle
//
// The gateway spawns and supervises the adapter. [Platform] describes it,
// and marks settings that cannot work as rejected so that nothing starts.
// In *actor.Started the adapter checks its settings (a missing or
// malformed setting is a fatal *messages.PlatformError), builds the chat
// core and starts one goroutine, the sync goroutine, which reads the
// cursors from the sessions store, logs in, and syncs. The login checks
// an access token with whoami, or logs in with the password and reuses the
// device of the previous password login. Only once the homeserver accepted
// it does the adapter send *messages.PlatformConnected to the gateway.
// A rejected token or password is fatal (codes matrix_token_invalid,
// matrix_login_failed, matrix_config_invalid). An unreachable homeserver,
// a broken sync connection or an unavailable sessions store is retryable
// (matrix_unreachable, matrix_sync_failed, matrix_sessions_unavailable),
// and the gateway restarts the adapter with backoff. The sync goroutine
// reports both the login and a failure to the adapter as messages, and
// the adapter escalates the failure.
//
// Restarting, Stopping and Stopped run one idempotent close: it ends the
// syncing, closes the chat core (which cancels the turns in progress and
// waits for them), lets the sync goroutine store what finished, waits for
// it, and closes the idle HTTP connections.
//
// # Syncing without losing or repeating messages
//
// A fetch goroutine keeps long-polling /sync while the agent works, so a
// lost connection is noticed at once and a slow answer in one room does
// not hold up the others. Each batch goes to the sync goroutine, which
// joins the rooms of the invites from allowed users (other invites are
// logged and ignored) and hands the batch's messages to the chat core.
// The stored cursor, one JSON value in the sessions store under
// "<user_id>/sync", contains the next_batch token of the oldest batch not
// fully answered and the events after it that were answered already. A
// restart resumes from it and skips those events: a message that was not
// answered before the failure is answered after it, and one that was is
// not answered again. The gap that remains is a process that dies between
// sending an answer and storing that it was sent. The first sync of an
// account (no cursor) answers nothing: its timelines are history. In a
// room the bot just joined, the messages before its join are history too.
//
// The bot answers m.text messages. It passes over its own messages,
// notices (the message type of bots), edits, other message types and
// encrypted events. End-to-end encryption is not supported, and the
// adapter logs a warning once per room that has encrypted messages. A
// room of two joined members is a direct chat, any other a group.
// Answers are m.text replies to the message that mention its sender, in
// its thread if it has one, split at [DefaultLimit] UTF-8 bytes. A
// retried send reuses the transaction id of the first attempt, so the
// homeserver stores a message once even when only its answer was lost.
//
// # Messages
//
//   - *messages.SendMessage → *messages.SendMessageReply: sends text to a
//     room through the same rate limits as the answers.
//
// The adapter sends *messages.PlatformConnected to the gateway, the
// sessions store messages (*messages.GetCursor, *messages.SetCursor and,
// through the chat core, the session history) to gateway.Env.Sessions, and
// the agent messages, through the chat core, to gateway.Env.Agent. It
// publishes each *messages.InboundMessage on the actor system's event
// stream.
//
// # Tests
//
// The end-to-end tests run against a real Dendrite homeserver (package
// dendritetest), built by scripts/dendrite.sh.
package matrix
