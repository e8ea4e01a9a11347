package messages

// Reasons why LoadSessionReply.Fresh is set.
const (
	// SessionNew: the key had no session yet.
	SessionNew = "new"
	// SessionIdle: the previous session was idle longer than the idle
	// timeout.
	SessionIdle = "idle"
	// SessionDailyReset: the previous session was last used before the
	// most recent daily reset hour.
	SessionDailyReset = "daily_reset"
)

// LoadSession requests from the sessions store the recent history of the
// conversation with session key Key. A session that is missing, idle
// longer than the idle timeout, or last used before the most recent daily
// reset hour is replaced by a fresh, empty one.
type LoadSession struct {
	RequestID string
	// Key is the session key, such as
	// agent:main:telegram:group:-100123:7:42.
	Key string
	// MaxTurns bounds the number of turns returned, the most recent ones;
	// zero uses the store's configured history length.
	MaxTurns int
	// MessageID, when set, is the platform's id of the message about to
	// be answered. If the session already holds an answer to it (the
	// message was delivered again after a restart), the reply returns that
	// answer in Answer.
	MessageID string
}

// LoadSessionReply answers LoadSession.
type LoadSessionReply struct {
	RequestID string
	// SessionID names the current session of the key; AppendTurns takes
	// it back.
	SessionID string
	// History holds the most recent turns, oldest first. It never starts
	// with an assistant turn.
	History []ChatMessage
	// Fresh is set when this load started the session, and FreshReason
	// then names the reason: SessionNew, SessionIdle or SessionDailyReset.
	Fresh       bool
	FreshReason string
	// Answered is set when the session already holds an answer to
	// LoadSession.MessageID; Answer is that answer. Delivered is set when
	// a MarkDelivered recorded that the answer reached the chat.
	Answered  bool
	Answer    string
	Delivered bool
	Err       error
}

// AppendTurns stores turns (normally a user turn and the assistant's
// answer) at the end of a session, in one transaction.
type AppendTurns struct {
	RequestID string
	Key       string
	// SessionID is the session the turns belong to, as LoadSessionReply
	// returned it. When the key was reset or expired in the meantime, the
	// turns are dropped with that session, and the new one stays empty.
	SessionID string
	// MessageID is the platform's id of the message the turns answer, if
	// any; a later LoadSession with the same MessageID finds the answer.
	MessageID string
	Turns     []ChatMessage
}

// AppendTurnsReply answers AppendTurns. Err is nil once the turns are
// durable.
type AppendTurnsReply struct {
	RequestID string
	Err       error
}

// MarkDelivered records that the answer to MessageID, stored with
// AppendTurns, reached the chat, so that a delivery of the same message
// after a restart is not answered again.
type MarkDelivered struct {
	RequestID string
	Key       string
	MessageID string
}

// MarkDeliveredReply answers MarkDelivered.
type MarkDeliveredReply struct {
	RequestID string
	Err       error
}

// ResetSession starts a fresh, empty session for a key, as the /new and
// /reset chat commands do.
type ResetSession struct {
	RequestID string
	Key       string
}

// ResetSessionReply answers ResetSession with the id of the new session.
type ResetSessionReply struct {
	RequestID string
	SessionID string
	Err       error
}

// GetCursor reads a value a platform persisted, such as Telegram's last
// acknowledged update_id or Matrix's next_batch token.
type GetCursor struct {
	RequestID string
	Platform  string
	Name      string
}

// GetCursorReply answers GetCursor. Found is false, and Value empty, when
// the platform never stored the cursor.
type GetCursorReply struct {
	RequestID string
	Value     string
	Found     bool
	Err       error
}

// SetCursor stores a platform's cursor, replacing the earlier value.
type SetCursor struct {
	RequestID string
	Platform  string
	Name      string
	Value     string
}

// SetCursorReply answers SetCursor. Err is nil once the value is durable.
type SetCursorReply struct {
	RequestID string
	Err       error
}
