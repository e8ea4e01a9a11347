package agent

import (
	"context"
	"runtime/debug"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/messages"
)

// startRun starts req on its own goroutine and returns at once. A request
// whose deadline has passed is dropped without a reply, because its
// requester no longer waits.
func (a *agentActor) startRun(ctx actor.Context, req *messages.AgentRequest) {
	now := time.Now()
	if expired(req.Deadline, now) {
		a.debug("agent request dropped after its deadline", req.RequestID)
		return
	}
	sender := ctx.Sender()
	if sender == nil {
		a.logger.Warn("agent request has no sender to reply to; send it with Request "+
			"or RequestFuture", zap.String("request_id", req.RequestID))
		return
	}
	root := ctx.ActorSystem().Root
	if a.closed {
		reply := refusal(req, CodeCancelled, "the agent is stopping")
		a.debug("agent request rejected while stopping", req.RequestID)
		root.Send(sender, &reply)
		return
	}
	if a.backend == nil {
		reply := refusal(req, CodeUpstreamUnavailable, "the agent backend failed to start; "+
			"see the agent's error log")
		a.debug("agent request rejected without a backend", req.RequestID)
		root.Send(sender, &reply)
		return
	}
	if req.RequestID != "" && a.byID[req.RequestID] != nil {
		reply := refusal(req, CodeAgentBusy, "a run with request id "+req.RequestID+
			" is already in progress; use a unique request id")
		a.debug("agent request rejected as a duplicate", req.RequestID)
		root.Send(sender, &reply)
		return
	}

	runCtx, cancel := runContext(req.Deadline)
	r := &run{id: req.RequestID, cancel: cancel, done: make(chan struct{})}
	a.runs[r] = struct{}{}
	if r.id != "" {
		a.byID[r.id] = r
	}
	j := &job{
		run: r, req: req, backend: a.backend, root: root, sender: sender,
		self: ctx.Self(), logger: a.logger, failures: a.failures, started: now,
	}
	go j.execute(runCtx)
}

// cancelRun cancels the run of msg.RequestID if it is still going. The
// run then replies with the code "cancelled".
func (a *agentActor) cancelRun(msg *messages.CancelAgentRequest) {
	r := a.byID[msg.RequestID]
	if r == nil {
		a.debug("agent cancel for no running request", msg.RequestID)
		return
	}
	r.cancel()
	a.debug("agent run cancelled", msg.RequestID)
}

// finishRun unregisters a run whose goroutine has ended. A run of an earlier
// incarnation of the actor is not registered and is ignored.
func (a *agentActor) finishRun(r *run) {
	if _, ok := a.runs[r]; !ok {
		return
	}
	delete(a.runs, r)
	if a.byID[r.id] == r {
		delete(a.byID, r.id)
	}
	r.cancel()
}

func (a *agentActor) debug(msg, requestID string) {
	if a.logger.Core().Enabled(zap.DebugLevel) {
		a.logger.Debug(msg, zap.String("request_id", requestID))
	}
}

// runContext returns the context of a run, bounded by the request's
// deadline when it has one. The backend adds its own timeout.
func runContext(deadline time.Time) (context.Context, context.CancelFunc) {
	if deadline.IsZero() {
		return context.WithCancel(context.Background())
	}
	return context.WithDeadline(context.Background(), deadline)
}

// expired reports whether a deadline is set and has passed.
func expired(deadline, now time.Time) bool {
	return !deadline.IsZero() && !now.Before(deadline)
}

// refusal is the reply to a request that the agent does not run.
func refusal(req *messages.AgentRequest, code, message string) messages.AgentReply {
	return messages.AgentReply{
		RequestID: req.RequestID, FinishReason: messages.FinishError,
		Err: &messages.AgentError{Code: code, Message: message},
	}
}

// job is the state of one run's goroutine. It shares nothing with the
// actor except the run's done channel, which only the goroutine closes.
type job struct {
	run      *run
	req      *messages.AgentRequest
	backend  Backend
	root     *actor.RootContext
	sender   *actor.PID
	self     *actor.PID
	logger   *zap.Logger
	failures *zap.Logger
	started  time.Time
}

// execute runs the backend and sends each delta, then the reply, to the
// sender. Nothing is sent once the request's deadline has passed, because a
// reply that reaches a future after it timed out causes a data race in the
// pinned protoactor-go version.
func (j *job) execute(ctx context.Context) {
	defer close(j.run.done)

	reply := j.runBackend(ctx)
	reply.RequestID = j.req.RequestID
	// The requester owns the reply once it is sent, so it is logged first.
	j.log(&reply)
	if !expired(j.req.Deadline, time.Now()) {
		j.root.Send(j.sender, &reply)
	}
	j.root.Send(j.self, &runDone{run: j.run})
}

// runBackend calls the backend and turns a panic into a failed reply,
// because no supervisor watches this goroutine and a panic here would end
// the process.
func (j *job) runBackend(ctx context.Context) (reply messages.AgentReply) {
	defer func() {
		if p := recover(); p != nil {
			j.logger.Error("agent backend panicked", zap.String("request_id", j.req.RequestID),
				zap.String("backend", j.backend.Name()), zap.Any("panic", p),
				zap.ByteString("stack", debug.Stack()))
			reply = messages.AgentReply{FinishReason: messages.FinishError}
			fail(&reply, CodeUpstreamError, "the agent backend failed with an internal error", 0)
		}
	}()
	var emit func(messages.AgentDelta)
	if j.req.Stream {
		emit = j.sendDelta
	}
	return j.backend.Run(ctx, j.req, emit)
}

func (j *job) sendDelta(d messages.AgentDelta) {
	if expired(j.req.Deadline, time.Now()) {
		return
	}
	d.RequestID = j.req.RequestID
	j.root.Send(j.sender, &d)
}

// log records the end of a run: a failure other than a cancellation at
// warn level, everything else at debug level.
func (j *job) log(reply *messages.AgentReply) {
	failed := reply.Err != nil && reply.Err.Code != CodeCancelled
	if !failed && !j.logger.Core().Enabled(zap.DebugLevel) {
		return
	}
	fields := []zap.Field{
		zap.String("request_id", j.req.RequestID),
		zap.String("backend", j.backend.Name()),
		zap.Duration("duration", time.Since(j.started)),
		zap.String("finish_reason", reply.FinishReason),
	}
	if reply.Err == nil {
		j.logger.Debug("agent run finished", fields...)
		return
	}
	fields = append(fields, zap.String("error_code", reply.Err.Code),
		zap.Int("upstream_status", reply.Err.UpstreamStatus))
	if !failed {
		j.logger.Debug("agent run cancelled", fields...)
		return
	}
	j.failures.Warn("agent run failed", append(fields, zap.String("error", reply.Err.Message))...)
}
