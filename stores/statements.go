package stores

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Queries of the response store, prepared once per connection by
// prepareStatements.
const (
	// Rows are found by seq, which the idIndex holds for every id. The
	// insert runs only for an id that the idIndex does not hold.
	queryInsertResponse = `
		INSERT INTO responses (id_hash, id, session_key, previous_id, status, instructions,
			body, history, created_at, accessed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

	queryReplaceResponse = `
		UPDATE responses SET previous_id = ?, status = ?, instructions = ?, body = ?,
			history = ?, created_at = COALESCE(?, created_at), accessed_at = ?
		WHERE seq = ? AND session_key = ?`

	queryPointConversation = `
		INSERT INTO conversations (session_key, name, response_seq, updated_at)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (session_key, name)
		DO UPDATE SET response_seq = excluded.response_seq, updated_at = excluded.updated_at`

	// Eviction deletes a range of the accessed_at index, which costs less
	// than collecting the rows to delete in an IN list first. The range
	// ends at the access time of the n-th least recently used row, or
	// takes every row when the table holds fewer than n. Because tick
	// hands out strictly increasing access times, the range holds exactly
	// n rows. If another writer ever stored equal times, a tie at the end
	// of the range would delete a few more, and evict recounts the table.
	// It returns the evicted ids for the idIndex.
	queryEvict = `
		DELETE FROM responses WHERE accessed_at <= COALESCE(
			(SELECT accessed_at FROM responses ORDER BY accessed_at LIMIT 1 OFFSET ?1 - 1),
			(SELECT MAX(accessed_at) FROM responses))
		RETURNING id`

	queryCountResponses = "SELECT COUNT(*) FROM responses"

	querySelectResponse = `
		SELECT previous_id, status, instructions, body, history, created_at,
			(SELECT name FROM conversations
			 WHERE response_seq = responses.seq ORDER BY updated_at DESC, name LIMIT 1)
		FROM responses WHERE seq = ? AND id = ? AND session_key = ?`

	queryTouch = "UPDATE responses SET accessed_at = ? WHERE seq = ?"

	queryDeleteResponse = `
		DELETE FROM responses WHERE seq = ? AND id = ? AND session_key = ?`

	queryConversation = `
		SELECT r.id FROM conversations AS c JOIN responses AS r ON r.seq = c.response_seq
		WHERE c.session_key = ? AND c.name = ?`

	queryDeleteExpiredKeys = `
		DELETE FROM idempotency WHERE (session_key, key) IN (
			SELECT session_key, key FROM idempotency WHERE expires_at <= ? LIMIT ?)`

	queryReadKey = `
		SELECT fingerprint, state, owner, status, body, expires_at
		FROM idempotency WHERE session_key = ? AND key = ?`

	queryTakeKey = `
		INSERT OR REPLACE INTO idempotency (session_key, key, fingerprint, state, owner,
			status, body, ttl, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, 0, NULL, ?, ?, ?)`

	queryReleaseKey = "DELETE FROM idempotency WHERE session_key = ? AND key = ? AND state = ?"

	// The expiry saturates at the largest int64, so a very long TTL cannot
	// wrap to an expiry in the past.
	queryStoreAnswer = `
		UPDATE idempotency SET state = ?, owner = '', status = ?, body = ?,
			expires_at = CASE WHEN ? > 9223372036854775807 - ttl THEN 9223372036854775807
				ELSE ? + ttl END
		WHERE session_key = ? AND key = ? AND state = ?`

	queryKeyState = "SELECT state FROM idempotency WHERE session_key = ? AND key = ?"
)

// statements contains the prepared forms of the queries above. database/sql
// prepares each one again by itself if it ever replaces the connection.
// A method that runs inside a transaction binds a statement to it with
// tx.StmtContext, which reuses the statement prepared on the connection,
// or through txStatements when the transaction runs it more than once.
type statements struct {
	insertResponse    *sql.Stmt
	replaceResponse   *sql.Stmt
	pointConversation *sql.Stmt
	evict             *sql.Stmt
	countResponses    *sql.Stmt
	selectResponse    *sql.Stmt
	touch             *sql.Stmt
	deleteResponse    *sql.Stmt
	conversation      *sql.Stmt
	deleteExpiredKeys *sql.Stmt
	readKey           *sql.Stmt
	takeKey           *sql.Stmt
	releaseKey        *sql.Stmt
	storeAnswer       *sql.Stmt
	keyState          *sql.Stmt
}

// fields pairs each statement with its query.
func (st *statements) fields() []struct {
	stmt  **sql.Stmt
	query string
} {
	return []struct {
		stmt  **sql.Stmt
		query string
	}{
		{&st.insertResponse, queryInsertResponse},
		{&st.replaceResponse, queryReplaceResponse},
		{&st.pointConversation, queryPointConversation},
		{&st.evict, queryEvict},
		{&st.countResponses, queryCountResponses},
		{&st.selectResponse, querySelectResponse},
		{&st.touch, queryTouch},
		{&st.deleteResponse, queryDeleteResponse},
		{&st.conversation, queryConversation},
		{&st.deleteExpiredKeys, queryDeleteExpiredKeys},
		{&st.readKey, queryReadKey},
		{&st.takeKey, queryTakeKey},
		{&st.releaseKey, queryReleaseKey},
		{&st.storeAnswer, queryStoreAnswer},
		{&st.keyState, queryKeyState},
	}
}

// prepareStatements prepares every statement on db. On error it closes
// the ones already prepared and returns the error.
func prepareStatements(ctx context.Context, db *sql.DB) (*statements, error) {
	st := &statements{}
	for _, f := range st.fields() {
		//nolint:sqlclosecheck // statements.close closes it
		stmt, err := db.PrepareContext(ctx, f.query)
		if err != nil {
			_ = st.close()
			return nil, classify(fmt.Errorf("preparing statement: %w", err))
		}
		*f.stmt = stmt
	}
	return st, nil
}

// close closes every prepared statement. It is safe to call twice and on
// a nil *statements.
func (st *statements) close() error {
	if st == nil {
		return nil
	}
	var errs []error
	for _, f := range st.fields() {
		if *f.stmt == nil {
			continue
		}
		if err := (*f.stmt).Close(); err != nil {
			errs = append(errs, err)
		}
		*f.stmt = nil
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("closing prepared statements: %w", err)
	}
	return nil
}

// txStatements binds prepared statements to one transaction, each at most
// once, because every tx.StmtContext call allocates a new binding.
type txStatements struct {
	tx    *sql.Tx
	bound []boundStatement
}

type boundStatement struct {
	prepared *sql.Stmt
	inTx     *sql.Stmt
}

// exec runs prepared in the transaction.
func (b *txStatements) exec(
	ctx context.Context, prepared *sql.Stmt, args ...any,
) (sql.Result, error) {
	stmt := b.bind(ctx, prepared) //nolint:sqlclosecheck // txStatements.close
	return stmt.ExecContext(ctx, args...)
}

// query runs prepared in the transaction and returns its rows.
func (b *txStatements) query(
	ctx context.Context, prepared *sql.Stmt, args ...any,
) (*sql.Rows, error) {
	stmt := b.bind(ctx, prepared) //nolint:sqlclosecheck // txStatements.close
	return stmt.QueryContext(ctx, args...)
}

// queryRow runs prepared in the transaction and returns its first row.
func (b *txStatements) queryRow(
	ctx context.Context, prepared *sql.Stmt, args ...any,
) *sql.Row {
	stmt := b.bind(ctx, prepared) //nolint:sqlclosecheck // txStatements.close
	return stmt.QueryRowContext(ctx, args...)
}

func (b *txStatements) bind(ctx context.Context, prepared *sql.Stmt) *sql.Stmt {
	for _, s := range b.bound {
		if s.prepared == prepared {
			return s.inTx
		}
	}
	inTx := b.tx.StmtContext(ctx, prepared) //nolint:sqlclosecheck // txStatements.close
	b.bound = append(b.bound, boundStatement{prepared: prepared, inTx: inTx})
	return inTx
}

// close releases the bindings. The transaction also releases them when it
// ends, so close only returns them sooner.
func (b *txStatements) close() {
	for _, s := range b.bound {
		_ = s.inTx.Close()
	}
	b.bound = b.bound[:0]
}
