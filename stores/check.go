package stores

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/actorgate/actorgate/messages"
)

// maxIntegrityProblems bounds the problems IntegrityCheck reports.
const maxIntegrityProblems = 20

// IntegrityCheck opens the database at path read-only and runs PRAGMA
// integrity_check and PRAGMA foreign_key_check. It returns nil for a sound
// database and otherwise an error wrapping ErrCorrupt that lists up to 20
// problems. It is meant for a database that no other process is writing,
// for example after a crash and before the gateway starts again.
func IntegrityCheck(path string) error {
	db, err := openReadOnly(path)
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()

	ctx := context.Background()
	problems, err := pragmaRows(ctx, db, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("%w: %s: integrity_check failed: %w", ErrCorrupt, path, err)
	}
	if len(problems) == 1 && problems[0] == "ok" {
		problems = nil
	}
	fk, err := pragmaRows(ctx, db, "PRAGMA foreign_key_check")
	if err != nil {
		return fmt.Errorf("%w: %s: foreign_key_check failed: %w", ErrCorrupt, path, err)
	}
	for _, row := range fk {
		problems = append(problems, "foreign key violation: "+row)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s: %s", ErrCorrupt, path,
			strings.Join(problems[:min(len(problems), maxIntegrityProblems)], "; "))
	}
	return nil
}

// ReadAllResponses opens the database at path read-only and returns every
// stored response of every session, ordered by thread and sequence. Like
// IntegrityCheck, it is meant for offline checks of a database that no
// other process is writing.
func ReadAllResponses(path string) ([]messages.StoredResponse, error) {
	db, err := openReadOnly(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = db.Close() }()

	// Characters 6 to 21 of an id are its thread key, and seq grows with
	// each insert, so the rows come out thread by thread, in turn order.
	rows, err := db.QueryContext(context.Background(), `
		SELECT id, session_key, previous_id, status, instructions, body, history, created_at,
			(SELECT name FROM conversations
			 WHERE response_seq = responses.seq ORDER BY updated_at DESC, name LIMIT 1)
		FROM responses ORDER BY substr(id, 6, 16), seq`)
	if err != nil {
		return nil, classify(fmt.Errorf("reading responses from %s: %w", path, err))
	}
	defer func() { _ = rows.Close() }()

	var out []messages.StoredResponse
	for rows.Next() {
		r, err := scanStoredResponse(rows)
		if err != nil {
			return nil, classify(fmt.Errorf("reading responses from %s: %w", path, err))
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(fmt.Errorf("reading responses from %s: %w", path, err))
	}
	return out, nil
}

func scanStoredResponse(rows *sql.Rows) (messages.StoredResponse, error) {
	var (
		r                                    messages.StoredResponse
		previous, instructions, conversation sql.NullString
		createdAt                            int64
		body, history                        []byte
	)
	err := rows.Scan(&r.ID, &r.SessionKey, &previous, &r.Status, &instructions, &body, &history,
		&createdAt, &conversation)
	if err != nil {
		return r, err
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

// openReadOnly opens an existing database file read-only with one
// connection. SQLite still replays a WAL left behind by a crashed writer
// into its shared memory index, so the reader sees every committed
// transaction.
func openReadOnly(path string) (*sql.DB, error) {
	abs, err := databasePath(path)
	if err != nil {
		return nil, err
	}
	if err := checkRegularFile(abs); err != nil {
		return nil, err
	}
	query := url.Values{}
	query.Set("mode", "ro")
	query.Set("_busy_timeout", fmt.Sprint(busyTimeoutMillis))
	uri := url.URL{Scheme: "file", Path: abs, RawQuery: query.Encode()}
	db := sql.OpenDB(&connector{dsn: uri.String(), driver: &sqlite3.SQLiteDriver{}})
	db.SetMaxOpenConns(1)
	if err := db.PingContext(context.Background()); err != nil {
		_ = db.Close()
		return nil, classify(fmt.Errorf("opening database %s read-only: %w", abs, err))
	}
	return db, nil
}

// pragmaRows runs a PRAGMA and returns each row's columns joined by
// spaces.
func pragmaRows(ctx context.Context, db *sql.DB, pragma string) ([]string, error) {
	rows, err := db.QueryContext(ctx, pragma)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()

	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		values := make([]sql.NullString, len(cols))
		dest := make([]any, len(cols))
		for i := range values {
			dest[i] = &values[i]
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		parts := make([]string, len(values))
		for i, v := range values {
			parts[i] = v.String
		}
		out = append(out, strings.Join(parts, " "))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
