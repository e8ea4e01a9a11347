package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// scrapeUntil scrapes http://addr/metrics until the body contains every
// one of want, and returns it.
func scrapeUntil(t *testing.T, addr string, want ...string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var body, missing string
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			body = string(b)
			missing = ""
			for _, w := range want {
				if !strings.Contains(body, w) {
					missing = w
					break
				}
			}
			if resp.StatusCode == http.StatusOK && missing == "" {
				return body
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("scrape of %s never contained %q; last body:\n%s", addr, missing, body)
	return ""
}

func TestMetricsEndpoint(t *testing.T) {
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	home := filepath.Join(t.TempDir(), "home")
	p := startGatewayIn(t, home, map[string]string{
		"ACTORGATE_METRICS_ADDR": metricsAddr,
		"AGENT_BACKEND":          "openai",
		// Nothing listens on port 1 of 127.0.0.1, so every run fails.
		"AGENT_BASE_URL": "http://127.0.0.1:1/v1",
	})
	waitStatus(t, home, "metrics", "connected")
	body := `{"model":"m","messages":[{"role":"user","content":"hi"}]}`
	resp, _ := do(t, http.MethodPost, p.baseURL()+"/v1/chat/completions", p.key, strings.NewReader(body))
	if resp.StatusCode < 500 {
		t.Errorf("chat completion with an unreachable upstream = %d, want 5xx", resp.StatusCode)
	}

	got := scrapeUntil(t, metricsAddr,
		`actorgate_platform_state{platform="api_server",state="connected"} 1`,
		`actorgate_platform_state{platform="metrics",state="connected"} 1`,
		`actorgate_platform_restarts_total{platform="api_server"} 0`,
		`actorgate_upstream_errors_total{code="upstream_unavailable"} 1`,
		"process_open_fds ",
		"go_goroutines ",
	)
	if strings.Contains(got, p.key) {
		t.Error("the API key appears in the metrics")
	}
	line := p.waitLog("metrics listening")
	if !strings.Contains(line, metricsAddr) {
		t.Errorf("log line does not name the metrics address: %s", line)
	}
}

func TestMetricsPortInUseShowsFatal(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	home := filepath.Join(t.TempDir(), "home")
	p := startGatewayIn(t, home, map[string]string{"ACTORGATE_METRICS_ADDR": ln.Addr().String()})
	waitStatus(t, home, "metrics", "fatal", "metrics_port_in_use")
	// The API is not affected.
	modelIDs(t, p)
	waitStatus(t, home, "api_server", "connected")
}

func TestMetricsAddrMustBeLoopback(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	writeFile(t, filepath.Join(home, ".env"), "ACTORGATE_METRICS_ADDR=0.0.0.0:9464\n")
	code, out := runCommand(t, home, "check")
	if code != 1 || !strings.Contains(out, "gateway.metrics_addr") ||
		!strings.Contains(out, "loopback") {
		t.Errorf("check: exit %d, output %q; want exit 1 naming gateway.metrics_addr", code, out)
	}
	p := startProcess(t, home, nil)
	code, exited := p.waitExit(30 * time.Second)
	if !exited || code != 1 {
		t.Fatalf("run with a public metrics address: exited %v, code %d; want exit 1", exited, code)
	}
	if len(p.flushedLogLines("invalid configuration", "gateway.metrics_addr")) != 1 {
		t.Errorf("no log line names the invalid setting:\n%s", p.stderr)
	}
}
