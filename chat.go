package actorgate

import (
	"go.uber.org/zap"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/actorgate/actorgate/actors/gateway"
	"github.com/actorgate/actorgate/actors/irc"
	"github.com/actorgate/actorgate/actors/matrix"
	"github.com/actorgate/actorgate/actors/sessions"
	"github.com/actorgate/actorgate/actors/telegram"
	"github.com/actorgate/actorgate/actors/webhook"
	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
)

// sessionsProps returns the props of the sessions store. The gateway
// spawns it only when a chat platform is enrolled.
func sessionsProps(cfg config.Config, logger *zap.Logger) *actor.Props {
	return sessions.Props(sessions.Config{
		Path:     cfg.Platforms.Sessions.ResolvedDBPath(cfg.Home),
		Sessions: cfg.Platforms.Sessions,
	}, logger)
}

// chatPlatforms lists the chat platforms cfg enrolls.
func (g *Gateway) chatPlatforms(cfg config.Config) []gateway.Platform {
	var out []gateway.Platform
	tg := cfg.Platforms.Telegram
	out = g.enrollChat(out, telegram.Name, tg.Enrollment(), tg.AccessWarning(), func() gateway.Platform {
		return telegram.Platform(telegram.Settings{
			Telegram: tg, Sessions: cfg.Platforms.Sessions, AgentTimeout: cfg.Agent.Timeout,
		})
	})
	wh := cfg.Platforms.Webhook
	out = g.enrollChat(out, webhook.Name, wh.Enrollment(), "", func() gateway.Platform {
		return webhook.Platform(webhook.Settings{
			Webhook: wh, Sessions: cfg.Platforms.Sessions, AgentTimeout: cfg.Agent.Timeout,
			Grace: cfg.Gateway.ShutdownGrace,
		})
	})
	ic := cfg.Platforms.IRC
	out = g.enrollChat(out, irc.Name, ic.Enrollment(), ic.AccessWarning(), func() gateway.Platform {
		return irc.Platform(irc.Settings{
			IRC: ic, Sessions: cfg.Platforms.Sessions, AgentTimeout: cfg.Agent.Timeout,
		})
	})
	mc := cfg.Platforms.Matrix
	out = g.enrollChat(out, matrix.Name, mc.Enrollment(), mc.AccessWarning(), func() gateway.Platform {
		return matrix.Platform(matrix.Settings{
			Matrix: mc, Sessions: cfg.Platforms.Sessions, AgentTimeout: cfg.Agent.Timeout,
		})
	})
	return out
}

// enrollChat appends the platform that build returns when enr enrolls it,
// marked rejected when enr is fatal, and logs one line otherwise. warning
// is logged for an enrolled platform that refuses everyone.
func (g *Gateway) enrollChat(out []gateway.Platform, name string, enr config.Enrollment,
	warning string, build func() gateway.Platform,
) []gateway.Platform {
	switch enr.Status {
	case config.Enrolled:
		if warning != "" {
			g.log.Warn(warning, zap.String("platform", name))
		}
		return append(out, build())
	case config.Fatal:
		p := build()
		p.Rejected = &messages.PlatformError{Platform: name, Code: enr.Code, Message: enr.Reason}
		return append(out, p)
	}
	g.log.Info("platform not enrolled", zap.String("platform", name),
		zap.String("reason", enr.Reason))
	return out
}
