package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"
)

// scenarioTimeout is the safety net around one scenario. Every phase has
// its own bound; this one only stops a scenario that hangs.
const scenarioTimeout = 15 * time.Minute

// scenario measures one thing and returns its result, without Machine,
// Settings and timing, which the harness fills in. draw writes its chart.
type scenario func(ctx context.Context, h *harness) (*result, chartFunc, error)

// chartFunc writes a scenario's chart to path.
type chartFunc func(path string) error

// inProcess lists the scenarios that run the gateway's actors inside the
// harness, so that -profile profiles the harness itself for them.
var inProcess = map[string]bool{"store": true, "restart": true}

var scenarios = map[string]scenario{
	"api":     runAPI,
	"echo":    runEcho,
	"stream":  runStream,
	"store":   runStore,
	"restart": runRestart,
	"memory":  runMemory,
}

// harness is the state every scenario of one run shares.
type harness struct {
	s       settings
	root    string
	work    string
	out     string
	machine machine
	stdout  io.Writer

	buildOnce sync.Once
	bins      binaries
	buildErr  error
}

func newHarness(ctx context.Context, s settings, stdout io.Writer) (*harness, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "actorgate-bench-")
	if err != nil {
		return nil, fmt.Errorf("creating the work folder: %w", err)
	}
	h := &harness{
		s: s, root: root, work: work, stdout: stdout,
		machine: describeMachine(ctx, root),
	}
	if h.out, err = h.outputDir(); err != nil {
		h.close()
		return nil, err
	}
	if s.Profile != "" {
		if h.s.Profile, err = filepath.Abs(s.Profile); err == nil {
			err = os.MkdirAll(h.s.Profile, 0o750) //nolint:gosec // G703: the -profile folder
		}
		if err != nil {
			h.close()
			return nil, fmt.Errorf("creating the profile folder: %w", err)
		}
	}
	return h, nil
}

// outputDir returns the results folder: -out, or bench/results for a full
// run and a folder inside the work folder for -quick, so that a smoke
// test leaves the tree clean. The work folder is removed at the end, so a
// -quick run without -out keeps nothing.
func (h *harness) outputDir() (string, error) {
	dir := h.s.Out
	switch {
	case dir != "":
	case h.s.Quick:
		dir = filepath.Join(h.work, "results")
	default:
		dir = filepath.Join(h.root, "bench", "results")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("creating the results folder: %w", err)
	}
	return dir, nil
}

// close removes the work folder, unless -keep asked to keep it.
func (h *harness) close() {
	if h.s.Keep {
		fmt.Fprintln(h.stdout, "work folder kept:", h.work)
		return
	}
	_ = os.RemoveAll(h.work) //nolint:gosec // G703: the folder os.MkdirTemp made
}

// binaries builds the programs once per run.
func (h *harness) binaries(ctx context.Context) (binaries, error) {
	h.buildOnce.Do(func() {
		fmt.Fprintln(h.stdout, "building actorgate, the mock and the proxy...")
		h.bins, h.buildErr = buildBinaries(ctx, h.root, filepath.Join(h.work, "bin"))
	})
	return h.bins, h.buildErr
}

// scenarioDir returns a fresh folder for the files of one scenario.
func (h *harness) scenarioDir(name string) (string, error) {
	dir := filepath.Join(h.work, name)
	if err := os.MkdirAll(dir, 0o750); err != nil { //nolint:gosec // G703: in the work folder
		return "", fmt.Errorf("creating the %s folder: %w", name, err)
	}
	return dir, nil
}

// runScenario runs one scenario and writes its JSON file and chart.
func (h *harness) runScenario(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, scenarioTimeout)
	defer cancel()

	stopProfile, err := h.profileHarness(name)
	if err != nil {
		return err
	}
	started := time.Now()
	res, draw, err := scenarios[name](ctx, h)
	if perr := stopProfile(); err == nil {
		err = perr
	}
	if err != nil {
		return err
	}

	res.Scenario = name
	res.StartedAt = started.UTC()
	res.Seconds = time.Since(started).Seconds()
	res.Machine = h.machine
	res.Settings = h.s
	res.Chart = name + ".png"
	if h.s.Profile != "" {
		res.Notes = append(res.Notes, "the measured gateway ran under the CPU "+
			"profiler, so its figures include the profiler's cost")
	}

	if err := draw(filepath.Join(h.out, res.Chart)); err != nil {
		return err
	}
	path, err := writeResult(h.out, res)
	if err != nil {
		return err
	}
	printSummary(h.stdout, res, path)
	return nil
}

// profilePrefix returns where the gateway of a scenario writes its
// profiles, or "" when -profile is not set.
func (h *harness) profilePrefix(scenario string) string {
	if h.s.Profile == "" {
		return ""
	}
	return filepath.Join(h.s.Profile, scenario)
}

// profileHarness starts the CPU profiler of the harness for an in-process
// scenario when -profile is set, writing <scenario>-cpu.pprof. The
// returned function stops it.
func (h *harness) profileHarness(scenario string) (func() error, error) {
	if h.s.Profile == "" || !inProcess[scenario] {
		return func() error { return nil }, nil
	}
	path := h.profilePrefix(scenario) + "-cpu.pprof"
	f, err := os.Create(path) //nolint:gosec // G304: in the -profile folder
	if err != nil {
		return nil, fmt.Errorf("creating the CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("starting the CPU profile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}

// profileSnapshot sends SIGUSR1 to a gateway started with -profile, so
// that it writes its heap and goroutine profiles of this moment, and waits
// until they are written. It does nothing without -profile.
func (h *harness) profileSnapshot(ctx context.Context, s *server, scenario string) error {
	if h.s.Profile == "" {
		return nil
	}
	if err := s.proc.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		return fmt.Errorf("asking %s for profiles: %w", s.name, err)
	}
	path := h.profilePrefix(scenario) + "-heap.pprof.1.heap"
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil { //nolint:gosec // G703: the -profile folder
			return nil
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
	return fmt.Errorf("%s wrote no profile to %s within %v", s.name, path, startTimeout)
}

// loadConfig returns the bounds of one measurement at concurrency c.
func (h *harness) loadConfig(c int) loadConfig {
	return loadConfig{
		concurrency: c, warmup: h.s.Warmup, duration: h.s.Duration,
		maxRequests: h.s.MaxRequests,
	}
}

// plannedLoad returns the progress units (milliseconds) of n measurements.
func (h *harness) plannedLoad(n int) int64 {
	return int64(n) * (h.s.Warmup + h.s.Duration).Milliseconds()
}
