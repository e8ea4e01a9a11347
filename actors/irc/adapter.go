package irc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/chat"
	"github.com/actorgate/actorgate/actors/gateway"
	"github.com/actorgate/actorgate/actors/irc/ircconn"
	"github.com/actorgate/actorgate/actors/lifecycle"
	"github.com/actorgate/actorgate/messages"
)

// Adapter is the IRC adapter actor.
type Adapter struct {
	settings Settings
	env      gateway.Env
	log      *zap.Logger

	link    *link
	core    *chat.Core
	closer  *lifecycle.Closer
	askers  *askers
	idStem  string
	idCount uint64
}

// New returns an adapter for the gateway to start; it opens nothing.
func New(settings Settings, env gateway.Env) *Adapter {
	log := env.Logger
	if log == nil {
		log = zap.NewNop()
	}
	return &Adapter{settings: settings.withDefaults(), env: env, log: log}
}

// Platform returns the gateway's description of the IRC platform.
// Rejected is set when the settings cannot work (an invalid nick or
// channel), so that the gateway marks the platform fatal without starting
// anything.
func Platform(settings Settings) gateway.Platform {
	return gateway.Platform{
		Name:         Name,
		Fingerprint:  fingerprint(settings),
		Rejected:     checkSettings(settings.withDefaults()),
		UsesSessions: true,
		NewActor:     func(env gateway.Env) actor.Actor { return New(settings, env) },
	}
}

// Receive handles the adapter's lifecycle, its connection's events and
// the messages other actors send it.
func (a *Adapter) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		a.start(ctx)
	case *dialed:
		a.dialed(ctx, msg)
	case *linkEvent:
		if msg.link == a.link {
			a.handleEvent(ctx, msg.event)
		}
	case *messages.SendMessage:
		a.sendMessage(ctx, msg)
	case *actor.Restarting, *actor.Stopping, *actor.Stopped:
		_ = a.closer.Close()
	}
}

func (a *Adapter) start(ctx actor.Context) {
	s := a.settings
	if perr := checkSettings(s); perr != nil {
		lifecycle.MustFail(ctx, perr)
		return
	}

	a.idStem = newIDStem()
	a.askers = newAskers()
	a.link = newLink()
	a.core = chat.NewCore(chat.Config{
		Platform: Name,
		Access: chat.Access{
			AllowAll: s.IRC.AllowAllUsers,
			Users:    lowerAll(s.IRC.AllowedUsers),
			Setting:  "IRC_ALLOWED_USERS",
		},
		HistoryLength:        s.Sessions.HistoryLength,
		GroupSessionsPerUser: s.Sessions.GroupSessionsPerUser,
		AgentTimeout:         s.AgentTimeout,
		Limit:                PartLimit,
		Unit:                 chat.Bytes,
		// No chat.Limits: the connection's flood control paces every line
		// the bot writes, whichever chat it goes to.
	}, ctx.ActorSystem(), a.env, a.send)
	a.closer = lifecycle.NewCloser(a.close)

	cfg := s.connConfig()
	cfg.Logger = a.log
	a.link.start(cfg, ctx.ActorSystem().Root, ctx.Self())
	a.log.Info("connecting to irc server", zap.String("server", cfg.Addr),
		zap.Bool("tls", s.IRC.TLS), zap.String("nick", cfg.Nick),
		zap.Bool("sasl", s.IRC.SASLUser != ""))
}

func (a *Adapter) dialed(ctx actor.Context, msg *dialed) {
	if msg.link != a.link {
		return
	}
	if msg.err != nil {
		if errors.Is(msg.err, context.Canceled) {
			return
		}
		lifecycle.MustFail(ctx, dialFailure(a.settings, msg.err))
		return
	}

	conn := msg.link.conn
	a.core.SetBotName(conn.Nick())
	a.log.Info("irc server accepted the login", zap.String("server", a.settings.IRC.Addr()),
		zap.String("nick", conn.Nick()), zap.Strings("channels", a.settings.IRC.Channels))
	if w := a.settings.IRC.AccessWarning(); w != "" {
		a.log.Warn("irc bot rejects every user", zap.String("fix", w))
	}
	ctx.Send(ctx.Parent(), &messages.PlatformConnected{Platform: Name})
}

func (a *Adapter) handleEvent(ctx actor.Context, event ircconn.Event) {
	switch ev := event.(type) {
	case *ircconn.Inbound:
		a.inbound(ev)
	case *ircconn.Joined:
		a.log.Info("joined channel", zap.String("channel", ev.Channel))
	case *ircconn.JoinFailed:
		a.log.Warn("joining channel failed; check the channel's modes or IRC_CHANNELS",
			zap.String("channel", ev.Channel), zap.String("numeric", ev.Code),
			zap.String("reason", ev.Reason))
	case *ircconn.Parted:
		a.log.Warn("left channel; it is joined again on the next reconnect",
			zap.String("channel", ev.Channel), zap.String("kicked_by", ev.By),
			zap.String("reason", ev.Reason))
	case *ircconn.NickChanged:
		a.core.SetBotName(ev.Nick)
		a.log.Info("nick changed", zap.String("nick", ev.Nick))
	case *ircconn.Disconnected:
		if !errors.Is(ev.Err, ircconn.ErrClosed) {
			lifecycle.MustFail(ctx, lostConnection(a.settings, ev.Err))
		}
	}
}

func (a *Adapter) sendMessage(ctx actor.Context, msg *messages.SendMessage) {
	if a.core == nil {
		ctx.Respond(&messages.SendMessageReply{RequestID: msg.RequestID, Err: ErrNotConnected})
		return
	}
	a.core.SendMessage(ctx, msg)
}

// close ends the chat turns in flight, then the connection (with QUIT).
func (a *Adapter) close() error {
	err := errors.Join(a.core.Close(), a.link.close())
	if err != nil {
		a.log.Warn("irc adapter stopped with errors", zap.Error(err))
		return err
	}
	a.log.Info("irc adapter stopped")
	return nil
}

// newIDStem returns the random prefix of the message ids of one adapter
// instance; IRC has no message ids of its own.
func newIDStem() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (a *Adapter) nextMessageID() string {
	a.idCount++
	return fmt.Sprintf("%s.%d", a.idStem, a.idCount)
}

func lowerAll(items []string) []string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = strings.ToLower(strings.TrimSpace(s))
	}
	return out
}
