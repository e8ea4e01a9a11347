// Package sessions is the sessions store actor: the only owner of a
// stores.Sessions, and so of the sessions database (sessions.db) and its
// single connection. Every chat platform keeps its conversation history
// and its cursors here.
//
// # Messages
//
// The actor accepts these requests and responds to the sender of each
// with the matching reply:
//
//   - *messages.LoadSession → *messages.LoadSessionReply. The idle timeout
//     and the daily reset hour (in Config.Location) are applied here: a
//     session idle longer than the timeout, or last used before the most
//     recent reset hour, is replaced by a fresh one.
//   - *messages.AppendTurns → *messages.AppendTurnsReply, sent after the
//     transaction holding all the turns committed.
//   - *messages.MarkDelivered → *messages.MarkDeliveredReply
//   - *messages.ResetSession → *messages.ResetSessionReply
//   - *messages.GetCursor → *messages.GetCursorReply
//   - *messages.SetCursor → *messages.SetCursorReply
//
// A request without a sender (sent with Send rather than Request) is
// carried out but gets no reply.
//
// # Failures
//
// The database is opened in *actor.Started and closed in one idempotent
// close called from *actor.Restarting, *actor.Stopping and
// *actor.Stopped; the Props producer opens nothing. When the database
// cannot be opened, the actor does not fail: it answers every request with
// an error matching messages.ErrStoreUnavailable that names the cause, and
// tries to open again every Config.RetryOpen. A write that fails because
// of the disk gets the same error, and the next write tries again.
//
// # Supervision
//
// The gateway spawns the actor as its child "sessions" before the first
// chat platform and supervises it; its PID reaches the adapters in
// gateway.Env.Sessions.
package sessions
