package agent

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/messages"
)

// spawnWithRunner spawns an agent on backend that lends it to a fresh
// runner, and waits until the runner serves. The returned function stops
// the agent; cleanup calls it too, and only the first call stops it.
func spawnWithRunner(t *testing.T, system *actor.ActorSystem, backend Backend) (func(), *Runner) {
	t.Helper()
	return spawnLoggedRunner(t, system, backend, nil)
}

// spawnLoggedRunner is spawnWithRunner with the agent's logger.
func spawnLoggedRunner(t *testing.T, system *actor.ActorSystem, backend Backend,
	logger *zap.Logger,
) (func(), *Runner) {
	t.Helper()
	runner := NewRunner()
	pid := system.Root.Spawn(Props(func() (Backend, error) { return backend, nil }, logger,
		WithRunner(runner)))
	var once sync.Once
	stop := func() { once.Do(func() { stopActor(t, system, pid) }) }
	t.Cleanup(stop)
	deadline := time.Now().Add(waitLimit)
	for {
		runner.mu.Lock()
		serving := runner.lent != nil
		runner.mu.Unlock()
		if serving {
			return stop, runner
		}
		if time.Now().After(deadline) {
			t.Fatal("the runner did not start serving")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRunnerRefusesWithoutAnAgent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := NewRunner().Run(ctx, userRequest("hello", false), nil)
	if !errors.Is(err, ErrNotRunning) {
		t.Fatalf("err = %v, want ErrNotRunning", err)
	}
}

func TestRunnerWaitsForTheAgentToStart(t *testing.T) {
	runner := NewRunner()
	done := make(chan error, 1)
	go func() {
		_, err := runner.Run(context.Background(), userRequest("early", false), nil)
		done <- err
	}()
	// The run waits for up to agentStartWait; the agent starts within it.
	time.Sleep(10 * time.Millisecond)
	system := newSystem(t)
	pid := system.Root.Spawn(Props(func() (Backend, error) { return NewEcho(), nil }, nil,
		WithRunner(runner)))
	t.Cleanup(func() { stopActor(t, system, pid) })
	if err := receive(t, done, "the early run"); err != nil {
		t.Fatalf("run sent before the agent started: err = %v, want a reply", err)
	}
}

func TestRunnerRunsOnTheCallersGoroutine(t *testing.T) {
	system := newSystem(t)
	_, runner := spawnWithRunner(t, system, NewEcho())

	req := userRequest("hello runner", true)
	req.RequestID = "run-1"
	var deltas []string
	reply, err := runner.Run(context.Background(), req, func(d messages.AgentDelta) {
		deltas = append(deltas, d.Text)
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if reply.Err != nil || reply.Text != "turn 1: hello runner" || reply.RequestID != "run-1" {
		t.Fatalf("reply = %+v", reply)
	}
	// The deltas were appended without a lock: emit ran on this goroutine
	// before Run returned, which the race detector would otherwise report.
	if len(deltas) == 0 {
		t.Fatal("no delta reached emit")
	}
}

func TestRunnerRejectsADuplicateRequestID(t *testing.T) {
	system := newSystem(t)
	backend := newBlockingBackend()
	_, runner := spawnWithRunner(t, system, backend)

	ctx, cancel := context.WithCancel(context.Background())
	req := userRequest("hold", false)
	req.RequestID = "same"
	done := make(chan messages.AgentReply, 1)
	go func() {
		reply, _ := runner.Run(ctx, req, nil)
		done <- reply
	}()
	receive(t, backend.started, "the first run")

	if _, err := runner.Run(context.Background(), req, nil); !errors.Is(err, ErrDuplicateRun) {
		t.Fatalf("second run: err = %v, want ErrDuplicateRun", err)
	}
	cancel()
	if reply := receive(t, done, "the first run's reply"); reply.Err == nil ||
		reply.Err.Code != CodeCancelled {
		t.Fatalf("first reply = %+v, want code %s", reply, CodeCancelled)
	}
}

func TestRunnerRunEndsAtTheRequestDeadline(t *testing.T) {
	system := newSystem(t)
	backend := newBlockingBackend()
	_, runner := spawnWithRunner(t, system, backend)

	req := userRequest("hold", false)
	req.Deadline = time.Now().Add(50 * time.Millisecond)
	reply, err := runner.Run(context.Background(), req, nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if reply.Err == nil || reply.Err.Code != CodeUpstreamTimeout {
		t.Fatalf("reply = %+v, want code %s", reply, CodeUpstreamTimeout)
	}
}

func TestStoppingTheAgentCancelsRunnerRuns(t *testing.T) {
	system := newSystem(t)
	backend := newBlockingBackend()
	stop, runner := spawnWithRunner(t, system, backend)

	done := make(chan messages.AgentReply, 1)
	go func() {
		reply, _ := runner.Run(context.Background(), userRequest("hold", false), nil)
		done <- reply
	}()
	receive(t, backend.started, "the run")

	stop()
	if reply := receive(t, done, "the run's reply"); reply.Err == nil || reply.Err.Code != CodeCancelled {
		t.Fatalf("reply = %+v, want code %s", reply, CodeCancelled)
	}
	late, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := runner.Run(late, userRequest("late", false), nil); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("run after stop: err = %v, want ErrNotRunning", err)
	}
	if backend.closes.Load() != 1 {
		t.Fatalf("backend closed %d times, want 1", backend.closes.Load())
	}
}

func TestRunnerTurnsABackendPanicIntoAFailedReply(t *testing.T) {
	system := newSystem(t)
	_, runner := spawnWithRunner(t, system, panickingBackend{})

	reply, err := runner.Run(context.Background(), userRequest("boom", false), nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if reply.Err == nil || reply.Err.Code != CodeUpstreamError {
		t.Fatalf("reply = %+v, want code %s", reply, CodeUpstreamError)
	}
}

func TestRunnerCancelEndsTheRunByID(t *testing.T) {
	system := newSystem(t)
	backend := newBlockingBackend()
	_, runner := spawnWithRunner(t, system, backend)

	req := userRequest("hold", false)
	req.RequestID = "run-to-cancel"
	done := make(chan messages.AgentReply, 1)
	go func() {
		reply, _ := runner.Run(context.Background(), req, nil)
		done <- reply
	}()
	receive(t, backend.started, "the run")

	if runner.Cancel("no-such-run") {
		t.Error("Cancel of an unknown id reported a run")
	}
	if !runner.Cancel("run-to-cancel") {
		t.Fatal("Cancel did not find the run")
	}
	if reply := receive(t, done, "the run's reply"); reply.Err == nil || reply.Err.Code != CodeCancelled {
		t.Fatalf("reply = %+v, want code %s", reply, CodeCancelled)
	}
}
