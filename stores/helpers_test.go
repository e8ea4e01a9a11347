package stores

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/actorgate/actorgate/messages"
)

// testClock is a clock that moves only when a test advances it.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock {
	return &testClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n/2)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("reading random bytes: %v", err)
	}
	return hex.EncodeToString(b)
}

// newThread returns a fresh 16-hex thread key.
func newThread(t testing.TB) string {
	t.Helper()
	return randomHex(t, threadKeyLength)
}

// newID returns a response id in thread.
func newID(t testing.TB, thread string) string {
	t.Helper()
	return responseIDPrefix + thread + randomHex(t, 32)
}

// newResponse returns a valid response of session in a new thread.
func newResponse(t testing.TB, session string) messages.StoredResponse {
	t.Helper()
	id := newID(t, newThread(t))
	return messages.StoredResponse{
		ID:         id,
		SessionKey: session,
		Status:     messages.ResponseCompleted,
		Body:       json.RawMessage(`{"id":"` + id + `","object":"response"}`),
		History:    json.RawMessage(`[{"role":"user","content":"hi"}]`),
	}
}

// chained returns a valid response that continues prev in its thread.
func chained(t testing.TB, prev messages.StoredResponse) messages.StoredResponse {
	t.Helper()
	r := newResponse(t, prev.SessionKey)
	r.ID = newID(t, threadKey(prev.ID))
	r.PreviousID = prev.ID
	r.Body = json.RawMessage(`{"id":"` + r.ID + `"}`)
	return r
}

func put(t testing.TB, s Responses, rs ...messages.StoredResponse) {
	t.Helper()
	if err := s.Put(context.Background(), rs); err != nil {
		t.Fatalf("Put(%d responses): %v", len(rs), err)
	}
}

func mustGet(t testing.TB, s Responses, session, id string) *messages.StoredResponse {
	t.Helper()
	r, err := s.Get(context.Background(), session, id)
	if err != nil {
		t.Fatalf("Get(%q, %s): %v", session, id, err)
	}
	return r
}

func count(t testing.TB, s Responses) int {
	t.Helper()
	n, err := s.Count(context.Background())
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	return n
}

// openSQLiteStore opens a SQLiteResponses at path and closes it when the
// test ends.
func openSQLiteStore(t testing.TB, path string, max int, clock *testClock) *SQLiteResponses {
	t.Helper()
	s, err := OpenResponses(path, max, nil, WithClock(clock.Now))
	if err != nil {
		t.Fatalf("OpenResponses(%s, %d): %v", path, max, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// setReadOnly makes path read-only for this process until the returned
// function runs or the test ends. Root ignores permission bits, so as root
// it sets the immutable attribute with chattr instead.
func setReadOnly(t *testing.T, path string) (restore func()) {
	t.Helper()
	if os.Geteuid() == 0 {
		return setImmutable(t, path)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("stat %s: %v", path, err)
	}
	mode := os.FileMode(0o400)
	if info.IsDir() {
		mode = 0o500
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatalf("chmod %s: %v", path, err)
	}
	var once sync.Once
	restore = func() {
		once.Do(func() { _ = os.Chmod(path, info.Mode().Perm()) })
	}
	t.Cleanup(restore)
	return restore
}

func setImmutable(t *testing.T, path string) (restore func()) {
	t.Helper()
	chattr, err := exec.LookPath("chattr")
	if err != nil {
		t.Skip("running as root needs chattr (e2fsprogs) to make a file read-only")
	}
	if out, err := exec.Command(chattr, "+i", path).CombinedOutput(); err != nil {
		t.Skipf("the file system does not support the immutable attribute: %v: %s",
			err, strings.TrimSpace(string(out)))
	}
	var once sync.Once
	restore = func() {
		once.Do(func() {
			if out, err := exec.Command(chattr, "-i", path).CombinedOutput(); err != nil {
				t.Errorf("chattr -i %s: %v: %s", path, err, out)
			}
		})
	}
	t.Cleanup(restore)
	return restore
}

// openFDs returns how many of this process's file descriptors point at
// path.
func openFDs(t testing.TB, path string) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot list /proc/self/fd: %v", err)
	}
	n := 0
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err == nil && target == path {
			n++
		}
	}
	return n
}
