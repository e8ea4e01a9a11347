package stores

import (
	"context"
	"database/sql"
	"hash/fnv"
	"path/filepath"
	"slices"
	"testing"

	"github.com/actorgate/actorgate/messages"
)

// v1Response is a row as version 1 of the schema stored it.
type v1Response struct {
	r            messages.StoredResponse
	seq          int
	conversation string
}

// openAtVersion opens a new database at path with the schema versions up
// to version. The caller closes it.
func openAtVersion(t *testing.T, path string, version int) *sql.DB {
	t.Helper()
	db, _, err := OpenSQLite(path, nil)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	if err := migrate(context.Background(), db, responsesMigrations[:version]); err != nil {
		_ = db.Close()
		t.Fatalf("creating schema version %d: %v", version, err)
	}
	return db
}

// createV1Database writes rows into a new database at path that has only
// version 1 of the schema, as a release before version 2 left it.
func createV1Database(t *testing.T, path string, rows []v1Response) {
	t.Helper()
	db := openAtVersion(t, path, 1)
	defer func() { _ = db.Close() }()
	ctx := context.Background()
	for i, row := range rows {
		r := row.r
		_, err := db.ExecContext(ctx, `INSERT INTO responses (id, session_key, thread_key, seq,
			previous_id, status, instructions, body, history, created_at, accessed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.SessionKey, threadKey(r.ID), row.seq, nullIfEmpty(r.PreviousID), r.Status,
			nullIfEmpty(r.Instructions), []byte(r.Body), historyBlob(r.History), int64(i+1),
			int64(len(rows)-i))
		if err != nil {
			t.Fatalf("inserting version 1 row %s: %v", r.ID, err)
		}
		if row.conversation == "" {
			continue
		}
		_, err = db.ExecContext(ctx, `INSERT INTO conversations (session_key, name,
			response_id, updated_at) VALUES (?, ?, ?, ?)`,
			r.SessionKey, row.conversation, r.ID, int64(i+1))
		if err != nil {
			t.Fatalf("inserting version 1 conversation %s: %v", row.conversation, err)
		}
	}
	_, err := db.ExecContext(ctx, `INSERT INTO idempotency (session_key, key, fingerprint, state,
		owner, status, body, ttl, created_at, expires_at)
		VALUES ('a', 'key-1', 'fp', 'done', '', 200, x'7b7d', 1, 0, 9223372036854775807)`)
	if err != nil {
		t.Fatalf("inserting version 1 idempotency key: %v", err)
	}
}

func TestMigrateV1KeepsRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	first := newResponse(t, "a")
	first.Instructions = "be brief"
	second := chained(t, first)
	third := chained(t, second)
	other := newResponse(t, "b")
	other.History = nil
	// The rows are inserted out of thread order, so the copy must order
	// each thread by its version 1 sequence, not by rowid.
	rows := []v1Response{
		{r: third, seq: 3, conversation: "chat"},
		{r: other, seq: 1, conversation: "other"},
		{r: first, seq: 1},
		{r: second, seq: 2, conversation: "old"},
	}
	createV1Database(t, path, rows)

	s := openSQLiteStore(t, path, 10, newTestClock())
	var version int
	if err := s.db.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		t.Fatalf("reading user_version: %v", err)
	}
	if version != len(responsesMigrations) {
		t.Errorf("user_version = %d, want %d", version, len(responsesMigrations))
	}
	if n := count(t, s); n != len(rows) {
		t.Errorf("Count = %d, want %d", n, len(rows))
	}
	for _, row := range rows {
		got := mustGet(t, s, row.r.SessionKey, row.r.ID)
		if got.PreviousID != row.r.PreviousID {
			t.Errorf("Get(%s).PreviousID = %q, want %q", row.r.ID, got.PreviousID,
				row.r.PreviousID)
		}
		if got.Instructions != row.r.Instructions {
			t.Errorf("Get(%s).Instructions = %q, want %q", row.r.ID, got.Instructions,
				row.r.Instructions)
		}
		if string(got.Body) != string(row.r.Body) {
			t.Errorf("Get(%s).Body = %s, want %s", row.r.ID, got.Body, row.r.Body)
		}
		if string(got.History) != string(row.r.History) {
			t.Errorf("Get(%s).History = %s, want %s", row.r.ID, got.History, row.r.History)
		}
		if got.Conversation != row.conversation {
			t.Errorf("Get(%s).Conversation = %q, want %q", row.r.ID, got.Conversation,
				row.conversation)
		}
	}
	for name, want := range map[string]string{"chat": third.ID, "old": second.ID} {
		id, err := s.Conversation(context.Background(), "a", name)
		if err != nil || id != want {
			t.Errorf("Conversation(a, %s) = %q, %v, want %q", name, id, err, want)
		}
	}
	reply, err := begin(s, "a", "key-1", "fp", 1, newTestClock().Now())
	wantState(t, "migrated idempotency key", reply, err, messages.IdempotencyDone)

	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	all, err := ReadAllResponses(path)
	if err != nil {
		t.Fatalf("ReadAllResponses: %v", err)
	}
	var thread []string
	for _, r := range all {
		if threadKey(r.ID) == threadKey(first.ID) {
			thread = append(thread, r.ID)
		}
	}
	if want := []string{first.ID, second.ID, third.ID}; !slices.Equal(thread, want) {
		t.Errorf("thread order after migration = %v, want %v", thread, want)
	}
	if err := IntegrityCheck(path); err != nil {
		t.Errorf("IntegrityCheck after migration: %v", err)
	}
}

func TestMigrateV1ThenWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	first := newResponse(t, "a")
	createV1Database(t, path, []v1Response{{r: first, seq: 1, conversation: "chat"}})

	s := openSQLiteStore(t, path, 10, newTestClock())
	second := chained(t, first)
	second.Conversation = "chat"
	put(t, s, second)
	id, err := s.Conversation(context.Background(), "a", "chat")
	if err != nil || id != second.ID {
		t.Errorf("Conversation(a, chat) after a write = %q, %v, want %q", id, err, second.ID)
	}
	if err := s.Delete(context.Background(), "a", second.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err = s.Conversation(context.Background(), "a", "chat")
	wantNotFound(t, "conversation of a deleted migrated response", err)
}

func TestResponseIDHashIsFNV1a(t *testing.T) {
	for _, id := range []string{"", "resp_" + randomHex(t, 48), "resp_" + randomHex(t, 48)} {
		h := fnv.New64a()
		_, _ = h.Write([]byte(id))
		if got, want := responseIDHash(id), int64(h.Sum64()); got != want { //nolint:gosec // a hash
			t.Errorf("responseIDHash(%q) = %d, want %d", id, got, want)
		}
	}
}

// createV2Database writes rows into a new database at path that has
// versions 1 and 2 of the schema, as a release before version 3 left it.
// A conversation named chat points at the first row.
func createV2Database(t *testing.T, path string, rs []messages.StoredResponse) {
	t.Helper()
	db := openAtVersion(t, path, 2)
	defer func() { _ = db.Close() }()
	ctx := context.Background()
	for i, r := range rs {
		_, err := db.ExecContext(ctx, `INSERT INTO responses (id_hash, id, session_key,
			previous_id, status, instructions, body, history, created_at, accessed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			responseIDHash(r.ID), r.ID, r.SessionKey, nullIfEmpty(r.PreviousID), r.Status,
			nullIfEmpty(r.Instructions), []byte(r.Body), historyBlob(r.History), int64(i+1),
			int64(i+1))
		if err != nil {
			t.Fatalf("inserting version 2 row %s: %v", r.ID, err)
		}
	}
	_, err := db.ExecContext(ctx, `INSERT INTO conversations (session_key, name, response_seq,
		updated_at) SELECT session_key, 'chat', seq, 1 FROM responses WHERE id = ?`, rs[0].ID)
	if err != nil {
		t.Fatalf("inserting version 2 conversation: %v", err)
	}
}

func TestMigrateV2DropsIDIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	first := newResponse(t, "a")
	second := chained(t, first)
	other := newResponse(t, "b")
	rs := []messages.StoredResponse{first, second, other}
	createV2Database(t, path, rs)

	s := openSQLiteStore(t, path, 10, newTestClock())
	var version, indexes int
	if err := s.db.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		t.Fatalf("reading user_version: %v", err)
	}
	if version != 3 {
		t.Errorf("user_version = %d, want 3", version)
	}
	err := s.db.QueryRow(`SELECT COUNT(*) FROM sqlite_schema
		WHERE type = 'index' AND name = 'responses_id_hash'`).Scan(&indexes)
	if err != nil {
		t.Fatalf("reading indexes: %v", err)
	}
	if indexes != 0 {
		t.Errorf("responses_id_hash indexes after migration = %d, want 0", indexes)
	}
	if n := count(t, s); n != len(rs) {
		t.Errorf("Count = %d, want %d", n, len(rs))
	}
	for _, r := range rs {
		got := mustGet(t, s, r.SessionKey, r.ID)
		if string(got.Body) != string(r.Body) {
			t.Errorf("Get(%s).Body = %s, want %s", r.ID, got.Body, r.Body)
		}
		if got.PreviousID != r.PreviousID {
			t.Errorf("Get(%s).PreviousID = %q, want %q", r.ID, got.PreviousID, r.PreviousID)
		}
	}
	id, err := s.Conversation(context.Background(), "a", "chat")
	if err != nil || id != first.ID {
		t.Errorf("Conversation(a, chat) = %q, %v, want %q", id, err, first.ID)
	}

	third := chained(t, second)
	put(t, s, third)
	mustGet(t, s, "a", third.ID)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := IntegrityCheck(path); err != nil {
		t.Errorf("IntegrityCheck after migration: %v", err)
	}
}
