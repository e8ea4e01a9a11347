//go:build reliability

package reliability

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// writeConfigYAML writes config.yaml into the data folder before the
// gateway starts.
func writeConfigYAML(t *testing.T, home, text string) {
	t.Helper()
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "config.yaml"), []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// storeResponses stores n responses for session and returns their
// acknowledgements.
func storeResponses(t *testing.T, p *gatewayProcess, session, input string, n int) []ack {
	t.Helper()
	var out []ack
	for i := range n {
		body := map[string]any{"model": "actorgate", "store": true, "input": fmt.Sprintf("%s %d", input, i)}
		r := p.mustDo("POST", "/v1/responses", body, sessionHeader(session)...)
		if r.status != 200 {
			t.Fatalf("storing a response: status %d: %s", r.status, r.body)
		}
		out = append(out, ackOf(t, r, session))
	}
	return out
}

func ackOf(t *testing.T, r reply, session string) ack {
	t.Helper()
	var obj responseObject
	if err := json.Unmarshal(r.body, &obj); err != nil || obj.ID == "" {
		t.Fatalf("response without an id (%v): %s", err, r.body)
	}
	return ack{id: obj.ID, session: session, text: obj.text()}
}

// readBack checks that every acknowledged response reads back unchanged.
func readBack(t *testing.T, p *gatewayProcess, acks []ack) {
	t.Helper()
	for _, a := range acks {
		r := p.mustDo("GET", "/v1/responses/"+a.id, nil, sessionHeader(a.session)...)
		if r.status != 200 {
			t.Fatalf("GET %s: status %d: %s", a.id, r.status, r.body)
		}
		var obj responseObject
		if err := json.Unmarshal(r.body, &obj); err != nil || obj.text() != a.text {
			t.Fatalf("GET %s: output %q (%v), want %q", a.id, obj.text(), err, a.text)
		}
	}
	tally.responsesVerified.Add(int64(len(acks)))
}

// wantStoreUnavailable checks a 503 with the store_unavailable code whose
// message names one of causes.
func wantStoreUnavailable(t *testing.T, r reply, causes ...string) {
	t.Helper()
	if r.status != 503 {
		t.Fatalf("status %d, want 503: %s", r.status, r.body)
	}
	e := decodeError(t, r)
	if e.Error.Code != "store_unavailable" {
		t.Errorf("error code %q, want store_unavailable", e.Error.Code)
	}
	for _, cause := range causes {
		if strings.Contains(e.Error.Message, cause) {
			return
		}
	}
	t.Errorf("error message %q names none of the causes %q", e.Error.Message, causes)
}

// checkStorelessRequests checks that the requests that do not need the
// store still work.
func checkStorelessRequests(t *testing.T, p *gatewayProcess) {
	t.Helper()
	cases := []struct {
		name, method, path string
		body               any
	}{
		{"chat completion", "POST", "/v1/chat/completions", map[string]any{
			"model": "actorgate", "messages": []any{map[string]any{"role": "user", "content": "still there?"}},
		}},
		{"response without store", "POST", "/v1/responses", map[string]any{
			"model": "actorgate", "input": "not stored", "store": false,
		}},
		{"models", "GET", "/v1/models", nil},
	}
	for _, tc := range cases {
		if r := p.mustDo(tc.method, tc.path, tc.body); r.status != 200 {
			t.Errorf("%s during the disk fault: status %d: %s", tc.name, r.status, r.body)
		}
	}
}

// waitStoreWritable posts store: true responses until one succeeds, and
// returns its acknowledgement.
func waitStoreWritable(t *testing.T, p *gatewayProcess, session string) ack {
	t.Helper()
	var last reply
	var got ack
	waitFor(t, waitLimit, "the store to accept writes again", func() bool {
		last = p.mustDo("POST", "/v1/responses",
			map[string]any{"model": "actorgate", "store": true, "input": "after the fault"},
			sessionHeader(session)...)
		if last.status == 200 {
			got = ackOf(t, last, session)
			return true
		}
		return false
	})
	return got
}

// requireRoot skips the test unless it runs as root.
func requireRoot(t *testing.T, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("skipped: %s needs root; run the suite as root to inject this fault", why)
	}
}

// setImmutable sets the immutable attribute on paths, which fails writes
// even through file descriptors that are already open and even for root.
// The returned function clears it, and runs at the latest when the test
// ends.
func setImmutable(t *testing.T, paths ...string) (restore func()) {
	t.Helper()
	requireRoot(t, "setting the immutable attribute (chattr +i)")
	chattr, err := exec.LookPath("chattr")
	if err != nil {
		t.Skip("skipped: making an open file read-only needs chattr (e2fsprogs)")
	}
	var set []string
	var once sync.Once
	restore = func() {
		once.Do(func() {
			for _, path := range set {
				if out, err := exec.Command(chattr, "-i", path).CombinedOutput(); err != nil {
					t.Errorf("chattr -i %s: %v: %s", path, err, out)
				}
			}
		})
	}
	t.Cleanup(restore)
	for _, path := range paths {
		if out, err := exec.Command(chattr, "+i", path).CombinedOutput(); err != nil {
			restore()
			t.Skipf("skipped: the file system does not support chattr +i on %s: %v: %s",
				path, err, strings.TrimSpace(string(out)))
		}
		set = append(set, path)
	}
	return restore
}

func TestStoreReadOnlyDisk(t *testing.T) {
	requireRoot(t, "making an open database read-only (chattr +i)")
	sec := newSecrets(t)
	cfg := newGatewayConfig(t, sec)
	dbDir := filepath.Join(t.TempDir(), "db")
	writeConfigYAML(t, cfg.home, fmt.Sprintf("platforms:\n  api_server:\n    db_path: %s\n",
		filepath.Join(dbDir, "responses.db")))
	session := sec.newKey(t, "session key")
	p := startGateway(t, sec, cfg, "read-only disk")
	acks := storeResponses(t, p, session, "before the fault", 5)

	// NOTE: the -shm file stays writable. SQLite maps it into memory, and
	// a write to a mapped page of an immutable file raises SIGBUS inside
	// SQLite, which kills the process (docs/reliability.md, known limits).
	db := filepath.Join(dbDir, "responses.db")
	restore := setImmutable(t, db, db+"-wal", dbDir)
	tally.faultsInjected.Add(1)

	r := p.mustDo("POST", "/v1/responses",
		map[string]any{"model": "actorgate", "store": true, "input": "during the fault"},
		sessionHeader(session)...)
	wantStoreUnavailable(t, r, "read-only", "permission denied", "not writable")
	checkStorelessRequests(t, p)
	readBack(t, p, acks)

	restore()
	acks = append(acks, waitStoreWritable(t, p, session))
	acks = append(acks, storeResponses(t, p, session, "after the fault", 3)...)
	readBack(t, p, acks)
	if _, exited := p.waitExit(0); exited {
		t.Fatal("the gateway exited during the fault")
	}
}

// mountTmpfs mounts a tmpfs of size bytes at a new temporary folder and
// unmounts it when the test ends, after everything registered later (the
// gateway process) was cleaned up. It skips the test when mounting is not
// permitted.
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	requireRoot(t, "mounting a small tmpfs")
	dir := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0700", size),
		"tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Skipf("skipped: mounting a tmpfs is not permitted here: %v: %s", err,
			strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { unmount(t, dir) })
	return dir
}

// unmount unmounts dir, retrying while it is busy, and detaches it lazily
// as a last resort.
func unmount(t *testing.T, dir string) {
	t.Helper()
	var err error
	for range 50 {
		if err = syscall.Unmount(dir, 0); err == nil || !errors.Is(err, syscall.EBUSY) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err == nil {
		return
	}
	t.Errorf("unmounting the test tmpfs at %s failed: %v; detaching it lazily", dir, err)
	if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
		t.Errorf("detaching %s failed: %v; unmount it by hand", dir, err)
	}
}

// fillDisk writes a file into dir until the file system is full, and
// returns its path.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	block := make([]byte, 64<<10)
	for range 1 << 14 {
		if _, err := f.Write(block); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return path
			}
			t.Fatalf("filling the disk: %v", err)
		}
	}
	t.Fatalf("the disk at %s did not fill up after 1 GiB", dir)
	return ""
}

func TestStoreFullDisk(t *testing.T) {
	mnt := mountTmpfs(t, 4<<20)
	sec := newSecrets(t)
	cfg := newGatewayConfig(t, sec)
	writeConfigYAML(t, cfg.home, fmt.Sprintf("platforms:\n  api_server:\n    db_path: %s\n",
		filepath.Join(mnt, "responses.db")))
	session := sec.newKey(t, "session key")
	p := startGateway(t, sec, cfg, "full disk")
	acks := storeResponses(t, p, session, "before the fault", 5)

	filler := fillDisk(t, mnt)
	tally.faultsInjected.Add(1)
	// The WAL may still have room for a few small writes, so large ones are
	// sent until the store reports the full disk.
	big := strings.Repeat("x", 32<<10)
	var r reply
	for i := 0; ; i++ {
		if i == 200 {
			t.Fatal("200 large writes to a full disk all succeeded")
		}
		r = p.mustDo("POST", "/v1/responses",
			map[string]any{"model": "actorgate", "store": true, "input": big},
			sessionHeader(session)...)
		if r.status != 200 {
			break
		}
		acks = append(acks, ackOf(t, r, session))
	}
	wantStoreUnavailable(t, r, "disk is full")
	checkStorelessRequests(t, p)
	readBack(t, p, acks)

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	acks = append(acks, waitStoreWritable(t, p, session))
	acks = append(acks, storeResponses(t, p, session, "after the fault", 3)...)
	readBack(t, p, acks)
	if _, exited := p.waitExit(0); exited {
		t.Fatal("the gateway exited during the fault")
	}
}
