package stores

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/actorgate/actorgate/messages"
)

func TestIntegrityCheckSoundDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "responses.db")
	s := openSQLiteStore(t, path, 100, newTestClock())
	first := newResponse(t, "a")
	second := chained(t, first)
	second.Conversation = "chat"
	other := newResponse(t, "b")
	put(t, s, first, second, other)

	// The store is still open, so the rows may sit in the WAL only.
	if err := IntegrityCheck(path); err != nil {
		t.Fatalf("IntegrityCheck with the writer open: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := IntegrityCheck(path); err != nil {
		t.Fatalf("IntegrityCheck after Close: %v", err)
	}

	got, err := ReadAllResponses(path)
	if err != nil {
		t.Fatalf("ReadAllResponses: %v", err)
	}
	want := map[string]string{first.ID: "", second.ID: "chat", other.ID: ""}
	if len(got) != len(want) {
		t.Fatalf("ReadAllResponses returned %d responses, want %d", len(got), len(want))
	}
	for _, r := range got {
		conv, ok := want[r.ID]
		if !ok {
			t.Errorf("unexpected response %s", r.ID)
			continue
		}
		if r.Conversation != conv {
			t.Errorf("%s: conversation = %q, want %q", r.ID, r.Conversation, conv)
		}
		if !json.Valid(r.Body) || !json.Valid(r.History) {
			t.Errorf("%s: body or history is not valid JSON", r.ID)
		}
	}
}

func TestIntegrityCheckCorruptPage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "responses.db")
	s := openSQLiteStore(t, path, 1000, newTestClock())
	for range 10 {
		rs := make([]messages.StoredResponse, 20)
		for i := range rs {
			rs[i] = newResponse(t, "a")
			rs[i].History = json.RawMessage(`["` + string(bytes.Repeat([]byte("x"), 2000)) + `"]`)
		}
		put(t, s, rs...)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	info, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() < 16*4096 {
		t.Fatalf("database is only %d bytes; the test needs more pages", info.Size())
	}
	// Overwrite the middle pages, leaving the header and schema page intact.
	garbage := bytes.Repeat([]byte{0xA5}, 4*4096)
	if _, err := f.WriteAt(garbage, info.Size()/2); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	err = IntegrityCheck(path)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("IntegrityCheck of a corrupt file: err = %v, want ErrCorrupt", err)
	}
	t.Logf("integrity error: %v", err)
}

func TestIntegrityCheckMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.db")
	if err := IntegrityCheck(path); err == nil {
		t.Fatal("IntegrityCheck of a missing file returned nil")
	}
	if _, err := ReadAllResponses(path); err == nil {
		t.Fatal("ReadAllResponses of a missing file returned nil")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the check created %s (stat err = %v)", path, err)
	}
}
