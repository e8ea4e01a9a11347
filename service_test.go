package actorgate_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/actorgate/actorgate/config"
)

const unitPath = "docs/actorgate.service"

// unitSettings returns the Key=Value lines of the unit file, by key. A key
// set twice keeps every value in order.
func unitSettings(t *testing.T) map[string][]string {
	t.Helper()
	f, err := os.Open(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := make(map[string][]string)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "[") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: line without '=': %q", unitPath, line)
		}
		out[k] = append(out[k], v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestServiceUnitSettings(t *testing.T) {
	got := unitSettings(t)
	want := map[string]string{
		"User":                  "actorgate",
		"Restart":               "on-failure",
		"ExecReload":            "/bin/kill -HUP $MAINPID",
		"KillSignal":            "SIGTERM",
		"NoNewPrivileges":       "yes",
		"ProtectSystem":         "strict",
		"ReadWritePaths":        "/var/lib/actorgate",
		"PrivateTmp":            "yes",
		"ProtectHome":           "yes",
		"StateDirectory":        "actorgate",
		"CapabilityBoundingSet": "",
	}
	for k, v := range want {
		if len(got[k]) != 1 || got[k][0] != v {
			t.Errorf("%s = %q, want [%q]", k, got[k], v)
		}
	}
	envs := strings.Join(got["Environment"], "\n")
	if !strings.Contains(envs, "ACTORGATE_HOME=/var/lib/actorgate") {
		t.Errorf("Environment does not set ACTORGATE_HOME=/var/lib/actorgate: %q", envs)
	}
}

// TestServiceUnitOutwaitsDrain checks that systemd waits longer for a stop
// than the binary does: the binary gives Close the shutdown grace plus
// five seconds (cmd/actorgate/serve.go) before it gives up.
func TestServiceUnitOutwaitsDrain(t *testing.T) {
	got := unitSettings(t)["TimeoutStopSec"]
	if len(got) != 1 {
		t.Fatalf("TimeoutStopSec = %q, want one value", got)
	}
	timeout, err := time.ParseDuration(got[0])
	if err != nil {
		t.Fatalf("TimeoutStopSec %q is not a duration in Go syntax: %v", got[0], err)
	}
	if drain := config.DefaultShutdownGrace + 5*time.Second; timeout <= drain {
		t.Errorf("TimeoutStopSec = %s, want more than the drain bound %s", timeout, drain)
	}
}

// TestServiceUnitVerifies runs systemd-analyze verify on the unit, with
// ExecStart pointing at an executable that exists on this machine.
func TestServiceUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	unit, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(unit), "/usr/local/bin/actorgate", "/bin/true")
	path := filepath.Join(t.TempDir(), "actorgate.service")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
