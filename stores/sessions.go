package stores

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/actorgate/actorgate/messages"
)

// ErrSessionsClosed is returned by every Sessions method called after
// Close.
var ErrSessionsClosed = errors.New("sessions store is closed")

// DefaultTurnsKept is how many turns a session keeps by default; older
// ones are deleted as new ones arrive.
const DefaultTurnsKept = 1000

// sessionIDPrefix starts every session id; 32 random hex digits follow.
const sessionIDPrefix = "sess_"

// Sessions is the storage behind the sessions store actor: the history of
// each chat conversation, keyed by session key, and the cursors the chat
// platforms persist.
type Sessions interface {
	// Load returns the current session of key with its most recent turns.
	// A missing session is created; one last used before p.IdleSince or
	// p.ResetAt is replaced by a fresh, empty one, and its turns are
	// deleted.
	Load(ctx context.Context, key string, p LoadPolicy) (SessionHistory, error)
	// Append adds turns at the end of session sessionID of key in one
	// transaction and marks the session used. messageID, when set, is the
	// platform's id of the message the turns answer (see
	// LoadPolicy.MessageID). When sessionID is no longer the key's current
	// session (it was reset or expired since it was loaded), the turns are
	// dropped and Append returns nil.
	Append(ctx context.Context, key, sessionID, messageID string, turns []messages.ChatMessage) error
	// MarkDelivered records that the answer to messageID in key's
	// current session reached the chat.
	MarkDelivered(ctx context.Context, key, messageID string) error
	// Reset replaces the session of key by a fresh, empty one and returns
	// its id.
	Reset(ctx context.Context, key string) (string, error)
	// Cursor returns the value a platform stored under name; found is
	// false when there is none.
	Cursor(ctx context.Context, platform, name string) (value string, found bool, err error)
	// SetCursor stores value under platform and name.
	SetCursor(ctx context.Context, platform, name, value string) error
	// Close closes the storage. A second call returns nil, and every other
	// method returns ErrSessionsClosed after it.
	Close() error
}

// LoadPolicy says which sessions Load keeps and how much of them it
// returns.
type LoadPolicy struct {
	// MaxTurns bounds the turns returned; zero or less returns none.
	MaxTurns int
	// IdleSince: a session last used before it has been idle too long.
	// The zero time disables the idle timeout.
	IdleSince time.Time
	// ResetAt is the most recent daily reset: a session last used before
	// it starts fresh. The zero time disables the daily reset.
	ResetAt time.Time
	// MessageID, when set, asks whether the session already holds an
	// answer to that platform message; SessionHistory.Answer returns it.
	MessageID string
}

// SessionHistory is what Load returns.
type SessionHistory struct {
	SessionID string
	// Turns are the most recent turns, oldest first; they never start
	// with an assistant turn.
	Turns []messages.ChatMessage
	// Fresh is set when Load started the session, and FreshReason then
	// holds messages.SessionNew, SessionIdle or SessionDailyReset.
	Fresh       bool
	FreshReason string
	// Answered is set when the session already holds an answer to
	// LoadPolicy.MessageID, and Answer is that answer. Delivered is set
	// when MarkDelivered recorded that it reached the chat.
	Answered  bool
	Answer    string
	Delivered bool
}

// SessionsOption configures OpenSessions.
type SessionsOption func(*SQLiteSessions)

// WithSessionsClock sets the clock that stamps turns and sessions. The
// default is time.Now.
func WithSessionsClock(now func() time.Time) SessionsOption {
	return func(s *SQLiteSessions) {
		if now != nil {
			s.now = now
		}
	}
}

// WithTurnsKept sets how many turns each session keeps; older turns are
// deleted as new ones arrive. Values below 1 keep DefaultTurnsKept.
func WithTurnsKept(n int) SessionsOption {
	return func(s *SQLiteSessions) {
		if n > 0 {
			s.turnsKept = n
		}
	}
}

// SQLiteSessions is the SQLite implementation of Sessions, on its own
// database file with one connection. Its methods are safe for concurrent
// use; they run one at a time.
type SQLiteSessions struct {
	path      string
	logger    *zap.Logger
	now       func() time.Time
	turnsKept int

	mu     sync.Mutex
	db     *sql.DB
	mode   JournalMode
	closed bool
}

// OpenSessions opens the sessions database at path and migrates its
// schema. Failures caused by the disk match messages.ErrStoreUnavailable.
func OpenSessions(path string, logger *zap.Logger, opts ...SessionsOption) (*SQLiteSessions, error) {
	if logger == nil {
		logger = zap.NewNop()
	}
	db, mode, err := OpenSQLite(path, logger)
	if err != nil {
		return nil, err
	}
	abs, _ := databasePath(path)
	s := &SQLiteSessions{
		path: abs, logger: logger.With(zap.String("db_path", abs)),
		now: time.Now, turnsKept: DefaultTurnsKept, db: db, mode: mode,
	}
	for _, opt := range opts {
		opt(s)
	}
	if err := migrate(context.Background(), db, sessionsMigrations); err != nil {
		_ = db.Close()
		return nil, err
	}
	restrictFileModes(abs, s.logger)
	return s, nil
}

// Path returns the absolute path of the database file.
func (s *SQLiteSessions) Path() string { return s.path }

// JournalMode returns the journal mode the database runs in.
func (s *SQLiteSessions) JournalMode() JournalMode {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mode
}

// Close implements Sessions.
func (s *SQLiteSessions) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.db.Close()
}

// Load implements Sessions.
func (s *SQLiteSessions) Load(ctx context.Context, key string, p LoadPolicy) (SessionHistory, error) {
	if key == "" {
		return SessionHistory{}, invalidArgument("session key is empty")
	}
	var h SessionHistory
	err := s.inTx(ctx, "loading session", func(tx *sql.Tx) error {
		var err error
		h, err = s.loadTx(ctx, tx, key, p)
		return err
	})
	return h, err
}

func (s *SQLiteSessions) loadTx(ctx context.Context, tx *sql.Tx, key string, p LoadPolicy) (SessionHistory, error) {
	var id string
	var updated int64
	err := tx.QueryRowContext(ctx,
		"SELECT session_id, updated_at FROM sessions WHERE key = ?", key).Scan(&id, &updated)
	reason := ""
	switch {
	case errors.Is(err, sql.ErrNoRows):
		reason = messages.SessionNew
	case err != nil:
		return SessionHistory{}, err
	case !p.IdleSince.IsZero() && updated < p.IdleSince.UnixNano():
		reason = messages.SessionIdle
	case !p.ResetAt.IsZero() && updated < p.ResetAt.UnixNano():
		reason = messages.SessionDailyReset
	}
	if reason != "" {
		newID, err := s.replaceTx(ctx, tx, key, id)
		if err != nil {
			return SessionHistory{}, err
		}
		return SessionHistory{SessionID: newID, Fresh: true, FreshReason: reason}, nil
	}
	turns, err := recentTurns(ctx, tx, id, p.MaxTurns)
	if err != nil {
		return SessionHistory{}, err
	}
	h := SessionHistory{SessionID: id, Turns: turns}
	if p.MessageID != "" {
		err := tx.QueryRowContext(ctx, "SELECT content, delivered FROM turns WHERE "+
			"session_id = ? AND message_id = ? AND role = 'assistant' ORDER BY seq DESC LIMIT 1",
			id, p.MessageID).Scan(&h.Answer, &h.Delivered)
		switch {
		case err == nil:
			h.Answered = true
		case !errors.Is(err, sql.ErrNoRows):
			return SessionHistory{}, err
		}
	}
	return h, nil
}

// recentTurns returns the last max turns of a session, oldest first,
// without leading assistant turns.
func recentTurns(ctx context.Context, tx *sql.Tx, sessionID string, maxTurns int) ([]messages.ChatMessage, error) {
	if maxTurns <= 0 {
		return nil, nil
	}
	rows, err := tx.QueryContext(ctx, "SELECT role, content FROM turns WHERE session_id = ? "+
		"ORDER BY seq DESC LIMIT ?", sessionID, maxTurns)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var turns []messages.ChatMessage
	for rows.Next() {
		var m messages.ChatMessage
		if err := rows.Scan(&m.Role, &m.Content); err != nil {
			return nil, err
		}
		turns = append(turns, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.Reverse(turns)
	for len(turns) > 0 && turns[0].Role == "assistant" {
		turns = turns[1:]
	}
	return turns, nil
}

// replaceTx gives key a fresh session id and deletes the turns of its old
// session oldID, if any.
func (s *SQLiteSessions) replaceTx(ctx context.Context, tx *sql.Tx, key, oldID string) (string, error) {
	if oldID != "" {
		if _, err := tx.ExecContext(ctx, "DELETE FROM turns WHERE session_id = ?", oldID); err != nil {
			return "", err
		}
	}
	id, err := newSessionID()
	if err != nil {
		return "", err
	}
	now := s.now().UnixNano()
	_, err = tx.ExecContext(ctx, "INSERT INTO sessions (key, session_id, created_at, updated_at) "+
		"VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET session_id = excluded.session_id, "+
		"created_at = excluded.created_at, updated_at = excluded.updated_at", key, id, now, now)
	if err != nil {
		return "", err
	}
	return id, nil
}

// Append implements Sessions.
func (s *SQLiteSessions) Append(
	ctx context.Context, key, sessionID, messageID string, turns []messages.ChatMessage,
) error {
	if err := validateTurns(key, sessionID, turns); err != nil {
		return err
	}
	return s.inTx(ctx, "appending turns", func(tx *sql.Tx) error {
		var current string
		err := tx.QueryRowContext(ctx, "SELECT session_id FROM sessions WHERE key = ?", key).
			Scan(&current)
		if errors.Is(err, sql.ErrNoRows) || err == nil && current != sessionID {
			return nil
		}
		if err != nil {
			return err
		}
		return s.appendTx(ctx, tx, key, sessionID, messageID, turns)
	})
}

func (s *SQLiteSessions) appendTx(
	ctx context.Context, tx *sql.Tx, key, sessionID, messageID string, turns []messages.ChatMessage,
) error {
	var last int64
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM turns WHERE session_id = ?",
		sessionID).Scan(&last); err != nil {
		return err
	}
	now := s.now().UnixNano()
	var msgID any
	if messageID != "" {
		msgID = messageID
	}
	for i, t := range turns {
		if _, err := tx.ExecContext(ctx, "INSERT INTO turns (session_id, seq, role, content, "+
			"message_id, created_at) VALUES (?, ?, ?, ?, ?, ?)", sessionID, last+int64(i)+1,
			t.Role, t.Content, msgID, now); err != nil {
			return err
		}
	}
	last += int64(len(turns))
	if _, err := tx.ExecContext(ctx, "DELETE FROM turns WHERE session_id = ? AND seq <= ?",
		sessionID, last-int64(s.turnsKept)); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "UPDATE sessions SET updated_at = ? WHERE key = ?", now, key)
	return err
}

func validateTurns(key, sessionID string, turns []messages.ChatMessage) error {
	switch {
	case key == "":
		return invalidArgument("session key is empty")
	case sessionID == "":
		return invalidArgument("session id is empty; pass the id that Load returned")
	}
	for i, t := range turns {
		switch t.Role {
		case "system", "user", "assistant":
		default:
			return invalidArgument("turn %d has role %q; use system, user or assistant", i, t.Role)
		}
	}
	return nil
}

// MarkDelivered implements Sessions.
func (s *SQLiteSessions) MarkDelivered(ctx context.Context, key, messageID string) error {
	if key == "" || messageID == "" {
		return invalidArgument("session key and message id must both be set")
	}
	return s.inTx(ctx, "marking answer delivered", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE turns SET delivered = 1 WHERE message_id = ? AND "+
			"session_id = (SELECT session_id FROM sessions WHERE key = ?)", messageID, key)
		return err
	})
}

// Reset implements Sessions.
func (s *SQLiteSessions) Reset(ctx context.Context, key string) (string, error) {
	if key == "" {
		return "", invalidArgument("session key is empty")
	}
	var id string
	err := s.inTx(ctx, "resetting session", func(tx *sql.Tx) error {
		var old string
		err := tx.QueryRowContext(ctx, "SELECT session_id FROM sessions WHERE key = ?", key).
			Scan(&old)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		id, err = s.replaceTx(ctx, tx, key, old)
		return err
	})
	return id, err
}

// Cursor implements Sessions.
func (s *SQLiteSessions) Cursor(ctx context.Context, platform, name string) (string, bool, error) {
	if platform == "" || name == "" {
		return "", false, invalidArgument("cursor platform and name must both be set")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", false, ErrSessionsClosed
	}
	var value string
	err := s.db.QueryRowContext(ctx, "SELECT value FROM platform_state "+
		"WHERE platform = ? AND name = ?", platform, name).Scan(&value)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, classify(fmt.Errorf("reading cursor %s/%s: %w", platform, name, err))
	}
	return value, true, nil
}

// SetCursor implements Sessions.
func (s *SQLiteSessions) SetCursor(ctx context.Context, platform, name, value string) error {
	if platform == "" || name == "" {
		return invalidArgument("cursor platform and name must both be set")
	}
	return s.inTx(ctx, "storing cursor", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO platform_state (platform, name, value, "+
			"updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (platform, name) DO UPDATE SET "+
			"value = excluded.value, updated_at = excluded.updated_at",
			platform, name, value, s.now().UnixNano())
		return err
	})
}

// inTx runs fn in one transaction and commits it. Errors are wrapped with
// what (such as "loading session") and classified, so that disk faults
// match messages.ErrStoreUnavailable.
func (s *SQLiteSessions) inTx(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrSessionsClosed
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return classify(fmt.Errorf("%s: %w", what, err))
	}
	defer func() { _ = tx.Rollback() }()
	if err := fn(tx); err != nil {
		if errors.Is(err, ErrInvalidArgument) {
			return err
		}
		return classify(fmt.Errorf("%s: %w", what, err))
	}
	if err := tx.Commit(); err != nil {
		return classify(fmt.Errorf("%s: committing: %w", what, err))
	}
	return nil
}

func newSessionID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generating session id: %w", err)
	}
	return sessionIDPrefix + hex.EncodeToString(b[:]), nil
}

var _ Sessions = (*SQLiteSessions)(nil)
