package actorgate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/actorgate/actorgate/messages"
)

// Errors returned by Ask. Compare with errors.Is.
var (
	// ErrStreamNotSupported: the request has Stream set. Ask waits for one
	// reply; to receive AgentDelta messages, send the request to AgentPID
	// from an actor of your own.
	ErrStreamNotSupported = errors.New("Ask does not stream; send the request to AgentPID " +
		"from an actor to receive deltas")
	// ErrAgentUnavailable: the agent actor is not running (it is
	// restarting after a failure, or the gateway has stopped).
	ErrAgentUnavailable = errors.New("agent is not running")
)

// askMargin is how much earlier than the caller's deadline the agent is
// told to give up. The agent drops a reply whose deadline has passed, so
// with this margin a reply never reaches a future that already timed out,
// which in the pinned protoactor-go version is a data race.
const askMargin = 500 * time.Millisecond

// AgentPID returns the PID of the gateway's agent actor, its child named
// "agent". The PID stays the same across restarts of the agent. Send it
// *messages.AgentRequest and *messages.CancelAgentRequest.
func (g *Gateway) AgentPID() *actor.PID {
	return actor.NewPID(g.system.Address(), g.pid.Id+"/agent")
}

// PlatformPID returns the PID of the adapter of the platform name, a child
// of the gateway named after the platform. The PID stays the same across
// restarts; a message sent while the platform is not running goes to the
// dead letters.
func (g *Gateway) PlatformPID(name string) *actor.PID {
	return actor.NewPID(g.system.Address(), g.pid.Id+"/"+name)
}

// Ask runs req on the gateway's agent and returns its reply. The run ends
// at ctx's deadline, or after the configured agent timeout when ctx has
// none, and is cancelled when ctx is cancelled. req is not modified: Ask
// sends a copy with a RequestID (when empty) and a Deadline set.
//
// A run that failed returns its reply, which holds what the agent produced
// before the failure, together with the reply's *messages.AgentError.
func (g *Gateway) Ask(ctx context.Context, req *messages.AgentRequest) (*messages.AgentReply, error) {
	if req == nil {
		return nil, errors.New("actorgate: Ask: the request is nil")
	}
	if req.Stream {
		return nil, ErrStreamNotSupported
	}
	if g.isClosed() {
		return nil, ErrClosed
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(g.agentTimeout() + askMargin)
	}
	run := *req
	run.Deadline = deadline.Add(-askMargin)
	if run.RequestID == "" {
		run.RequestID = newRequestID()
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("actorgate: Ask: %w", err)
	}
	if !time.Now().Before(run.Deadline) {
		return nil, fmt.Errorf("actorgate: Ask: the deadline leaves the agent no time: %w",
			context.DeadlineExceeded)
	}
	timeout := time.Until(deadline)

	pid := g.AgentPID()
	stop := context.AfterFunc(ctx, func() {
		g.system.Root.Send(pid, &messages.CancelAgentRequest{RequestID: run.RequestID})
	})
	defer stop()
	res, err := g.system.Root.RequestFuture(pid, &run, timeout).Result()
	return askResult(res, err)
}

func askResult(res any, err error) (*messages.AgentReply, error) {
	switch {
	case errors.Is(err, actor.ErrTimeout):
		return nil, fmt.Errorf("actorgate: Ask: no reply from the agent: %w",
			context.DeadlineExceeded)
	case errors.Is(err, actor.ErrDeadLetter):
		return nil, ErrAgentUnavailable
	case err != nil:
		return nil, fmt.Errorf("actorgate: Ask: %w", err)
	}
	reply, ok := res.(*messages.AgentReply)
	if !ok {
		return nil, fmt.Errorf("actorgate: Ask: unexpected reply %T from the agent", res)
	}
	if reply.Err != nil {
		return reply, reply.Err
	}
	return reply, nil
}

func (g *Gateway) isClosed() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.closed
}

func (g *Gateway) agentTimeout() time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cfg.Agent.Timeout
}

// newRequestID returns "ask_" followed by 24 random hex digits.
func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "ask_" + hex.EncodeToString(b[:])
}

// startTimeout bounds how long Start waits for the gateway actor to run
// its Started handler.
const startTimeout = 10 * time.Second

// awaitStarted waits until the gateway has handled *actor.Started, and so
// has spawned its agent and its platforms: protoactor-go delivers Started
// before any user message, so the reply to a status request comes after
// it. Once Start returns, a message to AgentPID reaches the agent. On
// error the caller stops the gateway.
func (g *Gateway) awaitStarted() error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if _, err := g.Status(ctx); err != nil {
		return fmt.Errorf("actorgate: gateway %q did not start: %w", g.name, err)
	}
	return nil
}
