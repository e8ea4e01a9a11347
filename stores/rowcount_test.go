package stores

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/actorgate/actorgate/messages"
)

// wantRows checks that the in-memory row count matches both want and the
// responses table.
func wantRows(t *testing.T, s *SQLiteResponses, step string, want int) {
	t.Helper()
	if s.rows != want {
		t.Errorf("%s: in-memory row count = %d, want %d", step, s.rows, want)
	}
	var table int
	if err := s.db.QueryRow("SELECT COUNT(*) FROM responses").Scan(&table); err != nil {
		t.Fatalf("%s: counting the table: %v", step, err)
	}
	if s.rows != table {
		t.Errorf("%s: in-memory row count = %d, table has %d", step, s.rows, table)
	}
}

func TestRowCountFollowsWrites(t *testing.T) {
	s := openSQLiteStore(t, filepath.Join(t.TempDir(), "r.db"), 5, newTestClock())
	wantRows(t, s, "empty store", 0)

	first, second := newResponse(t, "a"), newResponse(t, "a")
	put(t, s, first, second)
	wantRows(t, s, "after two inserts", 2)

	first.Status = messages.ResponseIncomplete
	put(t, s, first)
	wantRows(t, s, "after a replace", 2)

	taken := first
	taken.SessionKey = "b"
	err := s.Put(context.Background(), []messages.StoredResponse{taken, newResponse(t, "b")})
	if err == nil {
		t.Fatal("Put of an id owned by another session: err = nil, want a *BatchError")
	}
	wantRows(t, s, "after a batch with one id in use", 3)

	if err := s.Delete(context.Background(), "a", second.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantRows(t, s, "after a delete", 2)
	if err := s.Delete(context.Background(), "a", second.ID); err == nil {
		t.Fatal("second Delete: err = nil, want not found")
	}
	wantRows(t, s, "after deleting a missing id", 2)

	for range 6 {
		put(t, s, newResponse(t, "a"))
	}
	wantRows(t, s, "after evictions", 5)
	put(t, s, newResponse(t, "a"), newResponse(t, "a"), newResponse(t, "a"))
	wantRows(t, s, "after a batch that evicts", 5)
}

func TestRowCountUnchangedByRollback(t *testing.T) {
	s := openSQLiteStore(t, filepath.Join(t.TempDir(), "r.db"), 100, newTestClock())
	put(t, s, newResponse(t, "a"))
	pages := pragmaInt(t, s.db, "page_count")
	if _, err := s.db.Exec(fmt.Sprintf("PRAGMA max_page_count = %d", pages)); err != nil {
		t.Fatal(err)
	}

	// The small response is inserted first, and the whole transaction
	// rolls back when the large one does not fit.
	big := newResponse(t, "a")
	big.Body = json.RawMessage(`"` + strings.Repeat("x", 64<<10) + `"`)
	err := s.Put(context.Background(), []messages.StoredResponse{newResponse(t, "a"), big})
	wantUnavailable(t, "Put on a full database", err, "disk is full")
	wantRows(t, s, "after the rolled-back Put", 1)

	if _, err := s.db.Exec("PRAGMA max_page_count = 1073741823"); err != nil {
		t.Fatal(err)
	}
	put(t, s, big)
	wantRows(t, s, "after the database has room again", 2)
}

func TestRowCountSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	clock := newTestClock()
	s := openSQLiteStore(t, path, 10, clock)
	for range 4 {
		put(t, s, newResponse(t, "a"))
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = openSQLiteStore(t, path, 10, clock)
	wantRows(t, s, "after reopening", 4)
	put(t, s, newResponse(t, "a"))
	wantRows(t, s, "after a write on the reopened store", 5)
}

func TestRowCountRecountsWhenTooHigh(t *testing.T) {
	s := openSQLiteStore(t, filepath.Join(t.TempDir(), "r.db"), 3, newTestClock())
	put(t, s, newResponse(t, "a"))

	// A count far above the table makes eviction delete fewer rows than
	// it asked for, which must bring the count back to the table.
	s.rows = 10
	put(t, s, newResponse(t, "a"))
	wantRows(t, s, "after a recount", 0)
}

func TestExpiredKeysSweptOncePerInterval(t *testing.T) {
	clock := newTestClock()
	s := openSQLiteStore(t, filepath.Join(t.TempDir(), "r.db"), 10, clock)
	put(t, s, newResponse(t, "s"))

	start := clock.Now()
	if _, err := begin(s, "s", "short", "fp", 100*time.Millisecond, start); err != nil {
		t.Fatal(err)
	}
	if err := finish(s, "s", "short", 200, "{}", start); err != nil {
		t.Fatal(err)
	}

	clock.Advance(keySweepInterval / 2)
	put(t, s, newResponse(t, "s"))
	if n := idempotencyRows(t, s); n != 1 {
		t.Errorf("idempotency rows within the sweep interval = %d, want 1", n)
	}
	reply, err := begin(s, "s", "short", "fp", 100*time.Millisecond, clock.Now())
	wantState(t, "Begin of an expired key not yet swept", reply, err, messages.IdempotencyNew)

	clock.Advance(keySweepInterval)
	put(t, s, newResponse(t, "s"))
	if n := idempotencyRows(t, s); n != 0 {
		t.Errorf("idempotency rows after the sweep interval = %d, want 0", n)
	}
}

func TestExpiredKeysSweepCatchesUp(t *testing.T) {
	clock := newTestClock()
	s := openSQLiteStore(t, filepath.Join(t.TempDir(), "r.db"), 10, clock)
	put(t, s, newResponse(t, "s"))

	keys := expiredBatch + 10
	start := clock.Now()
	for i := range keys {
		if _, err := begin(s, "s", fmt.Sprint("k", i), "fp", time.Millisecond, start); err != nil {
			t.Fatal(err)
		}
	}

	// The first sweep deletes a full batch, so the next Put sweeps again
	// without waiting for the interval.
	clock.Advance(keySweepInterval)
	put(t, s, newResponse(t, "s"))
	if n := idempotencyRows(t, s); n != keys-expiredBatch {
		t.Errorf("idempotency rows after one sweep = %d, want %d", n, keys-expiredBatch)
	}
	put(t, s, newResponse(t, "s"))
	if n := idempotencyRows(t, s); n != 0 {
		t.Errorf("idempotency rows after the second sweep = %d, want 0", n)
	}
}

func idempotencyRows(t *testing.T, s *SQLiteResponses) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow("SELECT COUNT(*) FROM idempotency").Scan(&n); err != nil {
		t.Fatalf("counting idempotency rows: %v", err)
	}
	return n
}

func TestCloseClosesStatements(t *testing.T) {
	s := openSQLiteStore(t, filepath.Join(t.TempDir(), "r.db"), 10, newTestClock())
	put(t, s, newResponse(t, "a"))
	stmts := s.stmts
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if s.stmts != nil {
		t.Error("statements kept after Close")
	}
	for _, f := range stmts.fields() {
		if *f.stmt != nil {
			t.Errorf("statement %q left open after Close", strings.TrimSpace(f.query))
		}
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
