package main

import (
	"errors"
	"math"
	mrand "math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/lifecycle"
	"github.com/actorgate/actorgate/actors/store"
	"github.com/actorgate/actorgate/bench/internal/loopback"
	"github.com/actorgate/actorgate/messages"
)

// sampleEvery is how many failures lie between two samples of the file
// descriptor and goroutine counts.
const sampleEvery = 100

// restartSample is the state of the process at one failure.
type restartSample struct {
	Failures   int `json:"failures"`
	FDs        int `json:"fds"`
	Goroutines int `json:"goroutines"`
}

// restartRecorder collects the timings and samples of the failing adapter.
// The adapter's instances run one after another, but on goroutines of the
// actor system, so every field is behind the mutex.
type restartRecorder struct {
	target int
	// ceiling is the backoff ceiling, the same for every attempt because
	// the scenario sets Base equal to Cap.
	ceiling time.Duration
	done    chan struct{}
	// count mirrors failures for the progress bar.
	count atomic.Int64
	// draw is the bits of the last jitter factor the backoff drew.
	draw atomic.Uint64

	mu          sync.Mutex
	failures    int
	failedAt    time.Time
	restarts    []time.Duration
	cycles      []time.Duration
	samples     []restartSample
	storeErrors int
	firstError  string
}

func newRestartRecorder(target int, ceiling time.Duration) *restartRecorder {
	return &restartRecorder{
		target: target, ceiling: ceiling, done: make(chan struct{}),
		restarts: make([]time.Duration, 0, target), cycles: make([]time.Duration, 0, target),
	}
}

// jitter draws the backoff's jitter factor and remembers it, so that the
// restart latency can leave the drawn delay out.
func (r *restartRecorder) jitter() float64 {
	v := mrand.Float64() //nolint:gosec // G404: backoff jitter, not a secret
	r.draw.Store(math.Float64bits(v))
	return v
}

// drawnDelay returns the delay the gateway drew for the last failure,
// computed as gateway.Backoff.Delay computes it.
func (r *restartRecorder) drawnDelay() time.Duration {
	return time.Duration(math.Float64frombits(r.draw.Load()) * float64(r.ceiling))
}

// started records the restart latency of a new instance: the time since
// the last failure, less the drawn delay.
func (r *restartRecorder) started(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.failedAt.IsZero() {
		r.restarts = append(r.restarts, now.Sub(r.failedAt)-r.drawnDelay())
	}
}

// storeAnswered records the full cycle, from the last failure to the new
// store's first reply, and returns whether the adapter must fail again.
// Every sampleEvery failures it samples the descriptor and goroutine
// counts, while the adapter holds its store and its listener.
func (r *restartRecorder) storeAnswered(now time.Time, storeErr error) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.failedAt.IsZero() {
		r.cycles = append(r.cycles, now.Sub(r.failedAt)-r.drawnDelay())
	}
	if storeErr != nil {
		r.storeErrors++
		if r.firstError == "" {
			r.firstError = storeErr.Error()
		}
	}
	if r.failures%sampleEvery == 0 {
		fds, _ := countFDs()
		r.samples = append(r.samples, restartSample{
			Failures: r.failures, FDs: fds,
			Goroutines: runtime.NumGoroutine(),
		})
	}
	if r.failures >= r.target {
		close(r.done)
		return false
	}
	r.failures++
	r.count.Store(int64(r.failures))
	r.failedAt = time.Now()
	return true
}

// flakyAdapter acquires what the API server adapter acquires: a store
// child with its SQLite database, and a listening socket. It waits until
// the store replies to a read and then fails with a retryable error, every
// time until the recorder has seen enough failures.
type flakyAdapter struct {
	rec    *restartRecorder
	dbPath string
	closer *lifecycle.Closer
}

// probeID is a well-formed response id that is never stored.
const probeID = "resp_00000000000000000000000000000000000000000000000a"

func (a *flakyAdapter) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		a.start(ctx)
	case *messages.GetResponseReply:
		a.storeReady(ctx, msg)
	case *actor.Restarting, *actor.Stopping, *actor.Stopped:
		_ = a.closer.Close()
	}
}

func (a *flakyAdapter) start(ctx actor.Context) {
	a.rec.started(time.Now())
	pid, err := ctx.SpawnNamed(store.Props(store.Config{Path: a.dbPath, MaxResponses: 100},
		zap.NewNop()), "responses")
	if err != nil {
		lifecycle.MustFail(ctx, err)
		return
	}
	ln, err := loopback.Listen("127.0.0.1:0")
	if err != nil {
		lifecycle.MustFail(ctx, err)
		return
	}
	a.closer = lifecycle.NewCloser(ln.Close)
	ctx.Request(pid, &messages.GetResponse{RequestID: "probe", ID: probeID})
}

func (a *flakyAdapter) storeReady(ctx actor.Context, reply *messages.GetResponseReply) {
	var storeErr error
	if !errors.Is(reply.Err, messages.ErrNotFound) {
		storeErr = reply.Err
		if storeErr == nil {
			storeErr = errors.New("the store found a response that was never stored")
		}
	}
	if !a.rec.storeAnswered(time.Now(), storeErr) {
		return
	}
	lifecycle.MustFail(ctx, &messages.PlatformError{
		Code: "bench_forced_failure", Message: "the benchmark failed the adapter on purpose",
		Retryable: true,
	})
}
