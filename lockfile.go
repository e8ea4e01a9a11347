package actorgate

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/gofrs/flock"
)

// errLocked is returned by acquireLock when another open file holds the
// lock.
var errLocked = errors.New("lock is held")

// lockFile is an exclusive lock on one file, held through its open file.
type lockFile struct {
	path string
	lock *flock.Flock
}

// heldLocks keeps every held lockFile reachable until its release. The
// runtime closes an *os.File that nothing references, which would drop
// the lock while the gateway's tree may still run, for example when a host
// discards a Gateway without calling Close.
var heldLocks sync.Map

// acquireLock takes an exclusive lock on the file at path without
// waiting (flock(2) on Unix, LockFileEx on Windows), creating it with mode
// 0600 and its folder with mode 0700 when they are missing. When another
// open file holds the lock, it returns errLocked and the pid written in
// the file, or 0 when the file names none. The lock is dropped by the
// kernel when the process dies, so a crash leaves the file but no lock.
func acquireLock(path string) (*lockFile, int, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, 0, fmt.Errorf("creating the folder of %s: %w", path, err)
	}
	fl := flock.New(path, flock.SetPermissions(0o600))
	locked, err := fl.TryLock()
	if err != nil {
		return nil, 0, fmt.Errorf("locking %s: %w", path, err)
	}
	if !locked {
		return nil, readHolder(path), errLocked
	}
	l := &lockFile{path: path, lock: fl}
	heldLocks.Store(l, struct{}{})
	return l, 0, nil
}

// readHolder returns the pid written in the lock file at path, or 0 when
// it contains none or cannot be read.
func readHolder(path string) int {
	f, err := os.Open(path) //nolint:gosec // G304: a lock file the gateway's own configuration names
	if err != nil {
		return 0
	}
	defer func() { _ = f.Close() }()
	buf := make([]byte, 32)
	n, err := f.Read(buf)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// writePID replaces the lock file's content with this process's pid, for
// the error message of a process that finds the lock held. It writes
// through a second descriptor, which flock(2) allows. On Windows the lock
// may reject that write, and the caller only logs the failure.
func (l *lockFile) writePID() error {
	// A file left by an older process may have a wider mode.
	if err := os.Chmod(l.path, 0o600); err != nil {
		return err
	}
	return os.WriteFile(l.path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600)
}

// release empties the lock file and drops the lock. The file stays: a
// process that opened it to take the lock must find the same file, so
// removing it would let two processes each lock a different file.
func (l *lockFile) release() error {
	defer heldLocks.Delete(l)
	truncErr := os.Truncate(l.path, 0)
	return errors.Join(truncErr, l.lock.Unlock())
}
