//go:build reliability

package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/actorgate/actorgate/messages"
)

// waitLimit bounds every wait for a state the suite polls for. It only
// turns a hang into a failure, so it is generous.
const waitLimit = 30 * time.Second

// waitFor polls cond every 20 ms until it holds, and fails the test after
// limit.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().(*net.TCPAddr).Port
}

// gatewayConfig is what one run of the binary gets: its data folder, its
// environment beyond the isolation variables, and the port and key the
// test talks to it with.
type gatewayConfig struct {
	home string
	port int
	key  string
	env  map[string]string
}

// newGatewayConfig returns a configuration with a fresh data folder, a free
// port and a random API key registered with sec.
func newGatewayConfig(t *testing.T, sec *secrets) gatewayConfig {
	t.Helper()
	return gatewayConfig{
		home: filepath.Join(t.TempDir(), "home"),
		port: freePort(t),
		key:  sec.newKey(t, "api key"),
		env:  map[string]string{},
	}
}

// environ is the process environment: nothing from the developer's own
// data folder or settings leaks in, and logs are JSON.
func (c gatewayConfig) environ() []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + c.home,
		"ACTORGATE_HOME=" + c.home,
		"ACTORGATE_LOG_FORMAT=json",
		"API_SERVER_KEY=" + c.key,
	}
	if _, ok := c.env["API_SERVER_PORT"]; !ok && c.port != 0 {
		env = append(env, "API_SERVER_PORT="+strconv.Itoa(c.port))
	}
	for k, v := range c.env {
		env = append(env, k+"="+v)
	}
	return env
}

// gatewayProcess is a running actorgate binary.
type gatewayProcess struct {
	t      *testing.T
	cfg    gatewayConfig
	cmd    *exec.Cmd
	stdout *logBuffer
	stderr *logBuffer
	exited chan struct{}
	err    error
	client *http.Client
}

// startGateway starts the binary with cfg and waits until /health returns
// 200. Its logs are scanned for sec's secrets when the test ends, and run
// names the logs in failure messages.
func startGateway(t *testing.T, sec *secrets, cfg gatewayConfig, run string) *gatewayProcess {
	t.Helper()
	p := &gatewayProcess{
		t: t, cfg: cfg, stdout: &logBuffer{}, stderr: &logBuffer{},
		exited: make(chan struct{}),
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
	}
	sec.watch(run+" stdout", p.stdout)
	sec.watch(run+" stderr", p.stderr)
	p.cmd = exec.Command(binary)
	p.cmd.Env = cfg.environ()
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.kill()
		p.client.CloseIdleConnections()
		if t.Failed() {
			t.Logf("%s stderr (last 8 KiB):\n%s", run, tail(p.stderr.String(), 8<<10))
		}
	})
	p.waitHealthy()
	return p
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

func (p *gatewayProcess) pid() int { return p.cmd.Process.Pid }

func (p *gatewayProcess) baseURL() string {
	return fmt.Sprintf("http://127.0.0.1:%d", p.cfg.port)
}

func (p *gatewayProcess) waitHealthy() {
	p.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			p.t.Fatalf("gateway exited early: %v\n%s", p.err, tail(p.stderr.String(), 4<<10))
		default:
		}
		resp, err := p.client.Get(p.baseURL() + "/health")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.t.Fatalf("gateway did not become healthy on port %d", p.cfg.port)
}

// kill sends SIGKILL and waits for the process to exit.
func (p *gatewayProcess) kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// signal sends sig to the process.
func (p *gatewayProcess) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("sending %v: %v", sig, err)
	}
}

// waitExit waits up to d for the process to exit by itself and returns
// its exit code.
func (p *gatewayProcess) waitExit(d time.Duration) (int, bool) {
	select {
	case <-p.exited:
		return p.cmd.ProcessState.ExitCode(), true
	case <-time.After(d):
		return 0, false
	}
}

// reply is the status, headers and whole body of one HTTP exchange.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request to the gateway with the API key. headers are
// name, value pairs.
func (p *gatewayProcess) do(method, path string, body any, headers ...string) (reply, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return reply{}, err
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, p.baseURL()+path, rd)
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Authorization", "Bearer "+p.cfg.key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: b}, err
}

// mustDo is do that fails the test on a transport error.
func (p *gatewayProcess) mustDo(method, path string, body any, headers ...string) reply {
	p.t.Helper()
	r, err := p.do(method, path, body, headers...)
	if err != nil {
		p.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// platforms returns the platform table from the control socket, which
// responds even while the API server is down.
func (p *gatewayProcess) platforms() ([]messages.PlatformStatus, error) {
	sock := filepath.Join(p.cfg.home, "actorgate.sock")
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	resp, err := c.Get("http://actorgate/status")
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	var rows []messages.PlatformStatus
	if err := json.NewDecoder(resp.Body).Decode(&rows); err != nil {
		return nil, fmt.Errorf("decoding the status table: %w", err)
	}
	return rows, nil
}

// platformState returns the row of one platform, or a zero row.
func (p *gatewayProcess) platformState(name string) messages.PlatformStatus {
	rows, err := p.platforms()
	if err != nil {
		return messages.PlatformStatus{}
	}
	for _, row := range rows {
		if row.Name == name {
			return row
		}
	}
	return messages.PlatformStatus{}
}

// procStats is what the suite samples from /proc about a process.
type procStats struct {
	fds     int
	threads int
	rssKiB  int
}

func readProcStats(pid int) (procStats, error) {
	var st procStats
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return st, err
	}
	st.fds = len(entries)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return st, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) == 0 {
			continue
		}
		switch name {
		case "Threads":
			st.threads, _ = strconv.Atoi(fields[0])
		case "VmRSS":
			st.rssKiB, _ = strconv.Atoi(fields[0])
		}
	}
	return st, nil
}

func (p *gatewayProcess) stats() procStats {
	p.t.Helper()
	st, err := readProcStats(p.pid())
	if err != nil {
		p.t.Fatalf("reading /proc of the gateway: %v", err)
	}
	return st
}

// apiError is the OpenAI error envelope.
type apiError struct {
	Error struct {
		Message string `json:"message"`
		Type    string `json:"type"`
		Code    string `json:"code"`
	} `json:"error"`
}

func decodeError(t *testing.T, r reply) apiError {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("status %d body is not an error envelope: %v: %s", r.status, err, r.body)
	}
	return e
}
