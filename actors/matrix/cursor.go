package matrix

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/actorgate/actorgate/messages"
)

// Cursor names in the sessions store, each prefixed with the bot's user
// id and a slash (see cursorName).
const (
	// cursorSync holds the syncState JSON.
	cursorSync = "sync"
	// cursorDevice is the device id of the password login, reused so that
	// a restart does not add a device to the account.
	cursorDevice = "device_id"
)

// storeTimeout bounds one request to the sessions store.
const storeTimeout = 10 * time.Second

// syncState is where a restart resumes. Both fields are written in one
// value, so that they always agree.
type syncState struct {
	// NextBatch is the since token of the oldest sync batch that has not
	// been fully answered, or empty before the first sync of the account.
	NextBatch string `json:"next_batch"`
	// Handled lists the events after NextBatch that were answered
	// already, so that a restart does not answer them again.
	Handled []string `json:"handled,omitempty"`
}

// cursor is what the sessions store remembers for one bot account.
type cursor struct {
	nextBatch string
	handled   map[string]bool
	deviceID  string
}

// cursorName scopes a cursor to the bot's user id, so that another
// account or homeserver never resumes from a token it did not issue.
func (c *conn) cursorName(name string) string {
	return c.s.Matrix.UserID + "/" + name
}

// loadCursor reads the cursors of the bot account. An unreadable sync
// state is logged and treated as none.
func (c *conn) loadCursor() (cursor, *messages.PlatformError) {
	cur := cursor{handled: make(map[string]bool)}
	raw, err := c.getCursor(cursorSync)
	if err != nil {
		return cur, sessionsError("reading the sync cursor", err)
	}
	if cur.deviceID, err = c.getCursor(cursorDevice); err != nil {
		return cur, sessionsError("reading the device id", err)
	}
	if raw == "" {
		return cur, nil
	}
	var st syncState
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		c.log.Warn("ignoring an unreadable sync cursor; starting a fresh sync", zap.Error(err))
		return cur, nil
	}
	cur.nextBatch = st.NextBatch
	for _, e := range st.Handled {
		cur.handled[e] = true
	}
	return cur, nil
}

// saveSync stores the sync state.
func (c *conn) saveSync(nextBatch string, handled map[string]bool) error {
	st := syncState{NextBatch: nextBatch, Handled: make([]string, 0, len(handled))}
	for e := range handled {
		st.Handled = append(st.Handled, e)
	}
	slices.Sort(st.Handled)
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCursor, err)
	}
	return c.setCursor(cursorSync, string(b))
}

func (c *conn) getCursor(name string) (string, error) {
	res, err := c.root.RequestFuture(c.sessions, &messages.GetCursor{
		RequestID: newRequestID(), Platform: Name, Name: c.cursorName(name),
	}, storeTimeout).Result()
	if err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrCursor, name, err)
	}
	reply, ok := res.(*messages.GetCursorReply)
	if !ok {
		return "", fmt.Errorf("%w: %s: unexpected reply %T", ErrCursor, name, res)
	}
	if reply.Err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrCursor, name, reply.Err)
	}
	return reply.Value, nil
}

func (c *conn) setCursor(name, value string) error {
	res, err := c.root.RequestFuture(c.sessions, &messages.SetCursor{
		RequestID: newRequestID(), Platform: Name, Name: c.cursorName(name), Value: value,
	}, storeTimeout).Result()
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrCursor, name, err)
	}
	reply, ok := res.(*messages.SetCursorReply)
	if !ok {
		return fmt.Errorf("%w: %s: unexpected reply %T", ErrCursor, name, res)
	}
	if reply.Err != nil {
		return fmt.Errorf("%w: %s: %w", ErrCursor, name, reply.Err)
	}
	return nil
}

func sessionsError(doing string, err error) *messages.PlatformError {
	return &messages.PlatformError{
		Platform: Name, Code: CodeSessionsUnavailable, Retryable: true, Cause: err,
		Message: doing + " in the sessions store failed",
	}
}
