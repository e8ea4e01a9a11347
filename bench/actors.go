package main

import (
	"log/slog"

	"github.com/asynkron/protoactor-go/actor"
)

// newActorSystem returns an actor system whose own log lines are dropped,
// as the binary drops protoactor's info lines.
func newActorSystem() *actor.ActorSystem {
	return actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
}
