package gateway

import (
	"log/slog"

	"github.com/asynkron/protoactor-go/actor"
)

// quietLogs keeps protoactor-go's own log lines out of test output.
func quietLogs() actor.ConfigOption {
	return actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	})
}
