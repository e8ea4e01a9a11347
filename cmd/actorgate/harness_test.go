package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// binary is the actorgate binary built once for the package's tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "actorgate-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "actorgate")
	build := exec.Command("go", "build", "-race", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building actorgate failed:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func randomKey(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// logBuffer collects a process's output safely across goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// gatewayProcess is a running actorgate binary.
type gatewayProcess struct {
	t      *testing.T
	cmd    *exec.Cmd
	home   string
	port   int
	key    string
	stdout *logBuffer
	stderr *logBuffer
	exited chan struct{}
	err    error
}

// processEnv is the environment of a gateway under test: nothing from the
// developer's own data folder or settings leaks in.
func processEnv(home string, extra map[string]string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"ACTORGATE_HOME=" + home,
		"ACTORGATE_LOG_FORMAT=json",
		"GORACE=halt_on_error=1 atexit_sleep_ms=0",
	}
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	return env
}

// startProcess starts the binary with the given arguments and environment.
func startProcess(t *testing.T, home string, env map[string]string, args ...string) *gatewayProcess {
	t.Helper()
	p := &gatewayProcess{
		t: t, home: home, stdout: &logBuffer{}, stderr: &logBuffer{}, exited: make(chan struct{}),
	}
	p.cmd = exec.Command(binary, args...)
	p.cmd.Env = processEnv(home, env)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.stop(syscall.SIGKILL)
		if t.Failed() {
			t.Logf("gateway stdout:\n%s\ngateway stderr:\n%s", p.stdout, p.stderr)
		}
	})
	return p
}

// startGateway starts a gateway with a random key on a free port and
// waits until its API answers.
func startGateway(t *testing.T, env map[string]string) *gatewayProcess {
	t.Helper()
	home := filepath.Join(t.TempDir(), "home")
	return startGatewayIn(t, home, env)
}

func startGatewayIn(t *testing.T, home string, env map[string]string) *gatewayProcess {
	t.Helper()
	all := map[string]string{
		"API_SERVER_KEY":  randomKey(t),
		"API_SERVER_PORT": fmt.Sprint(freePort(t)),
	}
	for k, v := range env {
		all[k] = v
	}
	p := startProcess(t, home, all)
	p.key = all["API_SERVER_KEY"]
	if _, err := fmt.Sscan(all["API_SERVER_PORT"], &p.port); err != nil {
		t.Fatal(err)
	}
	p.waitHealthy()
	return p
}

func (p *gatewayProcess) baseURL() string {
	return fmt.Sprintf("http://127.0.0.1:%d", p.port)
}

func (p *gatewayProcess) waitHealthy() {
	p.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			p.t.Fatalf("gateway exited early: %v", p.err)
		default:
		}
		resp, err := http.Get(p.baseURL() + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.t.Fatalf("gateway did not become healthy on port %d", p.port)
}

// stop sends sig and waits for the process to exit.
func (p *gatewayProcess) stop(sig syscall.Signal) {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// waitExit waits for the process to exit by itself within d.
func (p *gatewayProcess) waitExit(d time.Duration) (int, bool) {
	select {
	case <-p.exited:
		return p.cmd.ProcessState.ExitCode(), true
	case <-time.After(d):
		return 0, false
	}
}

func (p *gatewayProcess) client(opts ...option.RequestOption) openai.Client {
	base := []option.RequestOption{
		option.WithBaseURL(p.baseURL() + "/v1/"),
		option.WithAPIKey(p.key),
		option.WithMaxRetries(0),
		option.WithRequestTimeout(30 * time.Second),
	}
	return openai.NewClient(append(base, opts...)...)
}

// logLines returns the JSON log lines that contain every one of parts.
func (p *gatewayProcess) logLines(parts ...string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(p.stderr.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		match := true
		for _, part := range parts {
			if !strings.Contains(line, part) {
				match = false
				break
			}
		}
		if match {
			out = append(out, line)
		}
	}
	return out
}

// waitLog polls the process's log until a line contains every part.
func (p *gatewayProcess) waitLog(parts ...string) string {
	p.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if lines := p.logLines(parts...); len(lines) > 0 {
			return lines[0]
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.t.Fatalf("no log line contains %q", parts)
	return ""
}

// flushedLogLines is logLines after the gateway's log buffer has had time to
// flush, for counting lines or checking that one is absent.
func (p *gatewayProcess) flushedLogLines(parts ...string) []string {
	time.Sleep(2 * logFlushInterval)
	return p.logLines(parts...)
}

// fdCount counts the open file descriptors of the process.
func (p *gatewayProcess) fdCount() int {
	p.t.Helper()
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", p.cmd.Process.Pid))
	if err != nil {
		p.t.Fatal(err)
	}
	return len(entries)
}

// settledFDCount waits until the descriptor count reads the same five times
// in a row, 20 ms apart, so that connections closing in the background are not
// counted, and returns that count.
func (p *gatewayProcess) settledFDCount(t *testing.T) int {
	t.Helper()
	last, same := p.fdCount(), 0
	deadline := time.Now().Add(5 * time.Second)
	for same < 5 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		n := p.fdCount()
		if n == last {
			same++
		} else {
			last, same = n, 0
		}
	}
	return last
}

// reply is what do returns: the status, headers and whole body.
type reply struct {
	StatusCode int
	Header     http.Header
}

func do(t *testing.T, method, url, key string, body io.Reader, headers ...string) (reply, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{StatusCode: resp.StatusCode, Header: resp.Header}, b
}
