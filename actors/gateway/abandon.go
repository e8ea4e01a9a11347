package gateway

import (
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/messages"
)

// DefaultStopTimeout bounds the wait for an adapter to terminate when
// Config.StopTimeout is zero.
const DefaultStopTimeout = 30 * time.Second

// CodeStopTimeout is the error code in the status row of a platform whose
// adapter did not terminate within the stop timeout and was abandoned.
const CodeStopTimeout = "platform_stop_timeout"

// stopOverdue is sent by the stop timer of one adapter.
type stopOverdue struct {
	name string
	pid  *actor.PID
}

func (g *Gateway) stopTimeout() time.Duration {
	if g.cfg.StopTimeout > 0 {
		return g.cfg.StopTimeout
	}
	return DefaultStopTimeout
}

// armStopTimer starts the timer that abandons the adapter of e when it has
// not terminated within the stop timeout.
func (g *Gateway) armStopTimer(e *entry) {
	g.cancelStopTimer(e)
	if e.pid == nil {
		return
	}
	e.stopTimer = g.sendAfter(g.stopTimeout(), &stopOverdue{name: e.spec.Name, pid: e.pid})
}

func (g *Gateway) cancelStopTimer(e *entry) {
	if e.stopTimer != nil {
		e.stopTimer.Stop()
		e.stopTimer = nil
	}
}

// stopOverdue abandons an adapter that did not terminate within the stop
// timeout, usually because its stop handler blocks. protoactor-go cannot
// end a handler that is running, so the gateway only stops waiting: it
// logs an error, removes the PID from its table and goes on as if the adapter had
// terminated. The one difference is that the platform cannot start again
// under its name while the abandoned actor holds it, so a restart that
// was waiting for the stop marks the platform fatal instead.
func (g *Gateway) stopOverdue(msg *stopOverdue) {
	e, ok := g.entries[msg.name]
	if !ok || e.pid == nil || !e.pid.Equal(msg.pid) || !e.stopping {
		return
	}
	timeout := g.stopTimeout()
	g.log.Error("platform did not stop in time; abandoning it",
		zap.String("platform", msg.name), zap.Duration("stop_timeout", timeout))

	delete(g.byPID, e.pid.Id)
	e.pid, e.stopping, e.stopTimer = nil, false, nil
	e.status.ErrorCode = CodeStopTimeout
	e.status.ErrorMessage = fmt.Sprintf("the adapter did not stop within %s and was abandoned; "+
		"what it holds stays open until actorgate restarts", timeout)
	next := e.next
	e.next = afterStopNothing

	switch {
	case g.shuttingDown:
		g.setState(e, messages.StateStopped)
		g.finishShutdownIfDone()
	case next == afterStopRemove:
		delete(g.entries, msg.name)
	case next == afterStopRespawn:
		g.setState(e, messages.StateFatal)
	case e.status.State == messages.StateConnected || e.status.State == messages.StateConnecting:
		g.setState(e, messages.StateStopped)
	}
}
