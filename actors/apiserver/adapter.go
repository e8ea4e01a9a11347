package apiserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/agent"
	"github.com/actorgate/actorgate/actors/gateway"
	"github.com/actorgate/actorgate/actors/lifecycle"
	"github.com/actorgate/actorgate/actors/store"
	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
	"github.com/actorgate/actorgate/metrics"
)

// Name is the platform name of the API server.
const Name = "api_server"

// Settings configures the adapter.
type Settings struct {
	API config.APIServerConfig
	// Home is the data folder, used for the default database path.
	Home string
	// AgentTimeout bounds one agent run started by a request.
	AgentTimeout time.Duration
	// Grace is how long requests in flight may run when the adapter stops.
	Grace time.Duration
	// Store configures the response store actor. An empty Path means
	// API.ResolvedDBPath(Home), a zero MaxResponses means API.MaxResponses;
	// tests set Open to inject storage failures.
	Store store.Config
	// Metrics records per-route request counts and latencies and serves
	// GET /metrics; nil records nothing and serves no /metrics route.
	Metrics *metrics.Metrics
	// Runner, when set, runs agent requests on the handlers' goroutines
	// with the backend of the agent actor that was given the same runner.
	// Without it each request goes to the agent actor as a message.
	Runner *agent.Runner
}

// Adapter is the api_server adapter actor.
type Adapter struct {
	settings Settings
	env      gateway.Env
	log      *zap.Logger

	listener net.Listener
	http     *http.Server
	// endRequests cancels the context of every request in flight, with
	// errServerStopping as the cause.
	endRequests context.CancelCauseFunc
	served      chan struct{}
	closer      *lifecycle.Closer
	// draining is set when the close should let requests finish.
	draining bool
}

// serveEnded is sent to the adapter by its serving goroutine.
type serveEnded struct {
	server *http.Server
	err    error
}

// New returns an adapter for the gateway to start; it opens nothing.
func New(settings Settings, env gateway.Env) *Adapter {
	log := env.Logger
	if log == nil {
		log = zap.NewNop()
	}
	return &Adapter{settings: settings, env: env, log: log}
}

// Platform returns the gateway's description of the api_server platform.
// Rejected is set when the settings cannot work (a weak key), so that the
// gateway marks the platform fatal without starting anything.
func Platform(settings Settings) gateway.Platform {
	p := gateway.Platform{
		Name:        Name,
		Fingerprint: fingerprint(settings),
		NewActor:    func(env gateway.Env) actor.Actor { return New(settings, env) },
	}
	if perr := checkSettings(settings); perr != nil {
		p.Rejected = perr
	}
	return p
}

// Receive handles the adapter's lifecycle.
func (a *Adapter) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		a.start(ctx)
	case *serveEnded:
		a.serveEnded(ctx, msg)
	case *actor.Restarting:
		_ = a.closer.Close()
	case *actor.Stopping:
		a.draining = true
		_ = a.closer.Close()
	case *actor.Stopped:
		_ = a.closer.Close()
	}
}

func (a *Adapter) start(ctx actor.Context) {
	if perr := checkSettings(a.settings); perr != nil {
		lifecycle.MustFail(ctx, perr)
		return
	}
	addr := net.JoinHostPort(a.settings.API.Host, fmt.Sprint(a.settings.API.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		lifecycle.MustFail(ctx, listenError(addr, a.settings.API.Port, err))
		return
	}
	a.listener = ln

	storeCfg := a.settings.Store
	if storeCfg.Path == "" {
		storeCfg.Path = a.settings.API.ResolvedDBPath(a.settings.Home)
	}
	if storeCfg.MaxResponses == 0 {
		storeCfg.MaxResponses = a.settings.API.MaxResponses
	}
	storePID, err := ctx.SpawnNamed(store.Props(storeCfg, a.log), "responses")
	if err != nil {
		_ = ln.Close()
		lifecycle.MustFail(ctx, &messages.PlatformError{
			Platform: Name, Code: CodeListenFailed, Retryable: true,
			Message: "starting the response store failed", Cause: err,
		})
		return
	}

	srv := newServer(a.settings, ctx.ActorSystem(), a.env.Agent, storePID, ctx.Parent(), a.log)
	base, endRequests := context.WithCancelCause(context.Background())
	a.endRequests = endRequests
	a.http = &http.Server{
		BaseContext:       func(net.Listener) context.Context { return base },
		Handler:           srv.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          zap.NewStdLog(a.log.Named("http")),
	}
	a.served = make(chan struct{})
	a.closer = lifecycle.NewCloser(a.close)
	self, root, hs, served := ctx.Self(), ctx.ActorSystem().Root, a.http, a.served
	wrapped := &errorRewritingListener{Listener: ln, s: srv}
	go func() {
		defer close(served)
		err := hs.Serve(wrapped)
		root.Send(self, &serveEnded{server: hs, err: err})
	}()

	a.log.Info("api server listening",
		zap.String("url", "http://"+ln.Addr().String()),
		zap.String("model", a.settings.API.ModelName))
	ctx.Send(ctx.Parent(), &messages.PlatformConnected{Platform: Name})
}

func (a *Adapter) serveEnded(ctx actor.Context, msg *serveEnded) {
	if msg.server != a.http || errors.Is(msg.err, http.ErrServerClosed) {
		return
	}
	lifecycle.MustFail(ctx, &messages.PlatformError{
		Platform: Name, Code: CodeServeFailed, Retryable: true,
		Message: "the HTTP server stopped serving", Cause: errors.Join(ErrServeStopped, msg.err),
	})
}

// endWait bounds how long the requests still running when the grace
// period ends may take to write their last event after their context ended.
const endWait = time.Second

// close releases the listener and the server. When draining it lets the
// requests in flight run for the grace period first. Requests still running
// then are ended through their context, which makes a stream write its
// closing event (code server_shutting_down) before the connection closes.
func (a *Adapter) close() error {
	if a.http == nil {
		return nil
	}
	var err error
	if a.draining && a.settings.Grace > 0 {
		err = a.shutdown(a.settings.Grace)
		if err != nil {
			a.log.Warn("grace period over; ending the requests still running",
				zap.Duration("grace", a.settings.Grace))
		}
	}
	a.endRequests(errServerStopping)
	if err != nil && a.shutdown(endWait) != nil {
		a.log.Warn("closing connections still open", zap.Duration("wait", endWait))
	}
	closeErr := a.http.Close()
	<-a.served
	a.log.Info("api server stopped")
	return errors.Join(err, closeErr)
}

// shutdown stops accepting requests and waits up to d for those in flight
// to finish.
func (a *Adapter) shutdown(d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return a.http.Shutdown(ctx)
}

// listenError types a failure to bind: a port in use is fatal, because a
// retry with the same settings cannot succeed; anything else is retryable.
func listenError(addr string, port int, err error) *messages.PlatformError {
	if errors.Is(err, syscall.EADDRINUSE) {
		return &messages.PlatformError{
			Platform: Name, Code: CodePortInUse, Cause: err,
			Message: fmt.Sprintf("port %d is already in use on %s; stop the other process or set "+
				"API_SERVER_PORT (platforms.api_server.port) to a free port, then reload (SIGHUP) "+
				"or restart", port, addr),
		}
	}
	if errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EACCES) {
		return &messages.PlatformError{
			Platform: Name, Code: CodeConfigInvalid, Cause: err,
			Message: fmt.Sprintf("cannot listen on %s: %v; set API_SERVER_HOST and "+
				"API_SERVER_PORT to an address this machine can bind, then reload (SIGHUP)", addr, err),
		}
	}
	return &messages.PlatformError{
		Platform: Name, Code: CodeListenFailed, Retryable: true, Cause: err,
		Message: fmt.Sprintf("listening on %s failed: %v", addr, err),
	}
}
