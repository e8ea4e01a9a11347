package actorgate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestAcquireLockExcludesSecondOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "test.lock")
	first, _, err := acquireLock(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.writePID(); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o700 {
		t.Errorf("created folder mode = %v, want 0700", info.Mode().Perm())
	}

	second, holder, err := acquireLock(path)
	if !errors.Is(err, errLocked) {
		if second != nil {
			_ = second.release()
		}
		t.Fatalf("second acquireLock: err = %v, want errLocked", err)
	}
	if holder != os.Getpid() {
		t.Errorf("holder = %d, want this process's pid %d", holder, os.Getpid())
	}

	if err := first.release(); err != nil {
		t.Fatal(err)
	}
	if content, err := os.ReadFile(path); err != nil || len(content) != 0 {
		t.Errorf("lock file after release = %q, %v; want it kept and empty", content, err)
	}
	third, _, err := acquireLock(path)
	if err != nil {
		t.Fatalf("acquireLock after release: %v", err)
	}
	if err := third.release(); err != nil {
		t.Fatal(err)
	}
}

func TestAcquireLockTakesOverLeftoverFile(t *testing.T) {
	tests := []struct {
		name    string
		content string
	}{
		{"pid of a dead process", "2147483646\n"},
		{"empty", ""},
		{"not a number", "garbage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "test.lock")
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			l, _, err := acquireLock(path)
			if err != nil {
				t.Fatalf("acquireLock on a leftover file: %v", err)
			}
			defer func() { _ = l.release() }()
			if err := l.writePID(); err != nil {
				t.Fatal(err)
			}
			content, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := string(content), fmt.Sprintln(os.Getpid()); got != want {
				t.Errorf("content = %q, want %q", got, want)
			}
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if info.Mode().Perm() != 0o600 {
				t.Errorf("mode = %v, want 0600", info.Mode().Perm())
			}
		})
	}
}

func TestReadHolder(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    int
	}{
		{"pid", "1234\n", 1234},
		{"pid without newline", "1234", 1234},
		{"empty", "", 0},
		{"negative", "-5\n", 0},
		{"zero", "0\n", 0},
		{"text", "pid 1234\n", 0},
		{"too long", strings.Repeat("1", 40), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "test.lock")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if got := readHolder(path); got != tt.want {
				t.Errorf("readHolder(%q) = %d, want %d", tt.content, got, tt.want)
			}
		})
	}
}

// releaseHeld releases the held lock on path that the test no longer
// references.
func releaseHeld(t *testing.T, path string) {
	t.Helper()
	heldLocks.Range(func(key, _ any) bool {
		if l := key.(*lockFile); l.path == path {
			if err := l.release(); err != nil {
				t.Errorf("releasing %s: %v", path, err)
			}
		}
		return true
	})
}

func TestDiscardedLockStaysHeld(t *testing.T) {
	path := filepath.Join(t.TempDir(), "test.lock")
	if _, _, err := acquireLock(path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { releaseHeld(t, path) })

	// Each round collects garbage and lets finalizers run, which would
	// close an unreferenced *os.File and so drop its lock.
	for round := range 20 {
		runtime.GC()
		runtime.Gosched()
		l, _, err := acquireLock(path)
		if !errors.Is(err, errLocked) {
			if l != nil {
				_ = l.release()
			}
			t.Fatalf("round %d: acquireLock on a discarded lock: err = %v, want errLocked",
				round, err)
		}
	}
}
