package actorgate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/agent"
	"github.com/actorgate/actorgate/actors/apiserver"
	"github.com/actorgate/actorgate/actors/gateway"
	"github.com/actorgate/actorgate/actors/store"
	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
	"github.com/actorgate/actorgate/metrics"
)

// Option changes how Start builds the gateway.
type Option func(*options)

type options struct {
	logger     *zap.Logger
	platforms  []gateway.Platform
	newBackend func() (agent.Backend, error)
	metrics    *metrics.Metrics
}

// WithLogger sets the logger the gateway's actors log through; without it
// they log nothing.
func WithLogger(l *zap.Logger) Option {
	return func(o *options) { o.logger = l }
}

// WithPlatform registers a custom platform adapter. It is supervised
// exactly like the built-in ones.
func WithPlatform(p gateway.Platform) Option {
	return func(o *options) { o.platforms = append(o.platforms, p) }
}

// WithBackend replaces the agent backend selected by the configuration.
func WithBackend(newBackend func() (agent.Backend, error)) Option {
	return func(o *options) { o.newBackend = newBackend }
}

// Gateway is a handle on a running gateway tree.
type Gateway struct {
	name    string
	system  *actor.ActorSystem
	pid     *actor.PID
	log     *zap.Logger
	opts    options
	cfg     config.Config
	mu      sync.Mutex
	closed  bool
	closing chan struct{}
	err     error
	// metrics receives the gateway's observations. metricsAddr is the
	// bound address of the metrics listener, nil while it does not listen.
	metrics     *metrics.Metrics
	metricsAddr atomic.Pointer[string]
	// runner runs the API server's agent requests on its handlers'
	// goroutines, with the backend of the gateway's agent actor.
	runner *agent.Runner
	// locks are the lock files of the data folder and the databases.
	locks *dataLocks
	// sessionsDB is the path of the sessions database in the configuration
	// passed to Start. The sessions store keeps it across reloads.
	sessionsDB string
}

// Start validates cfg and spawns a gateway named name in system.
//
// Before it opens a database, Start takes an exclusive lock on the file
// LockFileName in cfg.Home and on a lock file beside each database it
// opens (such as responses.db.lock), and keeps them until Close has
// stopped the tree. A second gateway on the same folder or database,
// in this process or in another, fails with an error wrapping
// ErrHomeInUse or ErrDatabaseInUse. The kernel drops the locks of a
// process that dies, so a crash leaves none behind.
func Start(system *actor.ActorSystem, name string, cfg config.Config, opts ...Option) (*Gateway, error) {
	if system == nil {
		return nil, errors.New("actorgate: actor system is nil")
	}
	if name == "" {
		return nil, errors.New("actorgate: gateway name is empty; pass a name such as \"actorgate\"")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("actorgate: invalid configuration: %w", err)
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = zap.NewNop()
	}
	g := &Gateway{
		name: name, system: system, log: o.logger, opts: o, cfg: cfg, runner: agent.NewRunner(),
		locks:      newDataLocks(o.logger),
		sessionsDB: cfg.Platforms.Sessions.ResolvedDBPath(cfg.Home),
	}
	// The data folder is locked before the platforms are listed, so that a
	// Start that finds it locked logs nothing.
	if err := g.locks.lockHome(cfg.Home); err != nil {
		return nil, fmt.Errorf("actorgate: %w", err)
	}
	if err := g.spawn(cfg); err != nil {
		g.abortStart()
		return nil, err
	}
	return g, nil
}

// spawn builds the gateway's props, locks the databases its platforms
// open and spawns the tree.
func (g *Gateway) spawn(cfg config.Config) error {
	if err := g.initMetrics(); err != nil {
		return fmt.Errorf("actorgate: %w", err)
	}
	newBackend, err := g.backend(cfg)
	if err != nil {
		return err
	}
	platforms := g.platforms(cfg)
	if err := g.locks.lockDatabases(g.databases(cfg, platforms)); err != nil {
		return fmt.Errorf("actorgate: %w", err)
	}
	props := gateway.Props(gateway.Config{
		Name:      g.name,
		Backoff:   gateway.Backoff{Base: cfg.Gateway.BackoffBase, Cap: cfg.Gateway.BackoffCap},
		Attention: cfg.Gateway.AttentionAfter,
		Agent: agent.Props(observeBackend(newBackend, g.metrics), g.log,
			agent.WithRunner(g.runner)),
		Platforms: platforms,
		Sessions:  sessionsProps(cfg, g.log),
		Logger:    g.log,
		OnStatus:  g.metrics.ObservePlatform,
		// A stopped adapter drains for the shutdown grace, then closes its
		// store.
		StopTimeout: cfg.Gateway.ShutdownGrace + stopMargin,
	})
	pid, err := g.system.Root.SpawnNamed(props, g.name)
	if err != nil {
		return fmt.Errorf("actorgate: spawning gateway %q: %w", g.name, err)
	}
	g.pid = pid
	return g.awaitStarted()
}

// abortStart stops what a failed Start spawned and releases the locks once
// the tree has stopped. A tree that does not stop within the timeout of
// protoactor-go's StopFuture (10 s in the pinned version) may still have a
// database open, so its locks stay held until the process exits.
func (g *Gateway) abortStart() {
	if g.pid != nil {
		if err := g.system.Root.StopFuture(g.pid).Wait(); err != nil {
			g.log.Error("gateway did not stop after a failed start; keeping its data folder locked",
				zap.String("gateway", g.name), zap.Error(err))
			return
		}
	}
	g.locks.release()
}

func (g *Gateway) backend(cfg config.Config) (func() (agent.Backend, error), error) {
	if g.opts.newBackend != nil {
		return g.opts.newBackend, nil
	}
	switch cfg.Agent.Backend {
	case config.BackendOpenAI:
		ocfg := agent.OpenAIConfig{
			BaseURL: cfg.Agent.BaseURL, APIKey: cfg.Agent.APIKey,
			Model: cfg.Agent.Model, Timeout: cfg.Agent.Timeout,
		}
		log := g.log
		return func() (agent.Backend, error) { return agent.NewOpenAI(ocfg, log) }, nil
	case config.BackendEcho, "":
		return func() (agent.Backend, error) { return agent.NewEcho(), nil }, nil
	}
	return nil, fmt.Errorf("actorgate: unknown agent backend %q; use echo or openai", cfg.Agent.Backend)
}

// platforms lists the platforms cfg enrolls, then the custom ones.
func (g *Gateway) platforms(cfg config.Config) []gateway.Platform {
	var out []gateway.Platform
	enr := cfg.APIServerEnrollment()
	switch enr.Status {
	case config.Enrolled:
		out = append(out, apiserver.Platform(g.apiSettings(cfg)))
	case config.Fatal:
		p := apiserver.Platform(g.apiSettings(cfg))
		p.Rejected = &messages.PlatformError{
			Platform: apiserver.Name, Code: enr.Code, Message: enr.Reason,
		}
		out = append(out, p)
	default:
		g.log.Info("platform not enrolled", zap.String("platform", apiserver.Name),
			zap.String("reason", enr.Reason))
	}
	out = append(out, g.chatPlatforms(cfg)...)
	out = append(out, g.metricsPlatforms(cfg)...)
	return append(out, g.opts.platforms...)
}

func (g *Gateway) apiSettings(cfg config.Config) apiserver.Settings {
	return apiserver.Settings{
		API:          cfg.Platforms.APIServer,
		Home:         cfg.Home,
		AgentTimeout: cfg.Agent.Timeout,
		Grace:        cfg.Gateway.ShutdownGrace,
		Metrics:      g.metrics,
		Runner:       g.runner,
		Store:        store.Config{Observe: g.metrics.ObserveStoreOp},
	}
}

// PID returns the gateway actor's PID.
func (g *Gateway) PID() *actor.PID { return g.pid }

// Name returns the name the gateway was started under.
func (g *Gateway) Name() string { return g.name }

// Status returns the platform table.
func (g *Gateway) Status(ctx context.Context) ([]messages.PlatformStatus, error) {
	res, err := g.request(ctx, &messages.StatusRequest{})
	if err != nil {
		return nil, err
	}
	reply, ok := res.(*messages.StatusReply)
	if !ok {
		return nil, fmt.Errorf("actorgate: unexpected status reply %T", res)
	}
	return reply.Platforms, nil
}

// Pause stops a platform until Resume or a reload.
func (g *Gateway) Pause(ctx context.Context, name string) error {
	return g.command(ctx, &messages.PausePlatform{Name: name})
}

// Resume starts a paused or fatal platform again.
func (g *Gateway) Resume(ctx context.Context, name string) error {
	return g.command(ctx, &messages.ResumePlatform{Name: name})
}

func (g *Gateway) command(ctx context.Context, msg any) error {
	res, err := g.request(ctx, msg)
	if err != nil {
		return err
	}
	reply, ok := res.(*messages.PlatformCommandReply)
	if !ok {
		return fmt.Errorf("actorgate: unexpected reply %T", res)
	}
	return reply.Err
}

// Reload validates cfg and converges the running tree on it: platforms
// whose settings changed restart, new ones start, removed ones stop, the
// rest are left alone, and a fatal platform is retried. An invalid cfg is
// rejected and the running configuration stays. The agent and its
// settings stay as they are, the platforms' agent timeout included, and
// the reply's RestartNeeded names the agent settings that differ. A data
// folder or database that cfg adds is locked as in Start, and when another
// gateway holds it, the reload is rejected with an error wrapping
// ErrHomeInUse or ErrDatabaseInUse.
func (g *Gateway) Reload(ctx context.Context, cfg config.Config) (*gateway.ReloadReply, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("actorgate: invalid configuration, keeping the running one: %w", err)
	}
	g.mu.Lock()
	running := g.cfg.Agent
	g.mu.Unlock()
	pending := cfg.Agent.ChangedFrom(running)
	cfg.Agent = running
	platforms := g.platforms(cfg)
	if err := g.lockData(cfg, platforms); err != nil {
		if errors.Is(err, ErrClosed) {
			return nil, err
		}
		return nil, fmt.Errorf("actorgate: keeping the running configuration: %w", err)
	}
	if len(pending) > 0 {
		g.log.Warn("agent settings changed; they apply after a restart",
			zap.Strings("settings", pending))
	}
	res, err := g.request(ctx, &gateway.Reload{Platforms: platforms})
	if err != nil {
		return nil, err
	}
	reply, ok := res.(*gateway.ReloadReply)
	if !ok {
		return nil, fmt.Errorf("actorgate: unexpected reload reply %T", res)
	}
	g.mu.Lock()
	g.cfg = cfg
	g.mu.Unlock()
	reply.RestartNeeded = pending
	return reply, nil
}

func (g *Gateway) request(ctx context.Context, msg any) (any, error) {
	g.mu.Lock()
	closed := g.closed
	g.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	timeout := 5 * time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	if timeout <= 0 {
		return nil, context.DeadlineExceeded
	}
	return g.system.Root.RequestFuture(g.pid, msg, timeout).Result()
}

// Close stops the tree leaf-first and waits, bounded by ctx: first every
// platform adapter (the API server drains its requests in flight, then its
// store closes), then the agent and the gateway itself. Once the tree has
// stopped, Close releases the locks of the data folder and the databases.
// When it returns an error, an adapter may still have its database open,
// so the locks stay held until the process exits. It is safe to call more
// than once; later calls wait for the first and return its result.
func (g *Gateway) Close(ctx context.Context) error {
	g.mu.Lock()
	if g.closing != nil {
		done := g.closing
		g.mu.Unlock()
		select {
		case <-done:
			return g.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	g.closed = true
	g.closing = make(chan struct{})
	g.mu.Unlock()

	err := g.stopTree(ctx)
	switch {
	case err == nil:
		g.locks.release()
	case g.locks.holding():
		g.log.Warn("keeping the lock files until the process exits, because the gateway "+
			"did not stop", zap.String("gateway", g.name), zap.Error(err))
	}
	g.mu.Lock()
	g.err = err
	close(g.closing)
	g.mu.Unlock()
	return err
}

func (g *Gateway) stopTree(ctx context.Context) error {
	platformsDone := make(chan struct{})
	g.system.Root.Send(g.pid, &gateway.Shutdown{Done: platformsDone})
	select {
	case <-platformsDone:
	case <-ctx.Done():
		g.log.Error("platforms did not stop before the deadline; abandoning them",
			zap.String("gateway", g.name), zap.Error(ctx.Err()))
		return fmt.Errorf("actorgate: stopping platforms: %w", ctx.Err())
	}
	if names := g.abandonedPlatforms(ctx); len(names) > 0 {
		// protoactor-go stops the gateway only after every child
		// terminated, which an abandoned adapter never does. The agent and
		// the gateway are stopped without waiting.
		g.system.Root.Stop(g.pid)
		return fmt.Errorf("actorgate: platforms %s did not stop in time and were abandoned",
			strings.Join(names, ", "))
	}
	stopped := make(chan struct{})
	go func() {
		_ = g.system.Root.StopFuture(g.pid).Wait()
		close(stopped)
	}()
	select {
	case <-stopped:
		return nil
	case <-ctx.Done():
		g.log.Error("gateway did not stop before the deadline; abandoning it",
			zap.String("gateway", g.name), zap.Error(ctx.Err()))
		return fmt.Errorf("actorgate: stopping gateway: %w", ctx.Err())
	}
}

// stopMargin is the time an adapter gets beyond the shutdown grace to
// terminate before the gateway abandons it.
const stopMargin = 2 * time.Second

// abandonedPlatforms returns the platforms whose adapters the gateway
// abandoned because they did not stop in time.
func (g *Gateway) abandonedPlatforms(ctx context.Context) []string {
	timeout := 5 * time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	if timeout <= 0 {
		return nil
	}
	res, err := g.system.Root.RequestFuture(g.pid, &messages.StatusRequest{}, timeout).Result()
	reply, ok := res.(*messages.StatusReply)
	if err != nil || !ok {
		return nil
	}
	var names []string
	for _, row := range reply.Platforms {
		if row.ErrorCode == gateway.CodeStopTimeout {
			names = append(names, row.Name)
		}
	}
	return names
}
