package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/actorgate/actorgate/bench/internal/loopback"
)

// Bounds of starting and stopping a server process.
const (
	startTimeout = 30 * time.Second
	stopGrace    = 15 * time.Second
	// serverLifetime is when the mock and the proxy exit by themselves,
	// should the harness be killed before it stops them.
	serverLifetime = 30 * time.Minute
)

// binaries are the programs the harness builds for a run.
type binaries struct {
	Gateway string
	Mock    string
	Proxy   string
	// Profiler is the gateway run in-process under the CPU profiler.
	Profiler string
}

// buildBinaries builds actorgate, the mock, the proxy and the profiling
// gateway into dir, without the race detector, from the module at root.
func buildBinaries(ctx context.Context, root, dir string) (binaries, error) {
	//nolint:gosec // G204: go build of fixed packages into the work folder
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+string(filepath.Separator),
		"./cmd/actorgate", "./bench/cmd/mock", "./bench/cmd/proxy", "./bench/cmd/gwprof")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return binaries{}, fmt.Errorf("building the binaries failed: %w\n%s", err, out)
	}
	return binaries{
		Gateway:  filepath.Join(dir, "actorgate"),
		Mock:     filepath.Join(dir, "mock"),
		Proxy:    filepath.Join(dir, "proxy"),
		Profiler: filepath.Join(dir, "gwprof"),
	}, nil
}

// moduleRoot returns the folder of the go.mod that the current folder
// belongs to.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("running go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("the current folder is not inside the actorgate module; " +
			"run the harness from the repository")
	}
	return filepath.Dir(gomod), nil
}

// server is a running server process and its loopback base URL.
type server struct {
	name string
	url  string
	proc *process
}

func (s *server) stop() {
	if s != nil {
		s.proc.stop(stopGrace)
	}
}

// mockOptions selects the mock's behaviour.
type mockOptions struct {
	// hold keeps each stream open after its first content chunk.
	hold bool
}

// startMock starts the mock upstream.
func startMock(ctx context.Context, bins binaries, dir, name string, opts mockOptions,
) (*server, error) {
	args := []string{"-lifetime", serverLifetime.String()}
	if opts.hold {
		args = append(args, "-hold")
	}
	return startAddrServer(ctx, bins.Mock, dir, name, args)
}

// startProxy starts the bare reverse proxy in front of upstream.
func startProxy(ctx context.Context, bins binaries, dir, name, upstream string) (*server, error) {
	args := []string{"-upstream", upstream, "-lifetime", serverLifetime.String()}
	return startAddrServer(ctx, bins.Proxy, dir, name, args)
}

// startAddrServer starts the mock or the proxy on 127.0.0.1:0 and reads
// the URL it publishes once its listener is bound.
func startAddrServer(ctx context.Context, bin, dir, name string, args []string) (*server, error) {
	addrFile := filepath.Join(dir, name+".addr")
	args = append(args, "-addr", "127.0.0.1:0", "-addr-file", addrFile)
	p, err := startProcess(name, bin, args, []string{"PATH=" + os.Getenv("PATH")}, dir)
	if err != nil {
		return nil, err
	}
	url, err := waitAddrFile(ctx, p, addrFile)
	if err != nil {
		p.stop(stopGrace)
		return nil, err
	}
	return &server{name: name, url: url, proc: p}, nil
}

func waitAddrFile(ctx context.Context, p *process, path string) (string, error) {
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 { //nolint:gosec // G304: work folder
			u, err := loopback.ParseURL(string(b))
			if err != nil {
				return "", fmt.Errorf("%w: %s published %w", errServerStart, p.name, err)
			}
			return u.String(), nil
		}
		if p.hasExited() {
			return "", fmt.Errorf("%w: %s exited: %v\n%s", errServerStart, p.name, p.waitErr,
				p.logTail())
		}
		if err := sleepCtx(ctx, 10*time.Millisecond); err != nil {
			return "", err
		}
	}
	return "", fmt.Errorf("%w: %s published no address within %v\n%s", errServerStart,
		p.name, startTimeout, p.logTail())
}

// gatewayOptions selects the gateway's backend and logging.
type gatewayOptions struct {
	// backend is "openai" or "echo".
	backend string
	// upstream is the mock's base URL for the openai backend.
	upstream string
	logLevel string
	// profilePrefix, when set, runs the profiling gateway, which writes
	// profilePrefix-cpu.pprof and profilePrefix-heap.pprof.
	profilePrefix string
}

// startGateway starts the actorgate binary with a fresh data folder, a
// random key and a free port, and waits until /health returns 200. A port
// taken between choosing and binding it is retried on another.
func startGateway(ctx context.Context, bins binaries, dir, name string, opts gatewayOptions,
) (*server, string, error) {
	key, err := randomKey()
	if err != nil {
		return nil, "", err
	}
	var lastErr error
	for attempt := 1; attempt <= 3; attempt++ {
		s, err := startGatewayOnce(ctx, bins, dir, name, key, opts)
		if err == nil {
			return s, key, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, "", lastErr
}

func startGatewayOnce(ctx context.Context, bins binaries, dir, name, key string,
	opts gatewayOptions,
) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	home := filepath.Join(dir, name+"-home")
	if err := os.RemoveAll(home); err != nil { //nolint:gosec // G703: inside the work folder
		return nil, fmt.Errorf("clearing the data folder %s: %w", home, err)
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"ACTORGATE_HOME=" + home,
		"ACTORGATE_LOG_LEVEL=" + opts.logLevel,
		"API_SERVER_KEY=" + key,
		"API_SERVER_HOST=127.0.0.1",
		"API_SERVER_PORT=" + strconv.Itoa(port),
		"AGENT_BACKEND=" + opts.backend,
	}
	if opts.backend == "openai" {
		env = append(env, "AGENT_BASE_URL="+opts.upstream+"/v1", "AGENT_MODEL=bench-model")
	}
	bin, args := bins.Gateway, []string(nil)
	if opts.profilePrefix != "" {
		bin = bins.Profiler
		args = []string{
			"-cpuprofile", opts.profilePrefix + "-cpu.pprof",
			"-memprofile", opts.profilePrefix + "-heap.pprof",
		}
	}
	p, err := startProcess(name, bin, args, env, dir)
	if err != nil {
		return nil, err
	}
	s := &server{name: name, url: "http://127.0.0.1:" + strconv.Itoa(port), proc: p}
	if err := waitHealthy(ctx, s); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func waitHealthy(ctx context.Context, s *server) error {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil}}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		if s.proc.hasExited() {
			return fmt.Errorf("%w: %s exited: %v\n%s", errServerStart, s.name, s.proc.waitErr,
				s.proc.logTail())
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/health", nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if err := sleepCtx(ctx, 20*time.Millisecond); err != nil {
			return err
		}
	}
	return fmt.Errorf("%w: %s did not return 200 on /health within %v\n%s", errServerStart, s.name,
		startTimeout, s.proc.logTail())
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	ln, err := loopback.Listen("127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		return 0, fmt.Errorf("releasing the probe port: %w", err)
	}
	return port, nil
}

func randomKey() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating an API key: %w", err)
	}
	return "bench-" + hex.EncodeToString(b), nil
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
