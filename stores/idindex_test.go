package stores

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/actorgate/actorgate/messages"
)

// failOn makes every write of the given kind ("INSERT" or "DELETE") to
// the row with id fail, through a temporary trigger on the store's single
// connection, and returns a function that removes the trigger.
func failOn(t *testing.T, s *SQLiteResponses, kind, id string) (remove func()) {
	t.Helper()
	row := "NEW"
	if kind == "DELETE" {
		row = "OLD"
	}
	_, err := s.db.Exec(`CREATE TEMP TRIGGER fail_write BEFORE ` + kind + ` ON responses
		WHEN ` + row + `.id = '` + id + `' BEGIN SELECT RAISE(ABORT, 'injected failure'); END`)
	if err != nil {
		t.Fatalf("creating trigger: %v", err)
	}
	return func() {
		t.Helper()
		if _, err := s.db.Exec("DROP TRIGGER temp.fail_write"); err != nil {
			t.Fatalf("dropping trigger: %v", err)
		}
	}
}

func TestIDIndexUndoesFailedInsert(t *testing.T) {
	s := openSQLiteStore(t, filepath.Join(t.TempDir(), "r.db"), 10, newTestClock())
	first, second := newResponse(t, "a"), newResponse(t, "a")
	remove := failOn(t, s, "INSERT", second.ID)

	err := s.Put(context.Background(), []messages.StoredResponse{first, second})
	if err == nil {
		t.Fatal("Put with a failing insert: err = nil, want an error")
	}
	_, err = s.Get(context.Background(), "a", first.ID)
	wantNotFound(t, "Get of a response whose transaction failed", err)

	remove()
	put(t, s, first, second)
	mustGet(t, s, "a", first.ID)
	mustGet(t, s, "a", second.ID)
	if n := count(t, s); n != 2 {
		t.Errorf("Count = %d, want 2", n)
	}
}

func TestIDIndexUndoesFailedEviction(t *testing.T) {
	s := openSQLiteStore(t, filepath.Join(t.TempDir(), "r.db"), 2, newTestClock())
	oldest, newer, newest := newResponse(t, "a"), newResponse(t, "a"), newResponse(t, "a")
	put(t, s, oldest)
	put(t, s, newer)
	remove := failOn(t, s, "DELETE", oldest.ID)

	if err := s.Put(context.Background(), []messages.StoredResponse{newest}); err == nil {
		t.Fatal("Put with a failing eviction: err = nil, want an error")
	}
	mustGet(t, s, "a", oldest.ID)
	mustGet(t, s, "a", newer.ID)
	_, err := s.Get(context.Background(), "a", newest.ID)
	wantNotFound(t, "Get of a response whose transaction failed", err)

	remove()
	put(t, s, newest)
	_, err = s.Get(context.Background(), "a", oldest.ID)
	wantNotFound(t, "Get of the evicted response", err)
	mustGet(t, s, "a", newest.ID)
}

func TestIDIndexReplaceKeepsRow(t *testing.T) {
	s := openSQLiteStore(t, filepath.Join(t.TempDir(), "r.db"), 10, newTestClock())
	r := newResponse(t, "a")
	put(t, s, r)
	seq, ok := s.ids.lookup(r.ID)
	if !ok {
		t.Fatal("stored id missing from the id index")
	}

	r.Status = messages.ResponseIncomplete
	put(t, s, r)
	if got, _ := s.ids.lookup(r.ID); got != seq {
		t.Errorf("seq after replace = %d, want %d", got, seq)
	}
	if got := mustGet(t, s, "a", r.ID); got.Status != messages.ResponseIncomplete {
		t.Errorf("Status after replace = %q, want %q", got.Status, messages.ResponseIncomplete)
	}

	other := r
	other.SessionKey = "b"
	err := s.Put(context.Background(), []messages.StoredResponse{other})
	var batchErr *BatchError
	if !errors.As(err, &batchErr) || !errors.Is(batchErr.Errs[0], ErrIDInUse) {
		t.Errorf("Put of the id under another session key: err = %v, want ErrIDInUse", err)
	}
}

func TestIDIndexLoadedOnOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	s := openSQLiteStore(t, path, 10, newTestClock())
	survivor, deleted := newResponse(t, "a"), newResponse(t, "a")
	put(t, s, survivor, deleted)
	if err := s.Delete(context.Background(), "a", deleted.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = openSQLiteStore(t, path, 10, newTestClock())
	if n := len(s.ids.seqs); n != 1 {
		t.Errorf("ids loaded = %d, want 1", n)
	}
	mustGet(t, s, "a", survivor.ID)
	_, err := s.Get(context.Background(), "a", deleted.ID)
	wantNotFound(t, "Get of a deleted response after reopening", err)
}
