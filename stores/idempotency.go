package stores

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/actorgate/actorgate/messages"
)

// Idempotency row states.
const (
	keyPending = "pending"
	keyDone    = "done"
)

// maxIdempotencyKeyLength bounds an Idempotency-Key, in bytes.
const maxIdempotencyKeyLength = 255

// idempotencyRow is a stored idempotency key.
type idempotencyRow struct {
	fingerprint string
	state       string
	owner       string
	status      int
	body        []byte
	expiresAt   int64
}

// BeginIdempotent implements Responses.
//
// A pending key whose owner token is not this instance's was taken before
// the database was last opened. Its request is gone, so the caller takes
// the key over. A key past its expiry, pending or done, is deleted first,
// so a request that outlived its TTL loses the key to the next caller.
func (s *SQLiteResponses) BeginIdempotent(
	ctx context.Context, b messages.BeginIdempotent, now time.Time,
) (messages.BeginIdempotentReply, error) {
	reply := messages.BeginIdempotentReply{RequestID: b.RequestID}
	if err := validateBegin(b); err != nil {
		return reply, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(true); err != nil {
		return reply, err
	}
	reply, err := s.beginKey(ctx, b, now.UnixNano())
	s.noteWriteError(err)
	return reply, err
}

func (s *SQLiteResponses) beginKey(
	ctx context.Context, b messages.BeginIdempotent, now int64,
) (messages.BeginIdempotentReply, error) {
	reply := messages.BeginIdempotentReply{RequestID: b.RequestID}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return reply, classify(fmt.Errorf("beginning idempotency key %q: %w", b.Key, err))
	}
	defer func() { _ = tx.Rollback() }()

	reply, err = s.claimKey(ctx, tx, b, now)
	if err != nil {
		return reply, err
	}
	if err := tx.Commit(); err != nil {
		return reply, classify(fmt.Errorf("committing idempotency key %q: %w", b.Key, err))
	}
	return reply, nil
}

// claimKey decides the outcome of BeginIdempotent inside its transaction.
func (s *SQLiteResponses) claimKey(
	ctx context.Context, tx *sql.Tx, b messages.BeginIdempotent, now int64,
) (messages.BeginIdempotentReply, error) {
	reply := messages.BeginIdempotentReply{RequestID: b.RequestID}
	row, found, err := s.readKey(ctx, tx, b.SessionKey, b.Key)
	if err != nil {
		return reply, err
	}
	if found && row.expiresAt <= now {
		found = false
	}

	switch {
	case !found:
		err = s.takeKey(ctx, tx, b, now)
	case row.fingerprint != b.Fingerprint:
		return reply, fmt.Errorf("idempotency key %q: %w", b.Key, messages.ErrIdempotencyConflict)
	case row.state == keyDone:
		reply.State = messages.IdempotencyDone
		reply.Status = row.status
		reply.Body = row.body
		return reply, nil
	case row.owner == s.owner:
		return reply, fmt.Errorf("idempotency key %q: %w", b.Key, ErrIdempotencyPending)
	default:
		err = s.takeKey(ctx, tx, b, now)
	}
	if err != nil {
		return reply, err
	}
	reply.State = messages.IdempotencyNew
	return reply, nil
}

func (s *SQLiteResponses) readKey(
	ctx context.Context, tx *sql.Tx, sessionKey, key string,
) (idempotencyRow, bool, error) {
	var row idempotencyRow
	stmt := tx.StmtContext(ctx, s.stmts.readKey)
	defer func() { _ = stmt.Close() }()
	err := stmt.QueryRowContext(ctx, sessionKey, key).
		Scan(&row.fingerprint, &row.state, &row.owner, &row.status, &row.body, &row.expiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return row, false, nil
	}
	if err != nil {
		return row, false, classify(fmt.Errorf("reading idempotency key %q: %w", key, err))
	}
	return row, true, nil
}

// takeKey records a pending key owned by this instance, replacing any
// expired or abandoned row.
func (s *SQLiteResponses) takeKey(ctx context.Context, tx *sql.Tx, b messages.BeginIdempotent, now int64) error {
	ttl := b.TTL.Nanoseconds()
	stmt := tx.StmtContext(ctx, s.stmts.takeKey)
	defer func() { _ = stmt.Close() }()
	_, err := stmt.ExecContext(ctx,
		b.SessionKey, b.Key, b.Fingerprint, keyPending, s.owner, ttl, now, saturatingAdd(now, ttl))
	if err != nil {
		return classify(fmt.Errorf("taking idempotency key %q: %w", b.Key, err))
	}
	return nil
}

// FinishIdempotent implements Responses.
//
// Finishing stores the status and body until now plus the TTL given to
// BeginIdempotent. A key that is already done keeps its first result.
// Abandoning deletes a pending key and is a no-op for a missing or done
// one. Finishing a key that is neither pending nor done returns
// messages.ErrNotFound: it expired or was never taken.
func (s *SQLiteResponses) FinishIdempotent(ctx context.Context, f messages.FinishIdempotent, now time.Time) error {
	if err := validateFinish(f); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(true); err != nil {
		return err
	}
	var err error
	if f.Abandon {
		err = s.releaseKey(ctx, f)
	} else {
		err = s.storeAnswer(ctx, f, now.UnixNano())
	}
	s.noteWriteError(err)
	return err
}

func (s *SQLiteResponses) releaseKey(ctx context.Context, f messages.FinishIdempotent) error {
	_, err := s.stmts.releaseKey.ExecContext(ctx, f.SessionKey, f.Key, keyPending)
	if err != nil {
		return classify(fmt.Errorf("releasing idempotency key %q: %w", f.Key, err))
	}
	return nil
}

func (s *SQLiteResponses) storeAnswer(ctx context.Context, f messages.FinishIdempotent, now int64) error {
	body := f.Body
	if body == nil {
		body = []byte{}
	}
	res, err := s.stmts.storeAnswer.ExecContext(ctx,
		keyDone, f.Status, body, now, now, f.SessionKey, f.Key, keyPending)
	if err != nil {
		return classify(fmt.Errorf("storing the result of idempotency key %q: %w", f.Key, err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return classify(fmt.Errorf("storing the result of idempotency key %q: %w", f.Key, err))
	}
	if n > 0 {
		return nil
	}
	return s.checkDone(ctx, f)
}

// checkDone returns nil when the key is already done, and
// messages.ErrNotFound when it is missing.
func (s *SQLiteResponses) checkDone(ctx context.Context, f messages.FinishIdempotent) error {
	var state string
	err := s.stmts.keyState.QueryRowContext(ctx, f.SessionKey, f.Key).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("idempotency key %q is not pending (expired or never taken): %w",
			f.Key, messages.ErrNotFound)
	}
	if err != nil {
		return classify(fmt.Errorf("reading idempotency key %q: %w", f.Key, err))
	}
	return nil
}

func validateBegin(b messages.BeginIdempotent) error {
	if err := validateKey(b.Key); err != nil {
		return err
	}
	if b.Fingerprint == "" {
		return invalidArgument("idempotency key %q has an empty fingerprint; "+
			"set a hash of the request body", b.Key)
	}
	if b.TTL <= 0 {
		return invalidArgument("idempotency TTL is %v; set a positive duration", b.TTL)
	}
	return nil
}

func validateFinish(f messages.FinishIdempotent) error {
	if err := validateKey(f.Key); err != nil {
		return err
	}
	if !f.Abandon && (f.Status < 100 || f.Status > 599) {
		return invalidArgument("idempotency key %q: status %d is not an HTTP status; "+
			"set 100 to 599, or set Abandon", f.Key, f.Status)
	}
	return nil
}

func validateKey(key string) error {
	if key == "" {
		return invalidArgument("idempotency key is empty")
	}
	if len(key) > maxIdempotencyKeyLength {
		return invalidArgument("idempotency key is %d bytes; the limit is %d",
			len(key), maxIdempotencyKeyLength)
	}
	return nil
}

// saturatingAdd returns a+b for b >= 0, capped at the largest int64, so
// that a very long TTL cannot wrap to an expiry in the past.
func saturatingAdd(a, b int64) int64 {
	const maxInt64 = 1<<63 - 1
	if a > maxInt64-b {
		return maxInt64
	}
	return a + b
}
