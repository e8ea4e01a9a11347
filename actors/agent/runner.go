package agent

import (
	"context"
	"errors"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/actorgate/actorgate/messages"
)

// Errors of a run that [Runner.Run] did not start.
var (
	// ErrNotRunning: no incarnation of the agent actor serves the runner,
	// because it has not started yet, its backend failed to start, or it
	// is stopping.
	ErrNotRunning = errors.New("no agent is running")
	// ErrDuplicateRun: a run with the same request id is in progress.
	ErrDuplicateRun = errors.New("a run with this request id is already in progress")
)

// Runner keeps the runs of one agent actor and runs requests on the
// caller's goroutine. A caller in the same process, such as an HTTP
// handler, so skips the two mailbox hops and the goroutine of a request
// sent as a message. The agent actor that was given the runner (see
// [WithRunner]) lends it its backend while it runs. When the actor stops,
// it cancels and waits for every run, messaged or not.
//
// A Runner is safe for concurrent use. The zero value is not usable; call
// [NewRunner].
type Runner struct {
	mu sync.Mutex
	// lent is the backend and loggers of the running agent, nil while
	// none runs.
	lent *lent
	// opened is closed while an agent lends its backend (lent is set), and
	// replaced when the agent takes it back.
	opened chan struct{}
	runs   map[*run]struct{}
	byID   map[string]*run
}

// agentStartWait bounds how long a run waits for an agent to lend its
// backend when none has: the API server can take a request before the
// agent actor has started, or while the gateway restarts it.
const agentStartWait = 2 * time.Second

// lent is the backend and loggers of the agent incarnation that serves a
// runner. A run keeps the one it started with.
type lent struct {
	backend Backend
	logger  *zap.Logger
	// failures logs failed runs, sampled.
	failures *zap.Logger
}

// NewRunner returns a runner that runs nothing until an agent actor given
// it with [WithRunner] has started.
func NewRunner() *Runner {
	return &Runner{
		opened: make(chan struct{}),
		runs:   make(map[*run]struct{}), byID: make(map[string]*run),
	}
}

// run is one agent request in progress.
type run struct {
	id     string
	cancel context.CancelFunc
	// done is closed when the run has returned its reply.
	done chan struct{}
	// failure receives the cause of a failure from the backend, through
	// the run's context, for the log line of the run.
	failure failureNote
}

// Run runs req on the calling goroutine and returns its reply. emit
// receives the deltas of a streamed request on the same goroutine and may
// be nil. The run ends at the request's Deadline or when ctx ends, and the
// agent's stop cancels it. A panic in the backend becomes a failed reply.
//
// The error is non-nil only when the run did not start: [ErrNotRunning] or
// [ErrDuplicateRun].
func (r *Runner) Run(ctx context.Context, req *messages.AgentRequest, emit func(messages.AgentDelta),
) (messages.AgentReply, error) {
	started := time.Now()
	entry, runCtx, loan, err := r.begin(ctx, req)
	if err != nil {
		return messages.AgentReply{}, err
	}
	defer r.end(entry)
	reply := loan.execute(runCtx, req, emit)
	reply.RequestID = req.RequestID
	loan.log(req, &reply, started, entry.failure.cause)
	return reply, nil
}

// begin registers a run of req under a context derived from parent and
// bounded by the request's deadline, and returns what it runs with.
func (r *Runner) begin(parent context.Context, req *messages.AgentRequest,
) (*run, context.Context, *lent, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lent == nil {
		r.awaitAgent(parent)
	}
	if r.lent == nil {
		return nil, nil, nil, ErrNotRunning
	}
	if req.RequestID != "" && r.byID[req.RequestID] != nil {
		return nil, nil, nil, ErrDuplicateRun
	}
	ctx, cancel := runContext(parent, req.Deadline)
	entry := &run{id: req.RequestID, cancel: cancel, done: make(chan struct{})}
	r.runs[entry] = struct{}{}
	if entry.id != "" {
		r.byID[entry.id] = entry
	}
	return entry, withFailureNote(ctx, &entry.failure), r.lent, nil
}

// awaitAgent waits, with r.mu unlocked, until an agent lends its backend,
// agentStartWait passes or ctx ends. It is called and returns with r.mu
// locked.
func (r *Runner) awaitAgent(ctx context.Context) {
	opened := r.opened
	r.mu.Unlock()
	defer r.mu.Lock()
	timer := time.NewTimer(agentStartWait)
	defer timer.Stop()
	select {
	case <-opened:
	case <-timer.C:
	case <-ctx.Done():
	}
}

// end unregisters a run that has returned and releases its context.
func (r *Runner) end(entry *run) {
	r.mu.Lock()
	delete(r.runs, entry)
	if r.byID[entry.id] == entry {
		delete(r.byID, entry.id)
	}
	r.mu.Unlock()
	entry.cancel()
	close(entry.done)
}

// Cancel cancels the run with request id id, if it is in progress, and
// reports whether it was. The run then returns the code "cancelled".
func (r *Runner) Cancel(id string) bool {
	r.mu.Lock()
	entry := r.byID[id]
	r.mu.Unlock()
	if entry == nil {
		return false
	}
	entry.cancel()
	return true
}

// open lends the runner the backend of an agent that has started.
func (r *Runner) open(backend Backend, logger, failures *zap.Logger) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lent == nil {
		close(r.opened)
	}
	r.lent = &lent{backend: backend, logger: logger, failures: failures}
}

// close takes the backend back, so that no run starts any more, cancels
// every run in progress and returns those runs, whose done channels the
// caller waits on.
func (r *Runner) close() []*run {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lent != nil {
		r.opened = make(chan struct{})
	}
	r.lent = nil
	out := make([]*run, 0, len(r.runs))
	for entry := range r.runs {
		entry.cancel()
		out = append(out, entry)
	}
	return out
}

// execute calls the backend and turns a panic into a failed reply, because
// no supervisor watches the goroutine of a run and a panic there would end
// the process.
func (l *lent) execute(ctx context.Context, req *messages.AgentRequest,
	emit func(messages.AgentDelta),
) (reply messages.AgentReply) {
	backend := l.backend
	defer func() {
		if p := recover(); p != nil {
			l.logger.Error("agent backend panicked", zap.String("request_id", req.RequestID),
				zap.String("backend", backend.Name()), zap.Any("panic", p),
				zap.ByteString("stack", debug.Stack()))
			reply = messages.AgentReply{FinishReason: messages.FinishError}
			fail(&reply, CodeUpstreamError, "the agent backend failed with an internal error", 0)
		}
	}()
	if !req.Stream {
		emit = nil
	}
	return backend.Run(ctx, req, emit)
}

// log records the end of a run: a failure other than a cancellation on
// the sampled logger, everything else at debug level. A failure is logged
// at warn level, and with cause when the backend reported the error behind
// it, which may name the upstream's address. A 401 or 403 from the
// upstream is logged at error level, because only an operator can fix the
// key that it rejected.
func (l *lent) log(req *messages.AgentRequest, reply *messages.AgentReply, started time.Time,
	cause error,
) {
	failed := reply.Err != nil && reply.Err.Code != CodeCancelled
	if !failed && !l.logger.Core().Enabled(zapcore.DebugLevel) {
		return
	}
	fields := []zap.Field{
		zap.String("request_id", req.RequestID),
		zap.String("backend", l.backend.Name()),
		zap.Duration("duration", time.Since(started)),
		zap.String("finish_reason", reply.FinishReason),
	}
	if reply.Err == nil {
		l.logger.Debug("agent run finished", fields...)
		return
	}
	fields = append(fields, zap.String("error_code", reply.Err.Code),
		zap.Int("upstream_status", reply.Err.UpstreamStatus))
	if !failed {
		l.logger.Debug("agent run cancelled", fields...)
		return
	}
	fields = append(fields, zap.String("error", reply.Err.Message))
	if cause != nil {
		fields = append(fields, zap.NamedError("cause", cause))
	}
	switch reply.Err.UpstreamStatus {
	case http.StatusUnauthorized, http.StatusForbidden:
		l.failures.Error("agent run failed", fields...)
	default:
		l.failures.Warn("agent run failed", fields...)
	}
}

// runContext returns the context of a run: parent, bounded by the
// request's deadline when it has one. The OpenAI backend adds its own
// timeout only when that ends sooner.
func runContext(parent context.Context, deadline time.Time) (context.Context, context.CancelFunc) {
	if deadline.IsZero() {
		return context.WithCancel(parent)
	}
	return context.WithDeadline(parent, deadline)
}
