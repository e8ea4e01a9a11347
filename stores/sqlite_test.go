package stores

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/actorgate/actorgate/messages"
)

func pragmaInt(t *testing.T, db *sql.DB, name string) int {
	t.Helper()
	var v int
	if err := db.QueryRow("PRAGMA " + name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

func TestOpenSQLitePragmas(t *testing.T) {
	s := openSQLiteStore(t, filepath.Join(t.TempDir(), "r.db"), 10, newTestClock())
	put(t, s, newResponse(t, "a"))

	if s.JournalMode() != JournalWAL {
		t.Errorf("JournalMode = %q, want wal", s.JournalMode())
	}
	var mode, integrity string
	if err := s.db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("PRAGMA journal_mode = %q, %v; want wal", mode, err)
	}
	if err := s.db.QueryRow("PRAGMA integrity_check").Scan(&integrity); err != nil || integrity != "ok" {
		t.Errorf("PRAGMA integrity_check = %q, %v; want ok", integrity, err)
	}
	want := map[string]int{
		"synchronous":  1, // NORMAL
		"foreign_keys": 1,
		"busy_timeout": busyTimeoutMillis,
		"user_version": len(responsesMigrations),
	}
	for name, v := range want {
		if got := pragmaInt(t, s.db, name); got != v {
			t.Errorf("PRAGMA %s = %d, want %d", name, got, v)
		}
	}
	if n := s.db.Stats().MaxOpenConnections; n != 1 {
		t.Errorf("MaxOpenConnections = %d, want 1", n)
	}
}

func TestOpenSQLiteFileModes(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "r.db")
	s := openSQLiteStore(t, path, 10, newTestClock())
	put(t, s, newResponse(t, "a"))

	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(name)
		if err != nil {
			t.Errorf("stat %s: %v", filepath.Base(name), err)
			continue
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s mode = %o, want 600", filepath.Base(name), perm)
		}
	}
}

func TestOpenSQLiteTightensMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	openSQLiteStore(t, path, 10, newTestClock())

	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("mode of an existing 0644 database = %o, want 600", perm)
	}
}

func TestOpenSQLiteJournalFallback(t *testing.T) {
	// SQLite's unix-none and unix-dotfile VFSes cannot provide the shared
	// memory WAL needs, as on a network mount, so SQLite keeps the
	// rollback journal.
	for _, vfs := range []string{"unix-none", "unix-dotfile"} {
		t.Run(vfs, func(t *testing.T) {
			core, logs := observer.New(zapcore.WarnLevel)
			db, mode, err := openSQLite(filepath.Join(t.TempDir(), "r.db"), zap.New(core), vfs)
			if err != nil {
				t.Fatalf("openSQLite: %v", err)
			}
			defer db.Close()

			if mode != JournalDelete {
				t.Errorf("mode = %q, want delete", mode)
			}
			if got := pragmaInt(t, db, "synchronous"); got != 2 {
				t.Errorf("synchronous = %d, want 2 (FULL) under the rollback journal", got)
			}
			if n := logs.FilterMessageSnippet("rollback journal").Len(); n != 1 {
				t.Errorf("fallback warnings = %d, want 1", n)
			}
			if _, err := db.Exec("CREATE TABLE t (x INTEGER)"); err != nil {
				t.Errorf("writing under the rollback journal: %v", err)
			}
		})
	}
}

func TestOpenSQLiteInvalidPath(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"empty":     "",
		"blank":     "  ",
		"uri":       "file:" + filepath.Join(dir, "x.db"),
		"memory":    ":memory:",
		"directory": dir,
	}
	for name, path := range cases {
		t.Run(name, func(t *testing.T) {
			db, _, err := OpenSQLite(path, nil)
			if db != nil {
				db.Close()
			}
			if !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("err = %v, want ErrInvalidArgument", err)
			}
		})
	}
}

func TestOpenSQLiteSpecialCharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a b?c#d%20e")
	path := filepath.Join(dir, "r&x=1.db")
	s := openSQLiteStore(t, path, 10, newTestClock())
	put(t, s, newResponse(t, "a"))

	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at the path given: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Errorf("files beside the database directory = %d, want 1", len(entries))
	}
}

func TestOpenResponsesInvalidMax(t *testing.T) {
	for _, max := range []int{0, -1} {
		s, err := OpenResponses(filepath.Join(t.TempDir(), "r.db"), max, nil)
		if s != nil {
			s.Close()
		}
		if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "maxResponses") {
			t.Errorf("max %d: err = %v, want ErrInvalidArgument naming maxResponses", max, err)
		}
	}
}

func TestSchemaTooNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	db, _, err := OpenSQLite(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := OpenResponses(path, 10, nil)
	if s != nil {
		s.Close()
	}
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("err = %v, want ErrSchemaTooNew", err)
	}
	want := fmt.Sprintf("database schema version 99 is newer than this actorgate "+
		"supports (%d); upgrade actorgate", len(responsesMigrations))
	if err.Error() != want {
		t.Errorf("message = %q, want %q", err.Error(), want)
	}
	if n := openFDs(t, path); n != 0 {
		t.Errorf("file descriptors left open on the database = %d, want 0", n)
	}
}

func TestThreadSequence(t *testing.T) {
	s := openSQLiteStore(t, filepath.Join(t.TempDir(), "r.db"), 10, newTestClock())
	first := newResponse(t, "a")
	second := chained(t, first)
	third := chained(t, second)
	other := newResponse(t, "a")
	put(t, s, first)
	put(t, s, second, other, third)

	second.Body = json.RawMessage(`{"replaced":true}`)
	put(t, s, second)

	seqs := make(map[string]int64)
	for _, id := range []string{first.ID, second.ID, other.ID, third.ID} {
		var seq int64
		if err := s.db.QueryRow("SELECT seq FROM responses WHERE id = ?", id).Scan(&seq); err != nil {
			t.Fatalf("seq of %s: %v", id, err)
		}
		seqs[id] = seq
	}
	if seqs[first.ID] >= seqs[second.ID] {
		t.Errorf("seq of first = %d, want below second's %d", seqs[first.ID], seqs[second.ID])
	}
	if seqs[second.ID] >= seqs[third.ID] {
		t.Errorf("seq of replaced second = %d, want below third's %d",
			seqs[second.ID], seqs[third.ID])
	}

	all, err := ReadAllResponses(s.Path())
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
		t.Errorf("thread order = %v, want %v", thread, want)
	}

	_, err = s.db.Exec(`INSERT INTO responses (seq, id_hash, id, session_key, status, body,
		history, created_at, accessed_at) VALUES (?, ?, ?, 'a', 'completed', x'7b7d', x'', 0, 0)`,
		seqs[second.ID], 0, newID(t, threadKey(first.ID)))
	if err == nil || !strings.Contains(err.Error(), "UNIQUE") {
		t.Errorf("second writer taking a used seq: err = %v, want a UNIQUE constraint failure", err)
	}
}

func TestExpiredKeysDeletedOnPut(t *testing.T) {
	clock := newTestClock()
	s := openSQLiteStore(t, filepath.Join(t.TempDir(), "r.db"), 10, clock)
	now := clock.Now()
	for _, key := range []string{"a", "b", "c"} {
		if _, err := begin(s, "s", key, "fp", time.Minute, now); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := begin(s, "s", "kept", "fp", time.Hour, now); err != nil {
		t.Fatal(err)
	}

	clock.Advance(2 * time.Minute)
	put(t, s, newResponse(t, "s"))

	var n int
	if err := s.db.QueryRow("SELECT COUNT(*) FROM idempotency").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("idempotency rows after Put = %d, want 1 (the unexpired key)", n)
	}
}

func TestCloseReleasesFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	s, err := OpenResponses(path, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	put(t, s, newResponse(t, "a"))
	if n := openFDs(t, path); n != 1 {
		t.Errorf("open file descriptors on the database = %d, want 1", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		if n := openFDs(t, name); n != 0 {
			t.Errorf("file descriptors left on %s = %d, want 0", filepath.Base(name), n)
		}
	}
}

func wantUnavailable(t *testing.T, what string, err error, cause string) {
	t.Helper()
	if !errors.Is(err, messages.ErrStoreUnavailable) {
		t.Fatalf("%s: err = %v, want messages.ErrStoreUnavailable", what, err)
	}
	if !strings.Contains(err.Error(), cause) {
		t.Errorf("%s: err = %q, want the cause %q", what, err, cause)
	}
}

func TestReadOnlyDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	clock := newTestClock()
	s := openSQLiteStore(t, path, 10, clock)
	stored := newResponse(t, "a")
	put(t, s, stored)
	s.Close()

	restore := setReadOnly(t, path)
	s = openSQLiteStore(t, path, 10, clock)
	mustGet(t, s, "a", stored.ID)
	err := s.Put(context.Background(), []messages.StoredResponse{newResponse(t, "a")})
	wantUnavailable(t, "Put", err, "database is read-only")
	_, err = begin(s, "a", "k", "fp", time.Hour, clock.Now())
	wantUnavailable(t, "BeginIdempotent", err, "database is read-only")
	mustGet(t, s, "a", stored.ID)

	restore()
	put(t, s, newResponse(t, "a"))
	if n := count(t, s); n != 2 {
		t.Errorf("Count after the fault cleared = %d, want 2", n)
	}
	if n := openFDs(t, path); n != 1 {
		t.Errorf("open file descriptors on the database after reopening = %d, want 1", n)
	}
}

func TestReadOnlyDirectory(t *testing.T) {
	t.Run("new database", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		setReadOnly(t, dir)
		_, err := OpenResponses(filepath.Join(dir, "r.db"), 10, nil)
		wantUnavailable(t, "OpenResponses", err, "not writable")
	})
	t.Run("closed database", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		path := filepath.Join(dir, "r.db")
		s := openSQLiteStore(t, path, 10, newTestClock())
		put(t, s, newResponse(t, "a"))
		s.Close()

		restore := setReadOnly(t, dir)
		_, err := OpenResponses(path, 10, nil)
		wantUnavailable(t, "OpenResponses", err, "not writable")
		if n := openFDs(t, path); n != 0 {
			t.Errorf("file descriptors left on the database = %d, want 0", n)
		}
		restore()
		openSQLiteStore(t, path, 10, newTestClock())
	})
	t.Run("open database", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		s := openSQLiteStore(t, filepath.Join(dir, "r.db"), 10, newTestClock())
		stored := newResponse(t, "a")
		put(t, s, stored)

		setReadOnly(t, dir)
		mustGet(t, s, "a", stored.ID)
		put(t, s, newResponse(t, "a"))
	})
}

func TestDiskFull(t *testing.T) {
	s := openSQLiteStore(t, filepath.Join(t.TempDir(), "r.db"), 100, newTestClock())
	stored := newResponse(t, "a")
	put(t, s, stored)
	pages := pragmaInt(t, s.db, "page_count")
	if _, err := s.db.Exec(fmt.Sprintf("PRAGMA max_page_count = %d", pages)); err != nil {
		t.Fatal(err)
	}

	big := newResponse(t, "a")
	big.Body = json.RawMessage(`"` + strings.Repeat("x", 64<<10) + `"`)
	err := s.Put(context.Background(), []messages.StoredResponse{big})
	wantUnavailable(t, "Put on a full database", err, "disk is full")
	mustGet(t, s, "a", stored.ID)

	if _, err := s.db.Exec("PRAGMA max_page_count = 1073741823"); err != nil {
		t.Fatal(err)
	}
	put(t, s, big)
	mustGet(t, s, "a", big.ID)
}
