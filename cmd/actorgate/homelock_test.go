package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gofrs/flock"

	"github.com/actorgate/actorgate"
)

// lockHolder returns the pid written in the lock file of home.
func lockHolder(t *testing.T, home string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(home, actorgate.LockFileName))
	if err != nil {
		t.Fatalf("reading the lock file: %v", err)
	}
	return strings.TrimSpace(string(b))
}

func TestSecondProcessOnFolderExits(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	p := startGatewayIn(t, home, nil)
	holder := fmt.Sprint(p.cmd.Process.Pid)
	if got := lockHolder(t, home); got != holder {
		t.Errorf("lock file names pid %q, want the gateway's %s", got, holder)
	}

	q := startProcess(t, home, map[string]string{
		"API_SERVER_KEY": p.key, "API_SERVER_PORT": fmt.Sprint(freePort(t)),
	})
	code, exited := q.waitExit(30 * time.Second)
	if !exited {
		t.Fatal("the second gateway on the folder is still running")
	}
	if code != 1 {
		t.Errorf("exit code = %d, want 1", code)
	}
	// Loading the configuration logs an info line before Start runs; the
	// error is the one line after it, and nothing is logged as a warning.
	lines := strings.Split(strings.TrimSpace(q.stderr.String()), "\n")
	last := lines[len(lines)-1]
	for _, want := range []string{"data folder in use", home, "pid " + holder, "ACTORGATE_HOME"} {
		if !strings.Contains(last, want) {
			t.Errorf("last log line does not contain %q: %s", want, last)
		}
	}
	for _, c := range []struct {
		level string
		want  int
	}{{`"level":"error"`, 1}, {`"level":"warn"`, 0}} {
		if n := len(q.logLines(c.level)); n != c.want {
			t.Errorf("%d log lines with %s, want %d:\n%s", n, c.level, c.want, q.stderr)
		}
	}
	if out := q.stdout.String(); out != "" {
		t.Errorf("the second gateway printed to stdout:\n%s", out)
	}

	// The first gateway keeps serving, its control socket included.
	if resp, _ := do(t, http.MethodGet, p.baseURL()+"/v1/models", p.key, nil); resp.StatusCode != 200 {
		t.Errorf("GET /v1/models on the first gateway = %d, want 200", resp.StatusCode)
	}
	waitStatus(t, home, "api_server", "connected")
	if got := lockHolder(t, home); got != holder {
		t.Errorf("lock file names pid %q after the second start, want %s", got, holder)
	}
}

func TestKilledGatewayLeavesNoStaleLock(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	env := map[string]string{"API_SERVER_KEY": randomKey(t), "API_SERVER_PORT": fmt.Sprint(freePort(t))}
	p := startGatewayIn(t, home, env)
	killed := fmt.Sprint(p.cmd.Process.Pid)
	p.stop(syscall.SIGKILL)
	// The file stays behind with the dead pid; the lock does not.
	if got := lockHolder(t, home); got != killed {
		t.Errorf("lock file after SIGKILL names pid %q, want %s", got, killed)
	}

	q := startGatewayIn(t, home, env)
	if got, want := lockHolder(t, home), fmt.Sprint(q.cmd.Process.Pid); got != want {
		t.Errorf("lock file names pid %q, want the new gateway's %s", got, want)
	}
	waitStatus(t, home, "api_server", "connected")
	if resp, _ := do(t, http.MethodGet, q.baseURL()+"/v1/models", q.key, nil); resp.StatusCode != 200 {
		t.Errorf("GET /v1/models after the restart = %d, want 200", resp.StatusCode)
	}
}

func TestStoppedGatewayReleasesLock(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	p := startGatewayIn(t, home, nil)
	p.stop(syscall.SIGTERM)
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code = %d, want 0", code)
	}
	path := filepath.Join(home, actorgate.LockFileName)
	fl := flock.New(path)
	locked, err := fl.TryLock()
	if err != nil || !locked {
		t.Fatalf("locking %s after SIGTERM = %t, %v; want it free", path, locked, err)
	}
	_ = fl.Unlock()
	if content, err := os.ReadFile(path); err != nil || len(content) != 0 {
		t.Errorf("lock file after SIGTERM = %q, %v; want it empty", content, err)
	}
}
