package agent

import (
	"context"
	"errors"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/messages"
)

// startRun starts req on its own goroutine and returns at once. A request
// whose deadline has passed is dropped without a reply, because its
// requester no longer waits.
func (a *agentActor) startRun(ctx actor.Context, req *messages.AgentRequest) {
	started := time.Now()
	if expired(req.Deadline, started) {
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
	entry, runCtx, loan, err := a.runner.begin(context.Background(), req)
	if err != nil {
		reply := a.rejection(req, err)
		root.Send(sender, &reply)
		return
	}
	j := &job{run: entry, lent: loan, runner: a.runner, req: req, root: root, sender: sender, started: started}
	go j.execute(runCtx)
}

// rejection is the reply to a request that the runner did not start.
func (a *agentActor) rejection(req *messages.AgentRequest, err error) messages.AgentReply {
	switch {
	case a.closed:
		a.debug("agent request rejected while stopping", req.RequestID)
		return refusal(req, CodeCancelled, "the agent is stopping")
	case errors.Is(err, ErrDuplicateRun):
		a.debug("agent request rejected as a duplicate", req.RequestID)
		return refusal(req, CodeAgentBusy, "a run with request id "+req.RequestID+
			" is already in progress; use a unique request id")
	}
	a.debug("agent request rejected without a backend", req.RequestID)
	return refusal(req, CodeUpstreamUnavailable, "the agent backend failed to start; "+
		"see the agent's error log")
}

// cancelRun cancels the run of msg.RequestID if it is still going. The
// run then replies with the code "cancelled".
func (a *agentActor) cancelRun(msg *messages.CancelAgentRequest) {
	if !a.runner.Cancel(msg.RequestID) {
		a.debug("agent cancel for no running request", msg.RequestID)
		return
	}
	a.debug("agent run cancelled", msg.RequestID)
}

func (a *agentActor) debug(msg, requestID string) {
	if a.logger.Core().Enabled(zap.DebugLevel) {
		a.logger.Debug(msg, zap.String("request_id", requestID))
	}
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

// job is the goroutine of one run started by a message. It shares nothing
// with the actor; the runner unregisters the run when it ends.
type job struct {
	run     *run
	lent    *lent
	runner  *Runner
	req     *messages.AgentRequest
	root    *actor.RootContext
	sender  *actor.PID
	started time.Time
}

// execute runs the backend and sends each delta, then the reply, to the
// sender. Nothing is sent once the request's deadline has passed, because a
// reply that reaches a future after it timed out causes a data race in the
// pinned protoactor-go version.
func (j *job) execute(ctx context.Context) {
	defer j.runner.end(j.run)

	var emit func(messages.AgentDelta)
	if j.req.Stream {
		emit = j.sendDelta
	}
	reply := j.lent.execute(ctx, j.req, emit)
	reply.RequestID = j.req.RequestID
	// The requester owns the reply once it is sent, so it is logged first.
	j.lent.log(j.req, &reply, j.started, j.run.failure.cause)
	if !expired(j.req.Deadline, time.Now()) {
		j.root.Send(j.sender, &reply)
	}
}

func (j *job) sendDelta(d messages.AgentDelta) {
	if expired(j.req.Deadline, time.Now()) {
		return
	}
	d.RequestID = j.req.RequestID
	j.root.Send(j.sender, &d)
}
