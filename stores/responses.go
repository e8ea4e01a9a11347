package stores

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	json "github.com/segmentio/encoding/json"

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

// keySweepInterval is how long Put waits after deleting every expired
// idempotency key before it looks for expired keys again. BeginIdempotent
// ignores an expired key, so the delay only keeps dead rows on disk.
const keySweepInterval = time.Second

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
	stmts  *statements
	mode   JournalMode
	closed bool
	// rows is the number of stored responses. It is read from the table
	// when a connection is opened, and a write adjusts it only after its
	// transaction commits.
	//
	// NOTE: this instance must be the only writer of the file. Rows that
	// another process inserts or deletes are not counted until the next
	// reopen, so until then the table can exceed the limit, or eviction
	// can delete more rows than the limit calls for.
	rows int
	// ids maps each stored response id to its row, and is loaded together
	// with rows.
	ids idIndex
	// lastKeySweep is when Put last deleted every expired idempotency key,
	// in unix nanoseconds of the store clock, or 0 before the first time.
	lastKeySweep int64
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
// and returns a store that keeps at most maxResponses responses. When a
// write would exceed the limit, the least recently used responses are
// evicted down to 1% below it (see evictHeadroomDivisor).
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
		_ = s.stmts.close()
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
	return s.prepare(ctx)
}

// prepare prepares the statements on s.db and reads the id and seq of
// every stored response. It runs whenever s.db is a new connection.
func (s *SQLiteResponses) prepare(ctx context.Context) error {
	stmts, err := prepareStatements(ctx, s.db)
	if err != nil {
		return err
	}
	ids, err := loadIDIndex(ctx, s.db)
	if err != nil {
		_ = stmts.close()
		return err
	}
	s.stmts, s.ids, s.rows = stmts, ids, len(ids.seqs)
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
	checkJSON := !encodedJSON(ctx)
	for i := range rs {
		if errs[i] = validateResponse(&rs[i], checkJSON); errs[i] != nil {
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
// their number. When the transaction fails, it undoes its changes to
// s.ids.
func (s *SQLiteResponses) putBatch(
	ctx context.Context, rs []messages.StoredResponse, errs []error,
) (rejected int, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, classify(fmt.Errorf("beginning write: %w", err))
	}
	defer func() { _ = tx.Rollback() }()
	bound := &txStatements{tx: tx}
	defer bound.close()
	changes := &idChanges{}
	defer func() {
		if err != nil {
			s.ids.undo(changes)
		}
	}()
	return s.writeBatch(ctx, tx, bound, changes, rs, errs)
}

// writeBatch runs the statements of putBatch in tx and commits it.
func (s *SQLiteResponses) writeBatch(
	ctx context.Context, tx *sql.Tx, bound *txStatements, changes *idChanges,
	rs []messages.StoredResponse, errs []error,
) (int, error) {
	rejected, inserted := 0, 0
	for i := range rs {
		if errs[i] != nil {
			continue
		}
		added, err := s.putOne(ctx, bound, changes, &rs[i])
		if errors.Is(err, ErrIDInUse) {
			errs[i] = err
			rejected++
			continue
		}
		if err != nil {
			return 0, err
		}
		inserted += added
	}
	rows, err := s.evict(ctx, bound, changes, s.rows+inserted)
	if err != nil {
		return 0, err
	}
	swept, err := s.sweepKeys(ctx, bound)
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, classify(fmt.Errorf("committing responses: %w", err))
	}
	s.rows = rows
	if swept != 0 {
		s.lastKeySweep = swept
	}
	return rejected, nil
}

// putOne writes one response in tx and returns 1 when it inserted a row,
// or 0 when it replaced one.
func (s *SQLiteResponses) putOne(
	ctx context.Context, tx *txStatements, changes *idChanges, r *messages.StoredResponse,
) (int, error) {
	tick := s.tick()
	inserted := 0
	seq, stored := s.ids.lookup(r.ID)
	if stored {
		if err := s.replaceResponse(ctx, tx, r, seq, tick); err != nil {
			return 0, err
		}
	} else {
		var err error
		if seq, err = s.insertResponse(ctx, tx, r, tick); err != nil {
			return 0, err
		}
		s.ids.add(r.ID, seq, changes)
		inserted = 1
	}
	if r.Conversation == "" {
		return inserted, nil
	}
	return inserted, s.pointConversation(ctx, tx, r, seq)
}

// insertResponse inserts a new response, which becomes the last turn of
// its thread, and returns its seq.
func (s *SQLiteResponses) insertResponse(
	ctx context.Context, tx *txStatements, r *messages.StoredResponse, tick int64,
) (int64, error) {
	res, err := tx.exec(ctx, s.stmts.insertResponse,
		responseIDHash(r.ID), r.ID, r.SessionKey, nullIfEmpty(r.PreviousID), r.Status,
		nullIfEmpty(r.Instructions), []byte(r.Body), historyBlob(r.History),
		s.createdAt(r, tick), tick)
	if err != nil {
		return 0, classify(fmt.Errorf("inserting response %s: %w", r.ID, err))
	}
	seq, err := res.LastInsertId()
	if err != nil {
		return 0, classify(fmt.Errorf("inserting response %s: %w", r.ID, err))
	}
	return seq, nil
}

// replaceResponse overwrites a stored response of the same session key in
// place, keeping its thread and sequence number, and its creation time
// unless r sets one. It returns ErrIDInUse when another session key owns
// the id.
func (s *SQLiteResponses) replaceResponse(
	ctx context.Context, tx *txStatements, r *messages.StoredResponse, seq, tick int64,
) error {
	res, err := tx.exec(ctx, s.stmts.replaceResponse,
		nullIfEmpty(r.PreviousID), r.Status, nullIfEmpty(r.Instructions), []byte(r.Body),
		historyBlob(r.History), nullTime(r.CreatedAt), tick, seq, r.SessionKey)
	if err != nil {
		return classify(fmt.Errorf("replacing response %s: %w", r.ID, err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return classify(fmt.Errorf("replacing response %s: %w", r.ID, err))
	}
	if n == 0 {
		return fmt.Errorf("response %s: %w", r.ID, ErrIDInUse)
	}
	return nil
}

func (s *SQLiteResponses) pointConversation(
	ctx context.Context, tx *txStatements, r *messages.StoredResponse, seq int64,
) error {
	_, err := tx.exec(ctx, s.stmts.pointConversation,
		r.SessionKey, r.Conversation, seq, s.lastTick)
	if err != nil {
		return classify(fmt.Errorf("pointing conversation at response %s: %w", r.ID, err))
	}
	return nil
}

// evictHeadroomDivisor sets how many rows an eviction frees beyond the
// excess: max/evictHeadroomDivisor, 1% of the limit. Each eviction rewrites
// the first pages of the table and of its accessed_at index, so freeing
// many rows at once costs less per row than freeing a few in every
// transaction.
const evictHeadroomDivisor = 100

// evict deletes the least recently used responses beyond the limit, given
// the number of rows in tx before it, and returns the number after it. Once
// over the limit it also frees max/evictHeadroomDivisor more rows. The
// foreign key on conversations deletes the names pointing at them.
func (s *SQLiteResponses) evict(
	ctx context.Context, tx *txStatements, changes *idChanges, rows int,
) (int, error) {
	excess := rows - s.max
	if excess <= 0 {
		return rows, nil
	}
	excess = min(excess+s.max/evictHeadroomDivisor, rows)
	evicted, err := s.evictRows(ctx, tx, changes, excess)
	if err != nil {
		return 0, classify(fmt.Errorf("evicting %d responses: %w", excess, err))
	}
	if ce := s.logger.Check(zap.DebugLevel, "evicted responses"); ce != nil {
		ce.Write(zap.Int64("evicted", evicted), zap.Int("max_responses", s.max))
	}
	if evicted == int64(excess) {
		return rows - excess, nil
	}
	return s.recount(ctx, tx, rows)
}

// evictRows deletes the excess least recently used rows, removes their
// ids from s.ids and returns how many it deleted.
func (s *SQLiteResponses) evictRows(
	ctx context.Context, tx *txStatements, changes *idChanges, excess int,
) (int64, error) {
	rows, err := tx.query(ctx, s.stmts.evict, excess)
	if err != nil {
		return 0, err
	}
	defer func() { _ = rows.Close() }()
	var evicted int64
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return 0, err
		}
		s.ids.remove(id, changes)
		evicted++
	}
	return evicted, rows.Err()
}

// recount counts the rows in tx after an eviction deleted fewer rows than
// the in-memory count called for, which means that count was wrong.
func (s *SQLiteResponses) recount(
	ctx context.Context, tx *txStatements, expected int,
) (int, error) {
	var rows int
	err := tx.queryRow(ctx, s.stmts.countResponses).Scan(&rows)
	if err != nil {
		return 0, classify(fmt.Errorf("counting responses: %w", err))
	}
	s.logger.Warn("response count was out of step with the table; recounted it",
		zap.Int("expected_responses", expected), zap.Int("responses", rows))
	return rows, nil
}

// sweepKeys deletes up to expiredBatch expired idempotency keys, unless
// the last sweep that left none behind was less than keySweepInterval
// ago. It returns the sweep time when no expired key is left, to be
// recorded after the transaction commits, and 0 otherwise.
func (s *SQLiteResponses) sweepKeys(ctx context.Context, tx *txStatements) (int64, error) {
	now := s.now().UnixNano()
	since := now - s.lastKeySweep
	if s.lastKeySweep != 0 && since >= 0 && since < int64(keySweepInterval) {
		return 0, nil
	}
	res, err := tx.exec(ctx, s.stmts.deleteExpiredKeys, now, expiredBatch)
	if err != nil {
		return 0, classify(fmt.Errorf("deleting expired idempotency keys: %w", err))
	}
	deleted, err := res.RowsAffected()
	if err != nil {
		return 0, classify(fmt.Errorf("deleting expired idempotency keys: %w", err))
	}
	if deleted >= expiredBatch {
		return 0, nil
	}
	return now, nil
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

	seq, ok := s.ids.lookup(id)
	if !ok {
		return nil, responseNotFound(id)
	}
	r, err := s.selectResponse(ctx, sessionKey, id, seq)
	if err != nil {
		return nil, err
	}
	s.touch(ctx, seq)
	return r, nil
}

func (s *SQLiteResponses) selectResponse(
	ctx context.Context, sessionKey, id string, seq int64,
) (*messages.StoredResponse, error) {
	var (
		previous, instructions, conversation sql.NullString
		createdAt                            int64
		body, history                        []byte
	)
	r := &messages.StoredResponse{ID: id, SessionKey: sessionKey}
	row := s.stmts.selectResponse.QueryRowContext(ctx, seq, id, sessionKey)
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
func (s *SQLiteResponses) touch(ctx context.Context, seq int64) {
	if err := s.ready(true); err != nil {
		return
	}
	_, err := s.stmts.touch.ExecContext(ctx, s.tick(), seq)
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
	seq, ok := s.ids.lookup(id)
	if !ok {
		return responseNotFound(id)
	}
	res, err := s.stmts.deleteResponse.ExecContext(ctx, seq, id, sessionKey)
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
	s.ids.remove(id, nil)
	s.rows = max(s.rows-int(n), 0)
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
	row := s.stmts.conversation.QueryRowContext(ctx, sessionKey, name)
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
	if err := s.stmts.countResponses.QueryRowContext(ctx).Scan(&n); err != nil {
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
	if err := s.closeConn(); err != nil {
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

// validateResponse checks a response before it is written. checkJSON
// false skips the json.Valid check of Body and History, for bytes that
// WithEncodedJSON marks as produced by actorgate's own encoders.
func validateResponse(r *messages.StoredResponse, checkJSON bool) error {
	if !validResponseID(r.ID) {
		return invalidArgument("response id %q is malformed; want %q followed by "+
			"48 lowercase hex digits", clip(r.ID), responseIDPrefix)
	}
	if err := validatePrevious(r); err != nil {
		return err
	}
	if r.Status == "" {
		return invalidArgument("response %s has an empty status; set %s, %s, %s, %s or %s",
			r.ID, messages.ResponseCompleted, messages.ResponseIncomplete,
			messages.ResponseFailed, messages.ResponseCancelled, messages.ResponseInProgress)
	}
	if len(r.Body) == 0 {
		return invalidArgument("response %s body is empty; set the response object JSON", r.ID)
	}
	if !checkJSON {
		return nil
	}
	if !json.Valid(r.Body) {
		return invalidArgument("response %s body is not valid JSON", r.ID)
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
