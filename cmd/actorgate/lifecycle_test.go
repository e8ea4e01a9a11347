package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// statusOutput runs "actorgate status" against the gateway in home.
func statusOutput(t *testing.T, home string) string {
	t.Helper()
	cmd := exec.Command(binary, "status")
	cmd.Env = processEnv(home, nil)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("actorgate status: %v\n%s", err, out)
	}
	return string(out)
}

// waitStatus polls "actorgate status" until a line contains every part.
func waitStatus(t *testing.T, home string, parts ...string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var out string
	for time.Now().Before(deadline) {
		cmd := exec.Command(binary, "status")
		cmd.Env = processEnv(home, nil)
		b, err := cmd.CombinedOutput()
		out = string(b)
		if err == nil {
			for _, line := range strings.Split(out, "\n") {
				ok := true
				for _, p := range parts {
					ok = ok && strings.Contains(line, p)
				}
				if ok {
					return line
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("status never showed %q; last output:\n%s", parts, out)
	return ""
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestFirstRunCreatesKeyAndServes(t *testing.T) {
	home := filepath.Join(t.TempDir(), "fresh")
	port := freePort(t)
	p := startProcess(t, home, map[string]string{"API_SERVER_PORT": fmt.Sprint(port)})
	p.port = port
	p.waitHealthy()

	env, err := os.ReadFile(filepath.Join(home, ".env"))
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(home, ".env"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf(".env mode = %v, want 0600", info.Mode().Perm())
	}
	for _, line := range strings.Split(string(env), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && k == "API_SERVER_KEY" {
			p.key = v
		}
	}
	if len(p.key) < 16 {
		t.Fatalf("no usable API_SERVER_KEY in .env:\n%s", env)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.stdout.String(), "/v1") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	out := p.stdout.String()
	if !strings.Contains(out, fmt.Sprintf("http://127.0.0.1:%d/v1", port)) {
		t.Errorf("first run did not print the base URL:\n%s", out)
	}
	if !strings.Contains(out, filepath.Join(home, ".env")) {
		t.Errorf("first run did not say where the key is:\n%s", out)
	}
	if strings.Contains(out, p.key) || strings.Contains(p.stderr.String(), p.key) {
		t.Error("the key appears in the output")
	}
	resp, _ := do(t, http.MethodGet, p.baseURL()+"/v1/models", p.key, nil)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("models with the generated key: status %d", resp.StatusCode)
	}
}

func TestEnabledWithoutKeyIsNotEnrolled(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	writeFile(t, filepath.Join(home, ".env"), "# no key\n")
	p := startProcess(t, home, map[string]string{"API_SERVER_ENABLED": "true"})
	line := p.waitLog("platform not enrolled", "api_server")
	if !strings.Contains(line, "API_SERVER_KEY") {
		t.Errorf("log line does not name the missing key: %s", line)
	}
	waitStatus(t, home, "PLATFORM")
	before := p.settledFDCount(t)
	for i := 0; i < 20; i++ {
		statusOutput(t, home)
	}
	// Status calls open and close control connections. The server closes
	// its end a moment after the client has read the reply.
	if after := p.settledFDCount(t); after > before {
		t.Errorf("open file descriptors went from %d to %d", before, after)
	}
	if n := len(p.flushedLogLines("platform not enrolled", "api_server")); n != 1 {
		t.Errorf("%d 'not enrolled' log lines, want 1", n)
	}
	if _, err := os.Stat(filepath.Join(home, "responses.db")); !os.IsNotExist(err) {
		t.Errorf("responses.db exists (err %v); nothing should be opened", err)
	}
}

func TestWeakKeyIsFatal(t *testing.T) {
	for _, key := range []string{"short", "changeme", "your-api-key"} {
		t.Run(key, func(t *testing.T) {
			home := filepath.Join(t.TempDir(), "home")
			writeFile(t, filepath.Join(home, "config.yaml"),
				"platforms:\n  api_server:\n    enabled: true\n    key: "+key+"\n")
			writeFile(t, filepath.Join(home, ".env"), "# empty\n")
			port := freePort(t)
			p := startProcess(t, home, map[string]string{"API_SERVER_PORT": fmt.Sprint(port)})
			line := waitStatus(t, home, "api_server", "fatal", "api_server_key_invalid")
			if !strings.Contains(line, "SIGHUP") {
				t.Errorf("status message does not say a reload applies the fix: %s", line)
			}
			if strings.Contains(p.stderr.String(), key+"\"") {
				t.Errorf("the key appears in the log")
			}
			if _, err := os.Stat(filepath.Join(home, "responses.db")); !os.IsNotExist(err) {
				t.Errorf("responses.db exists; nothing should be opened")
			}
			if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
				c.Close()
				t.Error("something listens on the API port")
			}
			if strings.Contains(statusOutput(t, home), "retrying") {
				t.Error("a fatal platform is being retried")
			}
		})
	}
}

func TestExplicitDisableWinsOverEnvKey(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	writeFile(t, filepath.Join(home, "config.yaml"), "platforms:\n  api_server:\n    enabled: false\n")
	port := freePort(t)
	p := startProcess(t, home, map[string]string{
		"API_SERVER_KEY": randomKey(t), "API_SERVER_PORT": fmt.Sprint(port),
	})
	waitStatus(t, home, "PLATFORM")
	if strings.Contains(statusOutput(t, home), "api_server") {
		t.Error("api_server is enrolled although the config file disables it")
	}
	if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
		c.Close()
		t.Error("something listens on the API port")
	}
	_ = p
}

func TestPortInUseIsFatalOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	home := filepath.Join(t.TempDir(), "home")
	p := startProcess(t, home, map[string]string{
		"API_SERVER_KEY": randomKey(t), "API_SERVER_PORT": fmt.Sprint(port),
		"ACTORGATE_BACKOFF_BASE": "10ms", "ACTORGATE_BACKOFF_CAP": "20ms",
	})
	waitStatus(t, home, "api_server", "fatal", "api_server_port_in_use")
	time.Sleep(300 * time.Millisecond) // dozens of backoff periods
	lines := p.flushedLogLines("api_server_port_in_use")
	if len(lines) != 1 {
		t.Errorf("%d log lines about the port, want 1:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	if len(lines) > 0 && !strings.Contains(lines[0], fmt.Sprint(port)) {
		t.Errorf("log line does not name port %d: %s", port, lines[0])
	}
	if !strings.Contains(waitStatus(t, home, "api_server"), " 1 ") {
		t.Errorf("attempts is not 1:\n%s", statusOutput(t, home))
	}
	out := p.stdout.String()
	if strings.Contains(out, "/v1") {
		t.Errorf("the welcome message offers the API although its port is taken:\n%s", out)
	}
	if !strings.Contains(out, "not serving (api_server_port_in_use)") {
		t.Errorf("the welcome message does not say why the API is not serving:\n%s", out)
	}
}

func TestQuickRestartRebindsPort(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	key := randomKey(t)
	port := fmt.Sprint(freePort(t))
	env := map[string]string{"API_SERVER_KEY": key, "API_SERVER_PORT": port}
	p := startGatewayIn(t, home, env)
	// Connections closed by the server leave sockets in TIME_WAIT.
	for i := 0; i < 20; i++ {
		req, _ := http.NewRequest(http.MethodGet, p.baseURL()+"/v1/models", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		req.Close = true
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	p.stop(syscall.SIGTERM)
	q := startGatewayIn(t, home, env)
	resp, _ := do(t, http.MethodGet, q.baseURL()+"/v1/models", key, nil)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("restarted gateway answered %d", resp.StatusCode)
	}
	if len(q.flushedLogLines("api_server_port_in_use")) != 0 {
		t.Error("restarted gateway reported the port as taken")
	}
}

func TestSigtermDrainsStream(t *testing.T) {
	up := newFakeUpstream(t)
	up.chunkDelay = 100 * time.Millisecond
	p := startGateway(t, map[string]string{
		"AGENT_BACKEND": "openai", "AGENT_BASE_URL": up.URL + "/v1",
		"ACTORGATE_SHUTDOWN_GRACE": "5s",
	})
	body := `{"model":"m","stream":true,"messages":[{"role":"user","content":"a b c d e f"}]}`
	req, _ := http.NewRequest(http.MethodPost, p.baseURL()+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+p.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	reader := bufio.NewReader(resp.Body)
	if _, err := reader.ReadString('\n'); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The listener closes at once: a new connection is refused.
	refused := false
	for time.Since(start) < 2*time.Second {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", p.port))
		if err != nil {
			refused = true
			break
		}
		c.Close()
		time.Sleep(10 * time.Millisecond)
	}
	if !refused {
		t.Error("the listener still accepts connections after SIGTERM")
	}
	// The stream in flight runs to its end.
	rest, err := io.ReadAll(reader)
	if err != nil {
		t.Fatalf("stream cut off: %v", err)
	}
	if !strings.Contains(string(rest), "data: [DONE]") {
		t.Errorf("stream did not finish:\n%s", rest)
	}
	code, exited := p.waitExit(5*time.Second + time.Second)
	if !exited {
		t.Fatal("process did not exit within the grace period plus a second")
	}
	if code != 0 {
		t.Errorf("exit code = %d, want 0", code)
	}
	if len(p.flushedLogLines("store closed")) == 0 {
		t.Error("no log line says the store was closed")
	}
}
