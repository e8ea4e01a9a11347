package main

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"runtime"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/actorgate/actorgate/actors/gateway"
	"github.com/actorgate/actorgate/bench/internal/loopback"
	"github.com/actorgate/actorgate/stores"
)

// Bounds of the restart scenario.
const (
	// restartBackoff is both Base and Cap of the backoff. A zero Base
	// would make every ceiling the Cap, so both are set to the smallest
	// positive duration; the drawn delays then round to zero.
	restartBackoff = time.Nanosecond
	// settleTimeout bounds the wait for goroutines to finish after the
	// gateway stopped.
	settleTimeout = 10 * time.Second
	// maxBaselineCycles bounds the direct close and reopen baselines.
	maxBaselineCycles = 2000
)

// processState is a snapshot of this process's resources.
type processState struct {
	FDs        int    `json:"fds"`
	Goroutines int    `json:"goroutines"`
	HeapBytes  uint64 `json:"heap_alloc_bytes"`
}

// restartFigures are the raw figures of the restart scenario.
type restartFigures struct {
	Failures int          `json:"failures"`
	Before   processState `json:"before"`
	After    processState `json:"after"`
	FDDelta  int          `json:"fd_delta"`
	// GoroutineDelta and HeapDelta compare After with Before.
	GoroutineDelta int   `json:"goroutine_delta"`
	HeapDelta      int64 `json:"heap_delta_bytes"`
	// Restart is the time from a failure to the next instance's Started,
	// less the drawn backoff delay.
	Restart latencySummary `json:"restart_latency"`
	// Cycle is the time from a failure until the next instance's store
	// replied to a read, less the drawn backoff delay.
	Cycle latencySummary `json:"cycle_latency"`
	// DirectClose is closing a store and a listener directly, the work a
	// restart must do before the next Started.
	DirectClose latencySummary `json:"direct_close_latency"`
	// DirectReopen is closing both, opening both again and reading once,
	// the work of a whole cycle, done directly.
	DirectReopen latencySummary  `json:"direct_reopen_latency"`
	StoreErrors  int             `json:"store_errors"`
	FirstError   string          `json:"first_error,omitempty"`
	Seconds      float64         `json:"failure_seconds"`
	Samples      []restartSample `json:"samples"`

	restarts, closes []time.Duration
}

// runRestart fails an adapter that owns a store Failures times in an
// in-process gateway and compares the process's resources before and
// after.
func runRestart(ctx context.Context, h *harness) (*result, chartFunc, error) {
	dir, err := h.scenarioDir("restart")
	if err != nil {
		return nil, nil, err
	}
	dbPath := filepath.Join(dir, "responses.db")
	bar := newProgress(h.stdout, int64(h.s.Failures), "restart")
	defer bar.finish()

	f, err := measureRestarts(ctx, h.s.Failures, dbPath, bar)
	if err != nil {
		return nil, nil, err
	}
	cycles := min(h.s.Failures, maxBaselineCycles)
	if f.closes, f.DirectReopen, err = directCycles(ctx, filepath.Join(dir, "direct.db"),
		cycles); err != nil {
		return nil, nil, err
	}
	f.DirectClose = summarize(f.closes)
	return restartResult(f), restartChart(f), nil
}

// measureRestarts runs the gateway until the adapter failed n times.
func measureRestarts(ctx context.Context, n int, dbPath string, bar *progress,
) (*restartFigures, error) {
	system := newActorSystem()
	defer system.Shutdown()
	backoff := gateway.Backoff{Base: restartBackoff, Cap: restartBackoff}
	rec := newRestartRecorder(n, backoff.Ceiling(1))
	backoff.Rand = rec.jitter

	stopProgress := followProgress(bar, &rec.count)
	defer stopProgress()
	settleGoroutines(ctx, 0)
	f := &restartFigures{Failures: n, Before: snapshot()}

	started := time.Now()
	pid, err := system.Root.SpawnNamed(gateway.Props(gateway.Config{
		Name: "bench", Backoff: backoff, Logger: zap.NewNop(),
		Platforms: []gateway.Platform{{
			Name: "flaky",
			NewActor: func(gateway.Env) actor.Actor {
				return &flakyAdapter{rec: rec, dbPath: dbPath}
			},
		}},
	}), "bench-gateway")
	if err != nil {
		return nil, fmt.Errorf("spawning the gateway: %w", err)
	}
	waitErr := waitRestarts(ctx, rec, n)
	f.Seconds = time.Since(started).Seconds()
	if err := stopGateway(system, pid); err != nil {
		return nil, err
	}
	if waitErr != nil {
		return nil, waitErr
	}

	settleGoroutines(ctx, f.Before.Goroutines)
	f.After = snapshot()
	f.FDDelta = f.After.FDs - f.Before.FDs
	f.GoroutineDelta = f.After.Goroutines - f.Before.Goroutines
	//nolint:gosec // G115: heap sizes are far below 2^63
	f.HeapDelta = int64(f.After.HeapBytes) - int64(f.Before.HeapBytes)

	rec.mu.Lock()
	defer rec.mu.Unlock()
	f.restarts = rec.restarts
	f.Restart = summarize(rec.restarts)
	f.Cycle = summarize(rec.cycles)
	f.Samples = rec.samples
	f.StoreErrors, f.FirstError = rec.storeErrors, rec.firstError
	return f, nil
}

// waitRestarts waits until the recorder saw n failures and the restart
// after the last one, bounded by a generous 10ms per failure.
func waitRestarts(ctx context.Context, rec *restartRecorder, n int) error {
	limit := max(2*time.Minute, time.Duration(n)*10*time.Millisecond)
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-rec.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return fmt.Errorf("only %d of %d failures within %v", rec.count.Load(), n, limit)
	}
}

// stopGateway stops every adapter, then the gateway, and waits for both.
func stopGateway(system *actor.ActorSystem, pid *actor.PID) error {
	done := make(chan struct{})
	system.Root.Send(pid, &gateway.Shutdown{Done: done})
	select {
	case <-done:
	case <-time.After(stopGrace):
		return fmt.Errorf("the gateway did not stop its adapter within %v", stopGrace)
	}
	if err := system.Root.StopFuture(pid).Wait(); err != nil {
		return fmt.Errorf("stopping the gateway: %w", err)
	}
	return nil
}

// followProgress updates bar from count every 100ms until the returned
// function is called.
func followProgress(bar *progress, count interface{ Load() int64 }) func() {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		var shown int64
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				n := count.Load()
				bar.add(n - shown)
				shown = n
			}
		}
	}()
	return func() {
		close(stop)
		<-done
	}
}

// settleGoroutines waits until the goroutine count is at most target and
// has stayed the same for 300ms, or settleTimeout passed. A target of 0
// only waits for the count to stay the same.
func settleGoroutines(ctx context.Context, target int) {
	deadline := time.Now().Add(settleTimeout)
	last, since := runtime.NumGoroutine(), time.Now()
	for time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
		n := runtime.NumGoroutine()
		if n != last {
			last, since = n, time.Now()
			continue
		}
		if (target == 0 || n <= target) && time.Since(since) >= 300*time.Millisecond {
			return
		}
	}
}

// snapshot reads the descriptor and goroutine counts and the live heap
// after a garbage collection.
func snapshot() processState {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fds, _ := countFDs()
	return processState{FDs: fds, Goroutines: runtime.NumGoroutine(), HeapBytes: ms.HeapAlloc}
}

// directCycles measures, n times, closing an open store and listener
// directly, and the whole cycle of closing, reopening and reading once.
func directCycles(ctx context.Context, path string, n int,
) ([]time.Duration, latencySummary, error) {
	closes := make([]time.Duration, 0, n)
	cycles := make([]time.Duration, 0, n)
	s, ln, err := openDirect(path)
	if err != nil {
		return nil, latencySummary{}, err
	}
	for range n {
		if ctx.Err() != nil {
			break
		}
		start := time.Now()
		_ = s.Close()
		_ = ln.Close()
		closed := time.Now()
		if s, ln, err = openDirect(path); err != nil {
			return nil, latencySummary{}, err
		}
		_, _ = s.Get(ctx, "", probeID)
		closes = append(closes, closed.Sub(start))
		cycles = append(cycles, time.Since(start))
	}
	_ = s.Close()
	_ = ln.Close()
	return closes, summarize(cycles), ctx.Err()
}

func openDirect(path string) (*stores.SQLiteResponses, net.Listener, error) {
	s, err := stores.OpenResponses(path, 100, zap.NewNop())
	if err != nil {
		return nil, nil, err
	}
	ln, err := loopback.Listen("127.0.0.1:0")
	if err != nil {
		_ = s.Close()
		return nil, nil, err
	}
	return s, ln, nil
}

func restartResult(f *restartFigures) *result {
	ratios := map[string]float64{
		"fd_delta":             float64(f.FDDelta),
		"goroutine_delta":      float64(f.GoroutineDelta),
		"restart_p50_vs_close": ratio(f.Restart.P50US, f.DirectClose.P50US),
		"restart_p99_vs_close": ratio(f.Restart.P99US, f.DirectClose.P99US),
		"cycle_p50_vs_reopen":  ratio(f.Cycle.P50US, f.DirectReopen.P50US),
		"cycle_p99_vs_reopen":  ratio(f.Cycle.P99US, f.DirectReopen.P99US),
		"failures_per_second":  ratio(float64(f.Failures), f.Seconds),
	}
	notes := []string{fmt.Sprintf("restart latency p50 %v, p99 %v; direct close p50 %v",
		usToDuration(f.Restart.P50US), usToDuration(f.Restart.P99US),
		usToDuration(f.DirectClose.P50US))}
	if f.StoreErrors > 0 {
		notes = append(notes, fmt.Sprintf("%d store probes failed; first: %s", f.StoreErrors,
			f.FirstError))
	}
	return &result{
		Figures: f,
		Ratios:  ratios,
		Targets: []targetCheck{
			check("fd_delta", float64(f.FDDelta), "==", 0, "descriptors"),
			check("goroutine_delta", float64(f.GoroutineDelta), "==", 0, "goroutines"),
			check("restart_p99", f.Restart.P99US/1000, "<", 2, "ms"),
			check("store_errors", float64(f.StoreErrors), "==", 0, "probes"),
		},
		Notes: notes,
	}
}

func restartChart(f *restartFigures) chartFunc {
	return func(path string) error {
		fds := make(plotter.XYs, len(f.Samples))
		gs := make(plotter.XYs, len(f.Samples))
		for i, s := range f.Samples {
			fds[i] = plotter.XY{X: float64(s.Failures), Y: float64(s.FDs)}
			gs[i] = plotter.XY{X: float64(s.Failures), Y: float64(s.Goroutines)}
		}
		fdPlot, err := lineChart("Open file descriptors", "failures", "descriptors",
			[]series{{name: "file descriptors", xys: fds}})
		if err != nil {
			return err
		}
		gPlot, err := lineChart("Goroutines", "failures", "goroutines",
			[]series{{name: "goroutines", xys: gs}})
		if err != nil {
			return err
		}
		cdf, err := cdfChart("Restart latency", []durations{
			{name: "failure to next Started", values: f.restarts},
			{name: "direct close of store and listener", values: f.closes},
		})
		if err != nil {
			return err
		}
		return savePanels(path, []*plot.Plot{fdPlot, gPlot, cdf}...)
	}
}
