package stores

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/actorgate/actorgate/messages"
)

// Responses is the storage behind the response store actor.
type Responses interface {
	// Put stores responses in one transaction (group commit), then evicts
	// the least recently used beyond the limit. Evicting or deleting also
	// removes conversation names pointing at the evicted ids. Replacing an
	// existing id keeps its sequence number in the thread. A response that
	// fails validation, or whose id belongs to another session key, is
	// rejected while the others are stored, and the returned *BatchError
	// lists the rejected ones.
	Put(ctx context.Context, rs []messages.StoredResponse) error
	// Get returns the response with id owned by sessionKey and marks it
	// recently used. It returns messages.ErrNotFound when sessionKey owns
	// no response with that id.
	Get(ctx context.Context, sessionKey, id string) (*messages.StoredResponse, error)
	// Delete deletes the response with id owned by sessionKey and the
	// conversation names pointing at it. It returns messages.ErrNotFound
	// when sessionKey owns no response with that id.
	Delete(ctx context.Context, sessionKey, id string) error
	// Conversation returns the id of the response the conversation name
	// points at, or messages.ErrNotFound when it points at none.
	Conversation(ctx context.Context, sessionKey, name string) (string, error)
	// BeginIdempotent claims an idempotency key. It returns
	// IdempotencyNew when the caller now owns the key, IdempotencyDone
	// with the stored status and body, ErrIdempotencyPending when a running
	// request owns it, or messages.ErrIdempotencyConflict when the key
	// was used with another fingerprint.
	BeginIdempotent(ctx context.Context, b messages.BeginIdempotent, now time.Time) (messages.BeginIdempotentReply, error)
	// FinishIdempotent stores the status and body of a request that owns
	// a key, or releases the key when f.Abandon is set.
	FinishIdempotent(ctx context.Context, f messages.FinishIdempotent, now time.Time) error
	// Count returns the number of stored responses.
	Count(ctx context.Context) (int, error)
	// Close closes the storage. A second call returns nil, and every other
	// method returns ErrClosed after it.
	Close() error
}

// expiredBatch is the most expired idempotency rows one Put deletes.
const expiredBatch = 256

// Option configures OpenResponses.
type Option func(*responsesOptions)

type responsesOptions struct {
	now func() time.Time
}

// WithClock sets the clock that stamps creation and access times and
// expires idempotency keys during Put. The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *responsesOptions) {
		if now != nil {
			o.now = now
		}
	}
}

// SQLiteResponses is the SQLite implementation of Responses. Its methods
// are safe for concurrent use and run one at a time on the single
// connection.
type SQLiteResponses struct {
	path       string
	max        int
	logger     *zap.Logger
	baseLogger *zap.Logger
	now        func() time.Time
	// owner is a random token that marks the pending idempotency keys
	// taken through this instance. A pending key with another token was
	// taken before the database was last opened, and its request is gone.
	owner string

	mu     sync.Mutex
	db     *sql.DB
	mode   JournalMode
	closed bool
	// readOnlyConn is set when a write failed because SQLite opened the
	// file read-only. The next write reopens it if it is writable again.
	readOnlyConn bool
	// lastTick is the last access time handed out. Access times strictly
	// increase, so the eviction order does not depend on clock resolution
	// and survives a clock that steps back.
	lastTick     int64
	touchFailing bool
}

// OpenResponses opens the responses database at path, migrates its schema,
// and returns a store that keeps at most maxResponses responses.
func OpenResponses(
	path string, maxResponses int, logger *zap.Logger, opts ...Option,
) (*SQLiteResponses, error) {
	if maxResponses <= 0 {
		return nil, invalidArgument(
			"maxResponses is %d; set a positive limit on stored responses", maxResponses)
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	options := responsesOptions{now: time.Now}
	for _, opt := range opts {
		opt(&options)
	}

	db, mode, err := OpenSQLite(path, logger)
	if err != nil {
		return nil, err
	}
	abs, _ := databasePath(path)
	s := &SQLiteResponses{
		db:         db,
		path:       abs,
		mode:       mode,
		max:        maxResponses,
		logger:     logger.With(zap.String("db_path", abs)),
		baseLogger: logger,
		now:        options.now,
	}
	if err := s.init(context.Background()); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

func (s *SQLiteResponses) init(ctx context.Context) error {
	if err := migrate(ctx, s.db, responsesMigrations); err != nil {
		return err
	}
	restrictFileModes(s.path, s.logger)

	owner, err := newOwnerToken()
	if err != nil {
		return err
	}
	s.owner = owner

	row := s.db.QueryRowContext(ctx, "SELECT COALESCE(MAX(accessed_at), 0) FROM responses")
	if err := row.Scan(&s.lastTick); err != nil {
		return classify(fmt.Errorf("reading access times: %w", err))
	}
	return nil
}

func newOwnerToken() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generating store token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// Path returns the absolute path of the database file.
func (s *SQLiteResponses) Path() string { return s.path }

// JournalMode returns the journal mode the database runs in.
func (s *SQLiteResponses) JournalMode() JournalMode {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mode
}

// Put implements Responses.
func (s *SQLiteResponses) Put(ctx context.Context, rs []messages.StoredResponse) error {
	if len(rs) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}

	errs := make([]error, len(rs))
	rejected := 0
	for i := range rs {
		if errs[i] = validateResponse(&rs[i]); errs[i] != nil {
			rejected++
		}
	}
	if rejected < len(rs) {
		if err := s.ready(true); err != nil {
			return err
		}
		n, err := s.putBatch(ctx, rs, errs)
		if err != nil {
			s.noteWriteError(err)
			return err
		}
		rejected += n
	}
	if rejected > 0 {
		return &BatchError{Errs: errs}
	}
	return nil
}

// putBatch writes the responses whose errs entry is nil in one
// transaction, evicts beyond the limit and deletes a batch of expired
// idempotency keys. It records ErrIDInUse rejections in errs and returns
// their number.
func (s *SQLiteResponses) putBatch(
	ctx context.Context, rs []messages.StoredResponse, errs []error,
) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, classify(fmt.Errorf("beginning write: %w", err))
	}
	defer func() { _ = tx.Rollback() }()

	rejected := 0
	for i := range rs {
		if errs[i] != nil {
			continue
		}
		err := s.putOne(ctx, tx, &rs[i])
		if errors.Is(err, ErrIDInUse) {
			errs[i] = err
			rejected++
			continue
		}
		if err != nil {
			return 0, err
		}
	}
	if err := s.evict(ctx, tx); err != nil {
		return 0, err
	}
	if err := s.deleteExpiredKeys(ctx, tx); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, classify(fmt.Errorf("committing responses: %w", err))
	}
	return rejected, nil
}

func (s *SQLiteResponses) putOne(ctx context.Context, tx *sql.Tx, r *messages.StoredResponse) error {
	var owner string
	row := tx.QueryRowContext(ctx, "SELECT session_key FROM responses WHERE id = ?", r.ID)
	err := row.Scan(&owner)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		err = s.insertResponse(ctx, tx, r)
	case err != nil:
		return classify(fmt.Errorf("reading response %s: %w", r.ID, err))
	case owner != r.SessionKey:
		return fmt.Errorf("response %s: %w", r.ID, ErrIDInUse)
	default:
		err = s.replaceResponse(ctx, tx, r)
	}
	if err != nil {
		return err
	}
	if r.Conversation == "" {
		return nil
	}
	return s.pointConversation(ctx, tx, r)
}

// insertResponse inserts a new response as the next turn of its thread.
// The sequence number is read from the end of the (thread_key, seq) index,
// which costs the same however long the thread is.
func (s *SQLiteResponses) insertResponse(ctx context.Context, tx *sql.Tx, r *messages.StoredResponse) error {
	tick := s.tick()
	thread := threadKey(r.ID)
	_, err := tx.ExecContext(ctx, `
		INSERT INTO responses (id, session_key, thread_key, seq, previous_id, status,
			instructions, body, history, created_at, accessed_at)
		VALUES (?, ?, ?, COALESCE((SELECT seq FROM responses WHERE thread_key = ?
				ORDER BY seq DESC LIMIT 1), 0) + 1,
			?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.SessionKey, thread, thread, nullIfEmpty(r.PreviousID), r.Status,
		nullIfEmpty(r.Instructions), []byte(r.Body), historyBlob(r.History),
		s.createdAt(r, tick), tick)
	if err != nil {
		return classify(fmt.Errorf("inserting response %s: %w", r.ID, err))
	}
	return nil
}

// replaceResponse overwrites a stored response in place, keeping its
// thread and sequence number, and its creation time unless r sets one.
func (s *SQLiteResponses) replaceResponse(ctx context.Context, tx *sql.Tx, r *messages.StoredResponse) error {
	tick := s.tick()
	_, err := tx.ExecContext(ctx, `
		UPDATE responses SET previous_id = ?, status = ?, instructions = ?, body = ?,
			history = ?, created_at = COALESCE(?, created_at), accessed_at = ?
		WHERE id = ?`,
		nullIfEmpty(r.PreviousID), r.Status, nullIfEmpty(r.Instructions), []byte(r.Body),
		historyBlob(r.History), nullTime(r.CreatedAt), tick, r.ID)
	if err != nil {
		return classify(fmt.Errorf("replacing response %s: %w", r.ID, err))
	}
	return nil
}

func (s *SQLiteResponses) pointConversation(ctx context.Context, tx *sql.Tx, r *messages.StoredResponse) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO conversations (session_key, name, response_id, updated_at)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (session_key, name)
		DO UPDATE SET response_id = excluded.response_id, updated_at = excluded.updated_at`,
		r.SessionKey, r.Conversation, r.ID, s.lastTick)
	if err != nil {
		return classify(fmt.Errorf("pointing conversation at response %s: %w", r.ID, err))
	}
	return nil
}

// evict deletes the least recently used responses beyond the limit. The
// foreign key on conversations deletes the names pointing at them.
func (s *SQLiteResponses) evict(ctx context.Context, tx *sql.Tx) error {
	var count int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM responses").Scan(&count); err != nil {
		return classify(fmt.Errorf("counting responses: %w", err))
	}
	excess := count - s.max
	if excess <= 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `
		DELETE FROM responses WHERE id IN (
			SELECT id FROM responses ORDER BY accessed_at LIMIT ?)`, excess)
	if err != nil {
		return classify(fmt.Errorf("evicting %d responses: %w", excess, err))
	}
	if ce := s.logger.Check(zap.DebugLevel, "evicted responses"); ce != nil {
		ce.Write(zap.Int("evicted", excess), zap.Int("max_responses", s.max))
	}
	return nil
}

func (s *SQLiteResponses) deleteExpiredKeys(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `
		DELETE FROM idempotency WHERE (session_key, key) IN (
			SELECT session_key, key FROM idempotency WHERE expires_at <= ? LIMIT ?)`,
		s.now().UnixNano(), expiredBatch)
	if err != nil {
		return classify(fmt.Errorf("deleting expired idempotency keys: %w", err))
	}
	return nil
}

// Get implements Responses.
func (s *SQLiteResponses) Get(ctx context.Context, sessionKey, id string) (*messages.StoredResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(false); err != nil {
		return nil, err
	}
	if !validResponseID(id) {
		return nil, responseNotFound(id)
	}

	r, err := s.selectResponse(ctx, sessionKey, id)
	if err != nil {
		return nil, err
	}
	s.touch(ctx, id)
	return r, nil
}

func (s *SQLiteResponses) selectResponse(ctx context.Context, sessionKey, id string) (*messages.StoredResponse, error) {
	var (
		previous, instructions, conversation sql.NullString
		createdAt                            int64
		body, history                        []byte
	)
	r := &messages.StoredResponse{ID: id, SessionKey: sessionKey}
	row := s.db.QueryRowContext(ctx, `
		SELECT previous_id, status, instructions, body, history, created_at,
			(SELECT name FROM conversations
			 WHERE response_id = responses.id ORDER BY updated_at DESC, name LIMIT 1)
		FROM responses WHERE id = ? AND session_key = ?`, id, sessionKey)
	err := row.Scan(&previous, &r.Status, &instructions, &body, &history, &createdAt, &conversation)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, responseNotFound(id)
	}
	if err != nil {
		return nil, classify(fmt.Errorf("reading response %s: %w", id, err))
	}

	r.PreviousID = previous.String
	r.Instructions = instructions.String
	r.Conversation = conversation.String
	r.Body = body
	if len(history) > 0 {
		r.History = history
	}
	r.CreatedAt = time.Unix(0, createdAt)
	return r, nil
}

// touch marks a response recently used. A failure is logged once per run
// of failures and not returned, so that a read-only or full database still
// serves reads.
func (s *SQLiteResponses) touch(ctx context.Context, id string) {
	if err := s.ready(true); err != nil {
		return
	}
	_, err := s.db.ExecContext(ctx, "UPDATE responses SET accessed_at = ? WHERE id = ?", s.tick(), id)
	s.noteWriteError(err)
	if err != nil && !s.touchFailing {
		s.touchFailing = true
		s.logger.Warn("cannot update response access time; eviction order may lag",
			zap.Error(classify(err)))
	}
	if err == nil && s.touchFailing {
		s.touchFailing = false
		s.logger.Info("response access times are updated again")
	}
}

// Delete implements Responses.
func (s *SQLiteResponses) Delete(ctx context.Context, sessionKey, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(true); err != nil {
		return err
	}
	if !validResponseID(id) {
		return responseNotFound(id)
	}
	res, err := s.db.ExecContext(ctx,
		"DELETE FROM responses WHERE id = ? AND session_key = ?", id, sessionKey)
	s.noteWriteError(err)
	if err != nil {
		return classify(fmt.Errorf("deleting response %s: %w", id, err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return classify(fmt.Errorf("deleting response %s: %w", id, err))
	}
	if n == 0 {
		return responseNotFound(id)
	}
	return nil
}

// Conversation implements Responses.
func (s *SQLiteResponses) Conversation(ctx context.Context, sessionKey, name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(false); err != nil {
		return "", err
	}

	var id string
	row := s.db.QueryRowContext(ctx,
		"SELECT response_id FROM conversations WHERE session_key = ? AND name = ?",
		sessionKey, name)
	err := row.Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("conversation %q: %w", clip(name), messages.ErrNotFound)
	}
	if err != nil {
		return "", classify(fmt.Errorf("reading conversation %q: %w", clip(name), err))
	}
	return id, nil
}

// Count implements Responses.
func (s *SQLiteResponses) Count(ctx context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(false); err != nil {
		return 0, err
	}

	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM responses").Scan(&n); err != nil {
		return 0, classify(fmt.Errorf("counting responses: %w", err))
	}
	return n, nil
}

// Close implements Responses. It is safe on a nil store.
func (s *SQLiteResponses) Close() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.db == nil {
		return nil
	}
	if err := s.db.Close(); err != nil {
		return classify(fmt.Errorf("closing database %s: %w", s.path, err))
	}
	return nil
}

// tick returns the next access time: now in unix nanoseconds, or one more
// than the last access time when the clock has not moved past it.
func (s *SQLiteResponses) tick() int64 {
	t := s.now().UnixNano()
	if t <= s.lastTick {
		t = s.lastTick + 1
	}
	s.lastTick = t
	return t
}

func (s *SQLiteResponses) createdAt(r *messages.StoredResponse, tick int64) int64 {
	if r.CreatedAt.IsZero() {
		return tick
	}
	return r.CreatedAt.UnixNano()
}

// validateResponse checks a response before it is written.
func validateResponse(r *messages.StoredResponse) error {
	if !validResponseID(r.ID) {
		return invalidArgument("response id %q is malformed; want %q followed by "+
			"48 lowercase hex digits", clip(r.ID), responseIDPrefix)
	}
	if err := validatePrevious(r); err != nil {
		return err
	}
	if r.Status == "" {
		return invalidArgument("response %s has an empty status; set %s, %s, %s or %s",
			r.ID, messages.ResponseCompleted, messages.ResponseIncomplete,
			messages.ResponseFailed, messages.ResponseInProgress)
	}
	if len(r.Body) == 0 || !json.Valid(r.Body) {
		return invalidArgument("response %s body is empty or not valid JSON", r.ID)
	}
	if len(r.History) > 0 && !json.Valid(r.History) {
		return invalidArgument("response %s history is not valid JSON", r.ID)
	}
	return nil
}

func validatePrevious(r *messages.StoredResponse) error {
	switch {
	case r.PreviousID == "":
		return nil
	case !validResponseID(r.PreviousID):
		return invalidArgument("response %s previous id %q is malformed", r.ID, clip(r.PreviousID))
	case r.PreviousID == r.ID:
		return invalidArgument("response %s names itself as its previous response", r.ID)
	case threadKey(r.PreviousID) != threadKey(r.ID):
		return invalidArgument("response %s continues %s from another thread; a chained "+
			"response id must copy the thread key %s", r.ID, r.PreviousID, threadKey(r.PreviousID))
	}
	return nil
}

func responseNotFound(id string) error {
	return fmt.Errorf("response %q: %w", clip(id), messages.ErrNotFound)
}

// clip shortens client input quoted in an error message.
func clip(s string) string {
	const limit = 64
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "..."
}

func nullTime(t time.Time) sql.NullInt64 {
	return sql.NullInt64{Int64: t.UnixNano(), Valid: !t.IsZero()}
}

func nullIfEmpty(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}

// historyBlob returns history as a non-nil blob, because go-sqlite3 binds
// a nil []byte as NULL and the column is NOT NULL.
func historyBlob(history json.RawMessage) []byte {
	if history == nil {
		return []byte{}
	}
	return history
}

var _ Responses = (*SQLiteResponses)(nil)
