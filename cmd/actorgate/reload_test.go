package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// writeDotenv writes vars as the .env file of home.
func writeDotenv(t *testing.T, home string, vars map[string]string) {
	t.Helper()
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, vars[k])
	}
	writeFile(t, filepath.Join(home, ".env"), b.String())
}

// startFromFiles starts a gateway whose settings all come from the .env
// file of home, so that a reload reads every change made to that file.
func startFromFiles(t *testing.T, home string, dotenv map[string]string) *gatewayProcess {
	t.Helper()
	writeDotenv(t, home, dotenv)
	p := startProcess(t, home, nil)
	p.key = dotenv["API_SERVER_KEY"]
	if _, err := fmt.Sscan(dotenv["API_SERVER_PORT"], &p.port); err != nil {
		t.Fatal(err)
	}
	p.waitHealthy()
	return p
}

// apiDotenv returns .env settings that enroll the API server on a free
// port.
func apiDotenv(t *testing.T) map[string]string {
	t.Helper()
	return map[string]string{
		"API_SERVER_KEY":  randomKey(t),
		"API_SERVER_PORT": fmt.Sprint(freePort(t)),
	}
}

// sighup sends SIGHUP and waits until the gateway has logged one more
// line that contains every one of done than before, and returns that line.
func (p *gatewayProcess) sighup(done ...string) string {
	p.t.Helper()
	before := len(p.logLines(done...))
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		p.t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if lines := p.logLines(done...); len(lines) > before {
			return lines[before]
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.t.Fatalf("no new log line contains %q after SIGHUP", done)
	return ""
}

// reloaded is the gateway's log line after an accepted reload.
const reloaded = `"msg":"configuration reloaded"`

// waitNotListening polls addr until nothing accepts connections on it.
func waitNotListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return
		}
		_ = c.Close()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s still accepts connections", addr)
}

// modelIDs returns the body of GET /v1/models.
func modelIDs(t *testing.T, p *gatewayProcess) string {
	t.Helper()
	resp, body := do(t, http.MethodGet, p.baseURL()+"/v1/models", p.key, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/models = %d: %s", resp.StatusCode, body)
	}
	return string(body)
}

func TestReloadRestartsChangedPlatform(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	env := apiDotenv(t)
	env["API_SERVER_MODEL_NAME"] = "first-model"
	p := startFromFiles(t, home, env)
	if !strings.Contains(modelIDs(t, p), `"first-model"`) {
		t.Fatal("the first model name is not served")
	}

	env["API_SERVER_MODEL_NAME"] = "second-model"
	writeDotenv(t, home, env)
	line := p.sighup(reloaded)
	if !strings.Contains(line, `"restarted":["api_server"]`) {
		t.Errorf("reload did not restart api_server: %s", line)
	}
	p.waitHealthy()
	if got := modelIDs(t, p); !strings.Contains(got, `"second-model"`) {
		t.Errorf("models after reload = %s, want second-model", got)
	}
	if n := len(p.flushedLogLines("api server listening")); n != 2 {
		t.Errorf("%d 'api server listening' lines, want 2 (start and restart)", n)
	}
	waitStatus(t, home, "api_server", "connected")
}

func TestReloadEnrollsNewPlatform(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	writeFile(t, filepath.Join(home, ".env"), "# no key yet\n")
	p := startProcess(t, home, nil)
	waitStatus(t, home, "(no platform enrolled)")

	env := apiDotenv(t)
	writeDotenv(t, home, env)
	line := p.sighup(reloaded)
	if !strings.Contains(line, `"started":["api_server"]`) {
		t.Errorf("reload did not start api_server: %s", line)
	}
	p.key = env["API_SERVER_KEY"]
	if _, err := fmt.Sscan(env["API_SERVER_PORT"], &p.port); err != nil {
		t.Fatal(err)
	}
	p.waitHealthy()
	waitStatus(t, home, "api_server", "connected")
	modelIDs(t, p)
}

func TestReloadStopsRemovedPlatform(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	p := startFromFiles(t, home, apiDotenv(t))

	writeFile(t, filepath.Join(home, "config.yaml"), "platforms:\n  api_server:\n    enabled: false\n")
	line := p.sighup(reloaded)
	if !strings.Contains(line, `"stopped":["api_server"]`) {
		t.Errorf("reload did not stop api_server: %s", line)
	}
	waitNotListening(t, fmt.Sprintf("127.0.0.1:%d", p.port))
	waitStatus(t, home, "(no platform enrolled)")
	if len(p.flushedLogLines("store closed")) == 0 {
		t.Error("no log line says the response store was closed")
	}
}

func TestReloadLeavesUnchangedPlatform(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	env := apiDotenv(t)
	p := startFromFiles(t, home, env)
	before := waitStatus(t, home, "api_server", "connected")

	env["ACTORGATE_BACKOFF_CAP"] = "10m"
	writeDotenv(t, home, env)
	line := p.sighup(reloaded)
	if !strings.Contains(line, `"unchanged":1`) || !strings.Contains(line, `"restarted":[]`) {
		t.Errorf("reload touched api_server: %s", line)
	}
	if after := waitStatus(t, home, "api_server", "connected"); after != before {
		t.Errorf("status row changed:\nbefore %s\nafter  %s", before, after)
	}
	if n := len(p.flushedLogLines("api server stopped")); n != 0 {
		t.Errorf("api server stopped %d times during an unchanged reload", n)
	}
	modelIDs(t, p)
}

func TestReloadNamesAgentRestartSettings(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	env := apiDotenv(t)
	p := startFromFiles(t, home, env)
	waitStatus(t, home, "api_server", "connected")

	env["AGENT_MODEL"] = "other-model"
	env["AGENT_TIMEOUT"] = "7s"
	writeDotenv(t, home, env)
	cmd := exec.Command(binary, "reload")
	cmd.Env = processEnv(home, nil)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("actorgate reload: %v\n%s", err, out)
	}
	want := "restart the gateway to apply AGENT_MODEL, AGENT_TIMEOUT"
	if !strings.Contains(string(out), want) {
		t.Errorf("reload output = %q, want it to contain %q", out, want)
	}
	lines := p.flushedLogLines(`"msg":"agent settings changed; they apply after a restart"`)
	if len(lines) != 1 || !strings.Contains(lines[0], `"settings":["AGENT_MODEL","AGENT_TIMEOUT"]`) {
		t.Errorf("agent settings log lines = %q, want one naming both settings", lines)
	}
}

func TestReloadRetriesFatalPlatform(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	home := filepath.Join(t.TempDir(), "home")
	env := map[string]string{"API_SERVER_KEY": randomKey(t), "API_SERVER_PORT": fmt.Sprint(port)}
	writeDotenv(t, home, env)
	p := startProcess(t, home, nil)
	waitStatus(t, home, "api_server", "fatal", "api_server_port_in_use")

	_ = ln.Close()
	line := p.sighup(reloaded)
	if !strings.Contains(line, `"restarted":["api_server"]`) {
		t.Errorf("reload did not retry the fatal api_server: %s", line)
	}
	p.key, p.port = env["API_SERVER_KEY"], port
	p.waitHealthy()
	row := waitStatus(t, home, "api_server", "connected")
	if strings.Contains(row, "api_server_port_in_use") {
		t.Errorf("status keeps the old error: %s", row)
	}
}

func TestReloadRejectsInvalidConfig(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	env := apiDotenv(t)
	env["API_SERVER_MODEL_NAME"] = "kept-model"
	p := startFromFiles(t, home, env)

	writeFile(t, filepath.Join(home, "config.yaml"), "gateway:\n  backoff_base: 0s\n")
	line := p.sighup("reload rejected")
	if !strings.Contains(line, "gateway.backoff_base") {
		t.Errorf("rejection does not name the field: %s", line)
	}
	cmd := exec.Command(binary, "reload")
	cmd.Env = processEnv(home, nil)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "gateway.backoff_base") {
		t.Errorf("actorgate reload = %v, output %q; want a failure naming the field", err, out)
	}

	waitStatus(t, home, "api_server", "connected")
	if got := modelIDs(t, p); !strings.Contains(got, `"kept-model"`) {
		t.Errorf("models after a rejected reload = %s", got)
	}
	if n := len(p.flushedLogLines(reloaded)); n != 0 {
		t.Errorf("%d accepted reloads, want 0", n)
	}

	writeFile(t, filepath.Join(home, "config.yaml"), "gateway:\n  backoff_base: 2s\n")
	if line := p.sighup(reloaded); !strings.Contains(line, `"unchanged":1`) {
		t.Errorf("fixed configuration was not accepted as unchanged: %s", line)
	}
}

// loadResult is what one load goroutine saw.
type loadResult struct {
	ok       int
	failures []string
}

// chatLoad sends chat completions to p from one goroutine until stop is
// closed, at most max times, and counts each success in completed.
func chatLoad(p *gatewayProcess, id, max int, stop <-chan struct{},
	completed *atomic.Int64,
) loadResult {
	var res loadResult
	client := &http.Client{Timeout: 30 * time.Second}
	for i := 0; i < max; i++ {
		select {
		case <-stop:
			return res
		default:
		}
		text := fmt.Sprintf("load %d %d", id, i)
		body := `{"model":"actorgate","messages":[{"role":"user","content":"` + text + `"}]}`
		req, err := http.NewRequest(http.MethodPost, p.baseURL()+"/v1/chat/completions",
			strings.NewReader(body))
		if err != nil {
			res.failures = append(res.failures, err.Error())
			continue
		}
		req.Header.Set("Authorization", "Bearer "+p.key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			res.failures = append(res.failures, err.Error())
			continue
		}
		b, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		switch {
		case err != nil:
			res.failures = append(res.failures, err.Error())
		case resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "turn 1: "+text):
			res.failures = append(res.failures, fmt.Sprintf("status %d: %s", resp.StatusCode, b))
		default:
			res.ok++
			completed.Add(1)
		}
	}
	return res
}

// waitCompleted polls completed until it reaches n.
func waitCompleted(t *testing.T, completed *atomic.Int64, n int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for completed.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d requests completed, want %d", completed.Load(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestReloadUnderLoadFailsNoRequest(t *testing.T) {
	const (
		workers      = 4
		maxPerWorker = 5000
		reloads      = 4
	)
	home := filepath.Join(t.TempDir(), "home")
	env := apiDotenv(t)
	metricsAddrs := []string{
		fmt.Sprintf("127.0.0.1:%d", freePort(t)), fmt.Sprintf("127.0.0.1:%d", freePort(t)),
	}
	env["ACTORGATE_METRICS_ADDR"] = metricsAddrs[0]
	p := startFromFiles(t, home, env)

	stop := make(chan struct{})
	var completed atomic.Int64
	results := make([]loadResult, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { results[w] = chatLoad(p, w, maxPerWorker, stop, &completed) })
	}
	// stopLoad runs on every path out of the test, so no worker outlives it.
	stopLoad := sync.OnceFunc(func() {
		close(stop)
		wg.Wait()
	})
	defer stopLoad()

	// Each reload moves the metrics listener, so one platform restarts
	// while the API server's settings stay the same. Requests complete
	// before, between and after the reloads.
	for i := 1; i <= reloads; i++ {
		waitCompleted(t, &completed, completed.Load()+workers)
		env["ACTORGATE_METRICS_ADDR"] = metricsAddrs[i%len(metricsAddrs)]
		writeDotenv(t, home, env)
		line := p.sighup(reloaded)
		if !strings.Contains(line, `"restarted":["metrics"]`) || !strings.Contains(line, `"unchanged":1`) {
			t.Errorf("reload %d: %s", i, line)
		}
		waitStatus(t, home, "metrics", "connected")
	}
	waitCompleted(t, &completed, completed.Load()+workers)
	stopLoad()
	t.Logf("%d requests completed during %d reloads", completed.Load(), reloads)

	for w, r := range results {
		if len(r.failures) > 0 {
			t.Errorf("worker %d: %d of %d requests failed; first: %s",
				w, len(r.failures), r.ok+len(r.failures), r.failures[0])
		}
	}
	if n := len(p.flushedLogLines("api server stopped")); n != 0 {
		t.Errorf("api server stopped %d times during reloads that did not change it", n)
	}
}
