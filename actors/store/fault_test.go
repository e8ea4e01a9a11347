package store

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/actorgate/actorgate/messages"
)

// setReadOnly makes path read-only for this process until the returned
// function runs or the test ends. Root ignores permission bits, so as root
// it sets the immutable attribute with chattr instead, which also fails
// writes through file descriptors that are already open.
func setReadOnly(t *testing.T, path string) (restore func()) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("an open database file stays writable after chmod; only root can set the immutable attribute")
	}
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

func TestReadOnlyFileRecovers(t *testing.T) {
	system := newSystem(t)
	cfg := testConfig(t, nil)
	pid := spawnStore(t, system, cfg)
	stored := newResponse(t, "a")
	if reply := request[*messages.PutResponseReply](t, system, pid,
		&messages.PutResponse{Response: stored}); reply.Err != nil {
		t.Fatalf("Put: %v", reply.Err)
	}

	restore := setReadOnly(t, cfg.Path+"-wal")
	failed := request[*messages.PutResponseReply](t, system, pid,
		&messages.PutResponse{Response: newResponse(t, "a")})
	if !errors.Is(failed.Err, messages.ErrStoreUnavailable) {
		t.Fatalf("Put to a read-only file: err = %v, want ErrStoreUnavailable", failed.Err)
	}
	t.Logf("write error: %v", failed.Err)
	get := request[*messages.GetResponseReply](t, system, pid,
		&messages.GetResponse{ID: stored.ID, SessionKey: "a"})
	if get.Err != nil {
		t.Fatalf("Get while writes fail: %v", get.Err)
	}

	restore()
	retried := newResponse(t, "a")
	if reply := request[*messages.PutResponseReply](t, system, pid,
		&messages.PutResponse{Response: retried}); reply.Err != nil {
		t.Fatalf("Put after the fault cleared: %v", reply.Err)
	}
	if reply := request[*messages.GetResponseReply](t, system, pid,
		&messages.GetResponse{ID: retried.ID, SessionKey: "a"}); reply.Err != nil {
		t.Fatalf("Get of the retried write: %v", reply.Err)
	}
}
