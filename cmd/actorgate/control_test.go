package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/actorgate/actorgate/messages"
)

// runCommand runs the binary with args against the gateway in home and
// returns its exit code and combined output.
func runCommand(t *testing.T, home string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = processEnv(home, nil)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if exit, ok := err.(*exec.ExitError); ok {
			return exit.ExitCode(), string(out)
		}
		t.Fatalf("actorgate %s: %v", strings.Join(args, " "), err)
	}
	return 0, string(out)
}

func TestPauseStopsListenerAndResumeServes(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	p := startGatewayIn(t, home, nil)
	addr := fmt.Sprintf("127.0.0.1:%d", p.port)

	code, out := runCommand(t, home, "platform", "pause", "api_server")
	if code != 0 || !strings.Contains(out, "api_server: pause requested") {
		t.Fatalf("pause: exit %d, output %q", code, out)
	}
	waitStatus(t, home, "api_server", "paused")
	waitNotListening(t, addr)
	if len(p.flushedLogLines("platform paused", "api_server")) != 1 {
		t.Error("no log line says api_server was paused")
	}

	code, out = runCommand(t, home, "platform", "resume", "api_server")
	if code != 0 || !strings.Contains(out, "api_server: resume requested") {
		t.Fatalf("resume: exit %d, output %q", code, out)
	}
	p.waitHealthy()
	waitStatus(t, home, "api_server", "connected")
	modelIDs(t, p)
}

func TestPauseTwiceAndResumeRunning(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	p := startGatewayIn(t, home, nil)
	for _, args := range [][]string{
		{"platform", "resume", "api_server"},
		{"platform", "pause", "api_server"},
		{"platform", "pause", "api_server"},
	} {
		if code, out := runCommand(t, home, args...); code != 0 {
			t.Errorf("%v: exit %d, output %q", args, code, out)
		}
	}
	waitStatus(t, home, "api_server", "paused")
	if n := len(p.flushedLogLines("platform paused")); n != 1 {
		t.Errorf("%d 'platform paused' lines, want 1 for two pauses", n)
	}
}

func TestPlatformCommandErrors(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	startGatewayIn(t, home, nil)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown platform", []string{"platform", "pause", "telegrm"}, 1, `"telegrm" is not enrolled`},
		{"unknown verb", []string{"platform", "restart", "api_server"}, 2, "usage: actorgate platform"},
		{"missing name", []string{"platform", "pause"}, 2, "usage: actorgate platform"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := runCommand(t, home, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.want) {
				t.Errorf("exit %d, output %q; want exit %d and %q", code, out, tt.code, tt.want)
			}
		})
	}
}

func TestResumeRejectedPlatformNamesTheFix(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	writeFile(t, filepath.Join(home, ".env"), "API_SERVER_KEY=short\n")
	startProcess(t, home, nil)
	waitStatus(t, home, "api_server", "fatal", "api_server_key_invalid")
	code, out := runCommand(t, home, "platform", "resume", "api_server")
	if code != 1 || !strings.Contains(out, "SIGHUP") {
		t.Errorf("resume of a rejected platform: exit %d, output %q", code, out)
	}
}

func TestCommandsWithoutGateway(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	writeFile(t, filepath.Join(home, ".env"), "# nothing runs here\n")
	for _, args := range [][]string{
		{"status"}, {"reload"}, {"platform", "pause", "api_server"},
	} {
		code, out := runCommand(t, home, args...)
		if code != 1 || !strings.Contains(out, "actorgate is not running") {
			t.Errorf("%v: exit %d, output %q; want exit 1 and 'not running'", args, code, out)
		}
	}
}

func TestStatusShowsFatalRow(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	writeFile(t, filepath.Join(home, ".env"), "API_SERVER_KEY=changeme\n")
	startProcess(t, home, nil)
	line := waitStatus(t, home, "api_server")
	fields := strings.Fields(line)
	// PLATFORM STATE SINCE(date time) ATTEMPTS NEXT-RETRY ATTENTION ERROR...
	if len(fields) < 8 {
		t.Fatalf("status row has %d fields: %q", len(fields), line)
	}
	want := []string{"api_server", "fatal"}
	if fields[0] != want[0] || fields[1] != want[1] {
		t.Errorf("row starts %v, want %v", fields[:2], want)
	}
	if fields[4] != "0" || fields[5] != "-" || fields[6] != "no" {
		t.Errorf("attempts, next retry, attention = %v, want [0 - no]", fields[4:7])
	}
	if !strings.HasPrefix(fields[7], "api_server_key_invalid:") {
		t.Errorf("error column = %q", strings.Join(fields[7:], " "))
	}
}

func TestStatusTableColumns(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)
	rows := []messages.PlatformStatus{
		{Name: "api_server", State: messages.StateConnected, Since: now.Add(-time.Hour)},
		{
			Name: "telegram", State: messages.StateRetrying, Attempts: 7, Restarts: 12,
			NextRetryAt: now.Add(90 * time.Second), NeedsAttention: true, Since: now,
			ErrorCode: "telegram_unreachable", ErrorMessage: "api.telegram.org did not answer",
		},
	}
	var b bytes.Buffer
	writeStatusTable(&b, rows, now)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want a header and 2 rows:\n%s", len(lines), b.String())
	}
	for _, col := range []string{"PLATFORM", "STATE", "ATTEMPTS", "NEXT RETRY", "ATTENTION", "ERROR"} {
		if !strings.Contains(lines[0], col) {
			t.Errorf("header lacks %s: %q", col, lines[0])
		}
	}
	tests := []struct {
		line int
		want []string
	}{
		{1, []string{"api_server", "connected", "2026-01-02 02:04:05", " 0 ", " - ", " no ", " -"}},
		{2, []string{
			"telegram", "retrying", " 7 ", "in 1m30s", "YES",
			"telegram_unreachable: api.telegram.org did not answer",
		}},
	}
	for _, tt := range tests {
		for _, w := range tt.want {
			if !strings.Contains(lines[tt.line], w) {
				t.Errorf("row %d lacks %q: %q", tt.line, w, lines[tt.line])
			}
		}
	}
}

func TestStatusTableWithoutPlatforms(t *testing.T) {
	var b bytes.Buffer
	writeStatusTable(&b, nil, time.Now())
	if !strings.Contains(b.String(), "(no platform enrolled)") {
		t.Errorf("empty table:\n%s", b.String())
	}
}
