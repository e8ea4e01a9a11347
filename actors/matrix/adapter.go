package matrix

import (
	"context"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/chat"
	"github.com/actorgate/actorgate/actors/gateway"
	"github.com/actorgate/actorgate/actors/lifecycle"
	"github.com/actorgate/actorgate/messages"
)

// Adapter is the Matrix adapter actor.
type Adapter struct {
	settings Settings
	env      gateway.Env
	log      *zap.Logger

	conn   *conn
	core   *chat.Core
	closer *lifecycle.Closer
}

// loggedIn is sent to the adapter by its sync goroutine once the
// homeserver accepted the login.
type loggedIn struct {
	conn     *conn
	userID   string
	deviceID string
}

// connFailed is sent to the adapter by its sync goroutine when it cannot
// go on.
type connFailed struct {
	conn *conn
	err  *messages.PlatformError
}

// New returns an adapter for the gateway to start. It opens nothing.
func New(settings Settings, env gateway.Env) *Adapter {
	log := env.Logger
	if log == nil {
		log = zap.NewNop()
	}
	return &Adapter{settings: settings, env: env, log: log}
}

// Receive handles the adapter's lifecycle and the messages other actors
// ask it to send.
func (a *Adapter) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		a.start(ctx)
	case *loggedIn:
		a.loggedIn(ctx, msg)
	case *connFailed:
		a.connFailed(ctx, msg)
	case *messages.SendMessage:
		a.sendMessage(ctx, msg)
	case *actor.Restarting, *actor.Stopping, *actor.Stopped:
		_ = a.closer.Close()
	}
}

// start checks the settings, builds the client and the chat core, and
// starts the sync goroutine, which logs in. Nothing here waits for the
// network.
func (a *Adapter) start(ctx actor.Context) {
	if perr := checkSettings(a.settings); perr != nil {
		lifecycle.MustFail(ctx, perr)
		return
	}

	if a.env.Sessions == nil {
		lifecycle.MustFail(ctx, &messages.PlatformError{
			Platform: Name, Code: CodeSessionsUnavailable, Retryable: true, Cause: ErrNoSessions,
			Message: "the sessions store is not running, so the sync cursor cannot be kept",
		})
		return
	}
	if warning := a.settings.Matrix.AccessWarning(); warning != "" {
		a.log.Warn(warning)
	}

	s := a.settings.withDefaults()
	c, err := newConn(s, ctx.ActorSystem(), ctx.Self(), a.env.Sessions, a.log)
	if err != nil {
		lifecycle.MustFail(ctx, &messages.PlatformError{
			Platform: Name, Code: CodeConfigInvalid, Cause: err,
			Message: "building the Matrix client failed: " + err.Error() + reloadHint,
		})
		return
	}

	a.core = chat.NewCore(chatConfig(s, c.typing), ctx.ActorSystem(), a.env, c.send)
	a.core.SetBotName(localpart(s.Matrix.UserID))
	a.conn = c
	a.closer = lifecycle.NewCloser(a.close)
	c.start(a.core)
	a.log.Info("connecting to homeserver", zap.String("homeserver", s.Matrix.Homeserver),
		zap.String("user_id", s.Matrix.UserID))
}

// chatConfig is the chat core's configuration for these settings.
func chatConfig(s Settings, typing func(context.Context, messages.InboundMessage) error) chat.Config {
	return chat.Config{
		Platform: Name,
		Access: chat.Access{
			AllowAll: s.Matrix.AllowAllUsers,
			Users:    s.Matrix.AllowedUsers,
			Setting:  allowlistSetting,
		},
		HistoryLength:        s.Sessions.HistoryLength,
		GroupSessionsPerUser: s.Sessions.GroupSessionsPerUser,
		AgentTimeout:         s.AgentTimeout,
		Limit:                s.Limit,
		Unit:                 chat.Bytes,
		Limits:               *s.Limits,
		Retry:                s.Retry,
		Typing:               typing,
	}
}

func (a *Adapter) loggedIn(ctx actor.Context, msg *loggedIn) {
	if msg.conn != a.conn {
		return
	}
	a.log.Info("logged in to homeserver", zap.String("user_id", msg.userID),
		zap.String("device_id", msg.deviceID))
	ctx.Send(ctx.Parent(), &messages.PlatformConnected{Platform: Name})
}

func (a *Adapter) connFailed(ctx actor.Context, msg *connFailed) {
	if msg.conn != a.conn {
		return
	}
	lifecycle.MustFail(ctx, msg.err)
}

// sendMessage serves a SendMessage from another actor through the chat
// core's rate limits. Before the start it replies with ErrNotConnected.
func (a *Adapter) sendMessage(ctx actor.Context, msg *messages.SendMessage) {
	if a.core == nil {
		ctx.Respond(&messages.SendMessageReply{RequestID: msg.RequestID, Err: ErrNotConnected})
		return
	}
	a.core.SendMessage(ctx, msg)
}

// close stops the syncing, cancels the chat turns in progress and waits
// for them, then lets the sync goroutine store the turns that finished
// and waits for it.
func (a *Adapter) close() error {
	a.conn.stop()
	err := a.core.Close()
	a.conn.finish()
	if err != nil {
		a.log.Warn("closing chat turns failed", zap.Error(err))
	}
	a.log.Info("matrix adapter stopped")
	return err
}
