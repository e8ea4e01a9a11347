package agent

import (
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/lifecycle"
	"github.com/actorgate/actorgate/messages"
)

// closeWait bounds how long a stopping agent waits for its cancelled runs.
const closeWait = 5 * time.Second

// Codes of the PlatformError the agent escalates when its backend cannot
// be built.
const (
	CodeConfigInvalid      = "agent_config_invalid"
	CodeBackendUnavailable = "agent_backend_unavailable"
)

// agentActor owns one Backend and runs each AgentRequest on its own
// goroutine, so that a slow run never delays the next message. Only a
// stopping agent waits for its runs.
type agentActor struct {
	newBackend func() (Backend, error)
	logger     *zap.Logger
	// failures logs failed runs. It is sampled, so that an upstream outage
	// logs the first 10 failures each second and then every 100th.
	failures *zap.Logger
	backend  Backend
	// runner keeps the runs, started by a message or by a caller of the
	// runner.
	runner *Runner
	closed bool
}

// Props returns the props of the agent actor. newBackend is called in
// Started, once per incarnation. The logger is named "agent".
func Props(newBackend func() (Backend, error), logger *zap.Logger, opts ...Option) *actor.Props {
	if logger == nil {
		logger = zap.NewNop()
	}
	logger = logger.Named("agent")
	return actor.PropsFromProducer(Producer(newBackend, logger, opts...),
		actor.WithReceiverMiddleware(lifecycle.RecoverLifecycle(logger)))
}

// Producer returns a producer of fresh agent actors for callers that build
// their own props. The producer opens nothing. The logger is used as given,
// so a caller names it "agent" itself.
func Producer(newBackend func() (Backend, error), logger *zap.Logger, opts ...Option) actor.Producer {
	if logger == nil {
		logger = zap.NewNop()
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	failures := sampled(logger)
	return func() actor.Actor {
		runner := o.runner
		if runner == nil {
			runner = NewRunner()
		}
		return &agentActor{newBackend: newBackend, logger: logger, failures: failures, runner: runner}
	}
}

// Option configures the agent actor.
type Option func(*options)

type options struct {
	runner *Runner
}

// WithRunner has the actor lend its backend to r while it runs, so that
// callers of r run requests on their own goroutines. Without it each
// incarnation keeps its runs to itself. Give one runner to one agent.
func WithRunner(r *Runner) Option {
	return func(o *options) { o.runner = r }
}

// Receive handles one message.
func (a *agentActor) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		a.start(ctx)
	case *messages.AgentRequest:
		a.startRun(ctx, msg)
	case *messages.CancelAgentRequest:
		a.cancelRun(msg)
	case *actor.Restarting, *actor.Stopping, *actor.Stopped:
		a.close()
	}
}

// start builds the backend. A failure is escalated to the supervisor as a
// *messages.PlatformError.
func (a *agentActor) start(ctx actor.Context) {
	backend, err := a.buildBackend()
	if err != nil {
		a.logger.Error("agent backend failed to start", zap.Error(err))
		lifecycle.MustFail(ctx, startError(err))
		return
	}
	a.backend = backend
	a.runner.open(backend, a.logger, a.failures)
	a.logger.Info("agent started", zap.String("backend", backend.Name()))
}

func (a *agentActor) buildBackend() (Backend, error) {
	if a.newBackend == nil {
		return nil, fmt.Errorf("%w: no backend constructor was given to agent.Props", ErrInvalidConfig)
	}
	backend, err := a.newBackend()
	if err == nil && backend == nil {
		err = errors.New("the backend constructor returned no backend and no error")
	}
	return backend, err
}

// startError wraps a backend construction failure for the supervisor. A
// configuration error cannot be fixed by a restart.
func startError(err error) *messages.PlatformError {
	if errors.Is(err, ErrInvalidConfig) {
		return &messages.PlatformError{
			Platform: "agent", Code: CodeConfigInvalid,
			Message: "the agent configuration is invalid: " + err.Error(), Cause: err,
		}
	}
	return &messages.PlatformError{
		Platform: "agent", Code: CodeBackendUnavailable,
		Message: "the agent backend failed to start: " + err.Error(), Retryable: true, Cause: err,
	}
}

// close cancels every run, waits for the goroutines up to closeWait and
// closes the backend. Only the first call does anything.
func (a *agentActor) close() {
	if a.closed {
		return
	}
	a.closed = true
	if a.backend != nil {
		a.waitRuns(a.runner.close())
	}
	if a.backend == nil {
		return
	}
	if err := a.backend.Close(); err != nil {
		a.logger.Warn("closing the agent backend failed",
			zap.String("backend", a.backend.Name()), zap.Error(err))
	}
	a.logger.Info("agent stopped", zap.String("backend", a.backend.Name()))
}

// waitRuns waits for the goroutines of the cancelled runs and logs the
// request ids of those that did not end within closeWait.
func (a *agentActor) waitRuns(runs []*run) {
	if len(runs) == 0 {
		return
	}
	timer := time.NewTimer(closeWait)
	defer timer.Stop()
	expired := false
	var abandoned []string
	for _, r := range runs {
		if !expired {
			select {
			case <-r.done:
				continue
			case <-timer.C:
				expired = true
			}
		}
		select {
		case <-r.done:
		default:
			abandoned = append(abandoned, r.id)
		}
	}
	if len(abandoned) > 0 {
		a.logger.Error("agent runs did not stop after cancellation",
			zap.Strings("request_ids", abandoned), zap.Duration("waited", closeWait))
	}
}
