package gateway

import (
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/messages"
)

func (g *Gateway) pause(ctx actor.Context, name string) error {
	e, ok := g.entries[name]
	if !ok {
		return fmt.Errorf("platform %q is not enrolled: %w", name, messages.ErrNotFound)
	}
	if e.status.State == messages.StatePaused {
		return nil
	}
	g.stop(ctx, e, afterStopNothing)
	g.setState(e, messages.StatePaused)
	g.log.Info("platform paused", zap.String("platform", name))
	return nil
}

func (g *Gateway) resume(ctx actor.Context, name string) error {
	e, ok := g.entries[name]
	if !ok {
		return fmt.Errorf("platform %q is not enrolled: %w", name, messages.ErrNotFound)
	}
	if e.spec.Rejected != nil {
		return fmt.Errorf("platform %q was rejected by its configuration (%s); fix the "+
			"configuration and reload with SIGHUP", name, e.spec.Rejected.Code)
	}
	switch e.status.State {
	case messages.StatePaused, messages.StateFatal, messages.StateStopped:
	default:
		return nil
	}
	g.log.Info("platform resumed", zap.String("platform", name))
	g.restartFresh(ctx, e)
	return nil
}

// restartFresh clears the failure history of a platform and starts it,
// after its current actor (if any) has terminated.
func (g *Gateway) restartFresh(ctx actor.Context, e *entry) {
	e.status.Attempts = 0
	e.status.ErrorCode = ""
	e.status.ErrorMessage = ""
	e.failingAt = time.Time{}
	e.attention = false
	g.cancelTimer(e)
	if e.pid != nil {
		g.stop(ctx, e, afterStopRespawn)
		g.setState(e, messages.StateConnecting)
		return
	}
	g.spawn(ctx, e)
}

func (g *Gateway) reload(ctx actor.Context, msg *Reload) *ReloadReply {
	reply := &ReloadReply{}
	seen := make(map[string]bool, len(msg.Platforms))
	for _, p := range msg.Platforms {
		seen[p.Name] = true
		e, ok := g.entries[p.Name]
		switch {
		case !ok:
			g.enroll(ctx, p)
			reply.Started = append(reply.Started, p.Name)
		case e.spec.Fingerprint != p.Fingerprint || e.status.State == messages.StateFatal:
			e.spec = p
			reply.Restarted = append(reply.Restarted, p.Name)
			if p.Rejected != nil {
				g.stop(ctx, e, afterStopNothing)
				g.markFatal(e, p.Rejected)
				continue
			}
			g.restartFresh(ctx, e)
		default:
			reply.Unchanged = append(reply.Unchanged, p.Name)
		}
	}
	for name, e := range g.entries {
		if seen[name] {
			continue
		}
		reply.Stopped = append(reply.Stopped, name)
		if e.pid == nil {
			g.cancelTimer(e)
			delete(g.entries, name)
			continue
		}
		g.stop(ctx, e, afterStopRemove)
		g.setState(e, messages.StateStopped)
	}
	g.log.Info("configuration reloaded",
		zap.Strings("started", reply.Started), zap.Strings("restarted", reply.Restarted),
		zap.Strings("stopped", reply.Stopped), zap.Int("unchanged", len(reply.Unchanged)))
	return reply
}

func (g *Gateway) beginShutdown(ctx actor.Context, msg *Shutdown) {
	if msg.Done != nil {
		g.shutdownWaiters = append(g.shutdownWaiters, msg.Done)
	}
	if g.shuttingDown {
		g.finishShutdownIfDone()
		return
	}
	g.shuttingDown = true
	g.log.Info("stopping platforms")
	for _, e := range g.entries {
		g.stop(ctx, e, afterStopNothing)
		if e.pid == nil {
			g.setState(e, messages.StateStopped)
		}
	}
	g.finishShutdownIfDone()
}

// finishShutdownIfDone releases the shutdown waiters once no platform
// actor is left.
func (g *Gateway) finishShutdownIfDone() {
	if !g.shuttingDown {
		return
	}
	for _, e := range g.entries {
		if e.pid != nil {
			return
		}
	}
	if len(g.shutdownWaiters) > 0 {
		g.log.Info("platforms stopped")
	}
	for _, done := range g.shutdownWaiters {
		close(done)
	}
	g.shutdownWaiters = nil
}
