package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/chat"
	"github.com/actorgate/actorgate/actors/gateway"
	"github.com/actorgate/actorgate/actors/lifecycle"
	"github.com/actorgate/actorgate/messages"
)

// Adapter is the webhook adapter actor.
type Adapter struct {
	settings Settings
	env      gateway.Env
	log      *zap.Logger

	http   *http.Server
	served chan struct{}
	core   *chat.Core
	cancel context.CancelFunc
	closer *lifecycle.Closer
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
	return &Adapter{settings: settings.withDefaults(), env: env, log: log}
}

// Platform returns the gateway's description of the webhook platform.
// Rejected is set when the settings cannot work (a weak secret), so that
// the gateway marks the platform fatal without starting anything.
func Platform(settings Settings) gateway.Platform {
	return gateway.Platform{
		Name:         Name,
		Fingerprint:  fingerprint(settings),
		Rejected:     checkSettings(settings.withDefaults()),
		UsesSessions: true,
		NewActor:     func(env gateway.Env) actor.Actor { return New(settings, env) },
	}
}

// Receive handles the adapter's lifecycle and the messages other actors
// send it.
func (a *Adapter) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		a.start(ctx)
	case *serveEnded:
		a.serveEnded(ctx, msg)
	case *messages.SendMessage:
		ctx.Respond(&messages.SendMessageReply{
			RequestID: msg.RequestID,
			Err: fmt.Errorf("the webhook platform cannot start a conversation; "+
				"it answers signed requests only (chat %s)", msg.ChatID),
		})
	case *actor.Restarting, *actor.Stopping, *actor.Stopped:
		_ = a.closer.Close()
	}
}

func (a *Adapter) start(ctx actor.Context) {
	if perr := checkSettings(a.settings); perr != nil {
		lifecycle.MustFail(ctx, perr)
		return
	}
	addr := a.settings.Webhook.Addr()
	ln, err := a.settings.Listen("tcp", addr)
	if err != nil {
		lifecycle.MustFail(ctx, listenError(addr, a.settings.Webhook.Port, err))
		return
	}

	a.core = chat.NewCore(chat.Config{
		Platform:             Name,
		Access:               chat.Access{AllowAll: true},
		HistoryLength:        a.settings.Sessions.HistoryLength,
		GroupSessionsPerUser: a.settings.Sessions.GroupSessionsPerUser,
		AgentTimeout:         a.settings.AgentTimeout,
		Limit:                a.settings.PartLimit,
		Unit:                 chat.Runes,
	}, ctx.ActorSystem(), a.env, noSend)
	reqCtx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	h := &handler{
		settings: a.settings, core: a.core, log: a.log, ctx: reqCtx,
		verifier: newVerifier(a.settings.Webhook.Secret, a.settings.Webhook.ReplayWindow,
			a.settings.Now),
		callbacks: newCallbackClient(),
	}
	a.http = &http.Server{
		Handler:           h.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          zap.NewStdLog(a.log.Named("http")),
	}
	a.served = make(chan struct{})
	a.closer = lifecycle.NewCloser(a.close)
	self, root, hs, served := ctx.Self(), ctx.ActorSystem().Root, a.http, a.served
	go func() {
		defer close(served)
		err := hs.Serve(ln)
		root.Send(self, &serveEnded{server: hs, err: err})
	}()

	a.log.Info("webhook listening", zap.String("url", "http://"+ln.Addr().String()+Path))
	ctx.Send(ctx.Parent(), &messages.PlatformConnected{Platform: Name})
}

// noSend is the core's SendFunc. Every webhook job is silent: the handler
// writes the answer into the HTTP response or posts it to the callback.
func noSend(context.Context, chat.Outgoing) (string, error) {
	return "", chat.Permanent(errors.New("the webhook sends no chat messages"))
}

func (a *Adapter) serveEnded(ctx actor.Context, msg *serveEnded) {
	if msg.server != a.http || errors.Is(msg.err, http.ErrServerClosed) {
		return
	}
	lifecycle.MustFail(ctx, &messages.PlatformError{
		Platform: Name, Code: CodeServeFailed, Retryable: true,
		Message: "the webhook HTTP server stopped serving", Cause: msg.err,
	})
}

// close stops the listener, lets the requests and callbacks in flight run
// for the grace period, then closes every connection and cancels what is
// left, so that an accepted callback is delivered across a restart
// whenever the grace period allows.
func (a *Adapter) close() error {
	deadline := time.Now().Add(a.settings.Grace)
	var err error
	if a.http != nil && a.settings.Grace > 0 {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		if shutdownErr := a.http.Shutdown(ctx); shutdownErr != nil {
			a.log.Warn("grace period over; closing webhook connections still open",
				zap.Duration("grace", a.settings.Grace))
		}
		cancel()
	}
	if a.http != nil {
		err = a.http.Close()
		<-a.served
	}
	if a.core != nil && a.settings.Grace > 0 && !a.core.Drain(time.Until(deadline)) {
		a.log.Warn("grace period over; cancelling webhook messages still running",
			zap.Duration("grace", a.settings.Grace))
	}
	if a.cancel != nil {
		a.cancel()
	}
	err = errors.Join(err, a.core.Close())
	a.log.Info("webhook stopped")
	return err
}

// listenError types a failure to bind: a port in use is fatal, because a
// retry with the same settings cannot succeed; anything else is retryable.
func listenError(addr string, port int, err error) *messages.PlatformError {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return &messages.PlatformError{
			Platform: Name, Code: CodePortInUse, Cause: err,
			Message: fmt.Sprintf("port %d is already in use on %s; stop the other process or "+
				"set WEBHOOK_PORT (platforms.webhook.port) to a free port, then reload (SIGHUP)",
				port, addr),
		}
	case errors.Is(err, syscall.EADDRNOTAVAIL), errors.Is(err, syscall.EACCES):
		return &messages.PlatformError{
			Platform: Name, Code: CodeConfigInvalid, Cause: err,
			Message: fmt.Sprintf("cannot listen on %s: %v; set WEBHOOK_HOST and WEBHOOK_PORT "+
				"to an address this machine can bind, then reload (SIGHUP)", addr, err),
		}
	}
	return &messages.PlatformError{
		Platform: Name, Code: CodeListenFailed, Retryable: true, Cause: err,
		Message: fmt.Sprintf("listening on %s failed: %v", addr, err),
	}
}
