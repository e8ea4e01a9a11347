package gateway

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/lifecycle"
	"github.com/actorgate/actorgate/messages"
)

// Config configures a gateway actor.
type Config struct {
	// Name is the gateway's name, used in logs and handed to adapters.
	Name      string
	Backoff   Backoff
	Attention time.Duration
	// Agent is the agent actor's props; nil runs without an agent.
	Agent *actor.Props
	// Sessions is the sessions store actor's props, spawned as the child
	// "sessions" when a platform with UsesSessions is enrolled; nil runs
	// without one.
	Sessions  *actor.Props
	Platforms []Platform
	Logger    *zap.Logger
	// Now returns the current time; nil uses time.Now.
	Now func() time.Time
	// OnStatus, when set, is called with a platform's row each time the
	// row changes, and with a stopped row when a platform is removed. It
	// runs on the gateway's mailbox, so it must return quickly and must not
	// wait for the gateway.
	OnStatus func(messages.PlatformStatus)
	// StopTimeout bounds the wait for an adapter to terminate after the
	// gateway stopped it. The gateway logs an error about an adapter still
	// running after it and stops waiting. Zero means DefaultStopTimeout.
	StopTimeout time.Duration
}

// Reload requests that the gateway converge on a new platform list. The reply is
// *ReloadReply once every change has been started (not finished).
type Reload struct {
	Platforms []Platform
}

// ReloadReply is the reply to Reload: the names of the platforms affected.
type ReloadReply struct {
	Started   []string
	Restarted []string
	Stopped   []string
	Unchanged []string
	// RestartNeeded names, by their environment variables, the settings
	// that changed but take effect only when the process restarts. The
	// gateway actor leaves it empty; actorgate.Gateway.Reload fills it.
	RestartNeeded []string
}

// Shutdown requests that the gateway stop every platform adapter. Done is closed
// once all of them have terminated; the agent is left running so that
// requests still draining can finish.
type Shutdown struct {
	Done chan struct{}
}

// restartDue is sent by the backoff timer of one platform.
type restartDue struct {
	name       string
	generation int
}

type entry struct {
	spec       Platform
	pid        *actor.PID
	status     messages.PlatformStatus
	generation int
	timer      *time.Timer
	failingAt  time.Time
	attention  bool
	// stopping is set while a Stop was sent and Terminated is awaited.
	stopping bool
	// stopTimer fires when the adapter has not terminated within
	// Config.StopTimeout after the stop.
	stopTimer *time.Timer
	// next is the action taken when the child terminates.
	next afterStop
}

type afterStop int

const (
	afterStopNothing afterStop = iota
	afterStopRespawn
	afterStopRemove
)

// Gateway is the gateway actor.
type Gateway struct {
	cfg      Config
	log      *zap.Logger
	now      func() time.Time
	system   *actor.ActorSystem
	self     *actor.PID
	agent    *actor.PID
	agentRun int
	sessions *actor.PID
	entries  map[string]*entry
	byPID    map[string]string
	// shuttingDown is set by the first Shutdown; no platform starts after it.
	shuttingDown    bool
	shutdownWaiters []chan struct{}
	// reported holds the rows last passed to cfg.OnStatus, by platform.
	reported map[string]messages.PlatformStatus
}

// New returns the gateway actor; it opens nothing until it is started.
func New(cfg Config) *Gateway {
	log := cfg.Logger
	if log == nil {
		log = zap.NewNop()
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Gateway{
		cfg:     cfg,
		log:     log.Named("gateway").With(zap.String("gateway", cfg.Name)),
		now:     now,
		entries: make(map[string]*entry),
		byPID:   make(map[string]string),
	}
}

// Props returns the gateway's props; each incarnation is a fresh Gateway.
func Props(cfg Config) *actor.Props {
	log := cfg.Logger
	if log == nil {
		log = zap.NewNop()
	}
	return actor.PropsFromProducer(func() actor.Actor { return New(cfg) },
		actor.WithReceiverMiddleware(lifecycle.RecoverLifecycle(log)))
}

// Receive dispatches the gateway's messages.
func (g *Gateway) Receive(ctx actor.Context) {
	defer g.reportChanges()
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		g.started(ctx)
	case *messages.PlatformConnected:
		g.connected(msg)
	case *restartDue:
		g.restartDue(ctx, msg)
	case *agentRestartDue:
		g.agentRestart(ctx)
	case *sessionsRestartDue:
		if !g.shuttingDown && g.sessions != nil {
			restartChild(ctx, g.sessions)
		}
	case *actor.Terminated:
		g.terminated(ctx, msg)
	case *stopOverdue:
		g.stopOverdue(msg)
	case *messages.StatusRequest:
		ctx.Respond(g.statusReply(msg))
	case *messages.PausePlatform:
		ctx.Respond(&messages.PlatformCommandReply{RequestID: msg.RequestID, Err: g.pause(ctx, msg.Name)})
	case *messages.ResumePlatform:
		ctx.Respond(&messages.PlatformCommandReply{RequestID: msg.RequestID, Err: g.resume(ctx, msg.Name)})
	case *Reload:
		ctx.Respond(g.reload(ctx, msg))
	case *Shutdown:
		g.beginShutdown(ctx, msg)
	case *actor.Stopping:
		g.stopTimers()
	}
}

func (g *Gateway) started(ctx actor.Context) {
	g.system = ctx.ActorSystem()
	g.self = ctx.Self()
	if g.cfg.Agent != nil {
		pid, err := ctx.SpawnNamed(g.cfg.Agent, "agent")
		if err != nil {
			g.log.Error("starting agent failed", zap.Error(err))
		} else {
			g.agent = pid
		}
	}
	for _, p := range g.cfg.Platforms {
		if p.UsesSessions && p.Rejected == nil {
			g.ensureSessions(ctx)
		}
	}
	for _, p := range g.cfg.Platforms {
		g.enroll(ctx, p)
	}
	g.log.Info("gateway started", zap.Int("platforms", len(g.entries)))
}

// enroll adds a platform to the table and starts it unless it was rejected.
func (g *Gateway) enroll(ctx actor.Context, p Platform) {
	e := &entry{spec: p, status: messages.PlatformStatus{Name: p.Name, Since: g.now()}}
	g.entries[p.Name] = e
	if p.Rejected != nil {
		g.markFatal(e, p.Rejected)
		return
	}
	g.spawn(ctx, e)
}

func (g *Gateway) spawn(ctx actor.Context, e *entry) {
	if g.shuttingDown {
		return
	}
	if e.spec.UsesSessions {
		g.ensureSessions(ctx)
	}
	env := Env{
		Gateway:  g.cfg.Name,
		Agent:    g.agent,
		Logger:   g.log.Named(e.spec.Name).With(zap.String("platform", e.spec.Name)),
		Sessions: g.sessions,
	}
	newActor := e.spec.NewActor
	props := actor.PropsFromProducer(func() actor.Actor { return newActor(env) },
		actor.WithReceiverMiddleware(lifecycle.RecoverLifecycle(env.Logger)))
	pid, err := ctx.SpawnNamed(props, e.spec.Name)
	if err != nil {
		g.markFatal(e, &messages.PlatformError{
			Platform: e.spec.Name, Code: "platform_spawn_failed",
			Message: "the adapter could not be started: " + err.Error(), Cause: err,
		})
		return
	}
	e.pid = pid
	e.stopping = false
	e.next = afterStopNothing
	g.byPID[pid.Id] = e.spec.Name
	g.setState(e, messages.StateConnecting)
}

// ensureSessions spawns the sessions store once, before the first chat
// platform that needs it.
func (g *Gateway) ensureSessions(ctx actor.Context) {
	if g.sessions != nil || g.cfg.Sessions == nil {
		return
	}
	pid, err := ctx.SpawnNamed(g.cfg.Sessions, "sessions")
	if err != nil {
		g.log.Error("starting sessions store failed", zap.Error(err))
		return
	}
	g.sessions = pid
}

// sessionsFailed restarts the sessions store after a backoff. The store
// replies to disk trouble with errors instead of failing, so this runs
// only on a bug.
func (g *Gateway) sessionsFailed(sup actor.Supervisor, child *actor.PID, reason any) {
	if g.shuttingDown {
		sup.StopChildren(child)
		return
	}
	delay := g.cfg.Backoff.Delay(1)
	g.log.Error("sessions store failed; restarting after backoff",
		zap.Any("reason", reason), zap.Duration("retry_in", delay))
	g.sendAfter(delay, &sessionsRestartDue{})
}

// sessionsRestartDue is sent by the backoff timer of the sessions store.
type sessionsRestartDue struct{}

func (g *Gateway) setState(e *entry, s messages.PlatformState) {
	if e.status.State != s {
		e.status.State = s
		e.status.Since = g.now()
	}
}

func (g *Gateway) connected(msg *messages.PlatformConnected) {
	e, ok := g.entries[msg.Platform]
	// Only a platform that is starting can become connected: a notice sent
	// by an instance that failed right after sending it arrives after the
	// failure, when the state is already retrying.
	if !ok || e.pid == nil || e.stopping || e.status.State != messages.StateConnecting {
		return
	}
	if e.status.Attempts > 0 {
		g.log.Info("platform recovered", zap.String("platform", e.spec.Name),
			zap.Int("attempts", e.status.Attempts),
			zap.Duration("failing_for", g.now().Sub(e.failingAt)))
	} else {
		g.log.Info("platform connected", zap.String("platform", e.spec.Name))
	}
	g.setState(e, messages.StateConnected)
	e.status.Attempts = 0
	e.status.ErrorCode = ""
	e.status.ErrorMessage = ""
	e.status.NextRetryAt = time.Time{}
	e.failingAt = time.Time{}
	e.attention = false
}

// HandleFailure implements actor.SupervisorStrategy for the gateway's
// children. It runs on the gateway's mailbox, so it may touch the table.
func (g *Gateway) HandleFailure(_ *actor.ActorSystem, sup actor.Supervisor, child *actor.PID,
	_ *actor.RestartStatistics, reason any, _ any,
) {
	defer g.reportChanges()
	if g.agent != nil && child.Equal(g.agent) {
		g.agentFailed(sup, child, reason)
		return
	}
	if g.sessions != nil && child.Equal(g.sessions) {
		g.sessionsFailed(sup, child, reason)
		return
	}
	name, ok := g.byPID[child.Id]
	e := g.entries[name]
	if !ok || e == nil || e.stopping || g.shuttingDown {
		sup.StopChildren(child)
		return
	}

	perr := platformError(e.spec.Name, reason)
	e.status.Attempts++
	e.status.ErrorCode = perr.Code
	e.status.ErrorMessage = perr.Message
	if e.failingAt.IsZero() {
		e.failingAt = g.now()
	}

	if !perr.Retryable {
		g.stopFatal(sup, child, e, perr)
		return
	}
	g.scheduleRestart(e, perr)
}

// stopFatal stops a platform whose failure a retry cannot fix and marks it
// fatal until a reload or a resume.
func (g *Gateway) stopFatal(sup actor.Supervisor, child *actor.PID, e *entry,
	perr *messages.PlatformError,
) {
	g.log.Error("platform failed and will not be retried",
		zap.String("platform", e.spec.Name), zap.String("error_code", perr.Code),
		zap.String("error_message", perr.Message), zap.Error(perr.Cause))
	e.stopping = true
	e.next = afterStopNothing
	g.setState(e, messages.StateFatal)
	e.status.NextRetryAt = time.Time{}
	sup.StopChildren(child)
	g.armStopTimer(e)
}

func (g *Gateway) scheduleRestart(e *entry, perr *messages.PlatformError) {
	delay := g.cfg.Backoff.Delay(e.status.Attempts)
	e.generation++
	e.status.Restarts++
	e.status.NextRetryAt = g.now().Add(delay)
	g.setState(e, messages.StateRetrying)
	e.timer = g.sendAfter(delay, &restartDue{name: e.spec.Name, generation: e.generation})

	fields := []zap.Field{
		zap.String("platform", e.spec.Name), zap.String("error_code", perr.Code),
		zap.Int("attempt", e.status.Attempts), zap.Duration("retry_in", delay),
	}
	if perr.Cause != nil {
		fields = append(fields, zap.Error(perr.Cause))
	}
	if g.needsAttention(e) && !e.attention {
		e.attention = true
		g.log.Error("platform needs attention: failing for longer than the threshold",
			append(fields, zap.Duration("failing_for", g.now().Sub(e.failingAt)))...)
		return
	}
	// Repeated failures are logged at warn level for the first attempts and
	// then only at powers of two, so that a platform that fails for days
	// does not flood the log.
	if n := e.status.Attempts; n <= 5 || n&(n-1) == 0 {
		g.log.Warn("platform failed; restarting after backoff", fields...)
	}
}

// sendAfter sends msg to the gateway itself after d.
func (g *Gateway) sendAfter(d time.Duration, msg any) *time.Timer {
	root, self := g.system.Root, g.self
	return time.AfterFunc(d, func() { root.Send(self, msg) })
}

func (g *Gateway) restartDue(ctx actor.Context, msg *restartDue) {
	e, ok := g.entries[msg.name]
	if !ok || e.generation != msg.generation || e.pid == nil || e.stopping ||
		e.status.State != messages.StateRetrying {
		return
	}
	e.timer = nil
	g.setState(e, messages.StateConnecting)
	restartChild(ctx, e.pid)
}

// restartChild sends the restart system message to a suspended child.
func restartChild(ctx actor.Context, pid *actor.PID) {
	if sup, ok := ctx.(actor.Supervisor); ok {
		sup.RestartChildren(pid)
	}
}

func (g *Gateway) agentFailed(sup actor.Supervisor, child *actor.PID, reason any) {
	// The restart is sent from the gateway's own mailbox after the backoff,
	// so that a shutdown in between cancels it.
	if g.shuttingDown {
		sup.StopChildren(child)
		return
	}
	g.agentRun++
	delay := g.cfg.Backoff.Delay(g.agentRun)
	g.log.Error("agent failed; restarting after backoff",
		zap.Any("reason", reason), zap.Duration("retry_in", delay))
	g.sendAfter(delay, &agentRestartDue{})
}

// agentRestartDue is sent by the backoff timer of the agent.
type agentRestartDue struct{}

func (g *Gateway) agentRestart(ctx actor.Context) {
	if g.shuttingDown || g.agent == nil {
		return
	}
	restartChild(ctx, g.agent)
}

func (g *Gateway) terminated(ctx actor.Context, msg *actor.Terminated) {
	name, ok := g.byPID[msg.Who.Id]
	if !ok {
		return
	}
	delete(g.byPID, msg.Who.Id)
	e := g.entries[name]
	if e == nil || e.pid == nil || !e.pid.Equal(msg.Who) {
		return
	}
	e.pid = nil
	e.stopping = false
	g.cancelStopTimer(e)
	next := e.next
	e.next = afterStopNothing
	switch {
	case g.shuttingDown:
		g.setState(e, messages.StateStopped)
		g.finishShutdownIfDone()
	case next == afterStopRespawn:
		g.spawn(ctx, e)
	case next == afterStopRemove:
		delete(g.entries, name)
		g.log.Info("platform removed", zap.String("platform", name))
	case e.status.State == messages.StateConnected || e.status.State == messages.StateConnecting:
		g.setState(e, messages.StateStopped)
		g.log.Warn("platform stopped by itself", zap.String("platform", name))
	}
}

// stop stops a running platform and records what follows its termination.
func (g *Gateway) stop(ctx actor.Context, e *entry, next afterStop) {
	g.cancelTimer(e)
	if e.pid == nil {
		return
	}
	e.next = next
	if !e.stopping {
		e.stopping = true
		ctx.Stop(e.pid)
		g.armStopTimer(e)
	}
}

func (g *Gateway) cancelTimer(e *entry) {
	if e.timer != nil {
		e.timer.Stop()
		e.timer = nil
	}
	e.generation++
	e.status.NextRetryAt = time.Time{}
}

func (g *Gateway) stopTimers() {
	for _, e := range g.entries {
		g.cancelTimer(e)
		g.cancelStopTimer(e)
	}
}

func (g *Gateway) markFatal(e *entry, perr *messages.PlatformError) {
	g.setState(e, messages.StateFatal)
	e.status.ErrorCode = perr.Code
	e.status.ErrorMessage = perr.Message
	g.log.Error("platform rejected", zap.String("platform", e.spec.Name),
		zap.String("error_code", perr.Code), zap.String("error_message", perr.Message))
}

func (g *Gateway) needsAttention(e *entry) bool {
	return e.status.State == messages.StateRetrying && !e.failingAt.IsZero() &&
		g.cfg.Attention > 0 && g.now().Sub(e.failingAt) >= g.cfg.Attention
}

func (g *Gateway) statusReply(msg *messages.StatusRequest) *messages.StatusReply {
	rows := make([]messages.PlatformStatus, 0, len(g.entries))
	for _, e := range g.entries {
		row := e.status
		row.NeedsAttention = g.needsAttention(e)
		rows = append(rows, row)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	return &messages.StatusReply{RequestID: msg.RequestID, Gateway: g.cfg.Name, Platforms: rows}
}

// platformError turns a failure reason into a typed platform error.
func platformError(name string, reason any) *messages.PlatformError {
	if err, ok := reason.(error); ok {
		var perr *messages.PlatformError
		if errors.As(err, &perr) {
			if perr.Platform == "" {
				cp := *perr
				cp.Platform = name
				return &cp
			}
			return perr
		}
		return &messages.PlatformError{
			Platform: name, Code: "adapter_panic", Retryable: true,
			Message: "the adapter failed: " + err.Error(), Cause: err,
		}
	}
	return &messages.PlatformError{
		Platform: name, Code: "adapter_panic", Retryable: true,
		Message: fmt.Sprintf("the adapter failed: %v", reason),
	}
}
