package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"
	"go.uber.org/zap/exp/zapslog"
	"go.uber.org/zap/zapcore"
)

// logFlushInterval bounds how long a log line waits in the buffer.
const logFlushInterval = 250 * time.Millisecond

// newLogger builds the one root logger of the process. Lines are buffered
// and written at least every logFlushInterval, so that a busy gateway
// does not pay a write system call for every request line. The returned
// close flushes the buffer and must be called before the process exits.
func newLogger(w io.Writer, getenv func(string) string) (log *zap.Logger, close func(), err error) {
	level := zap.NewAtomicLevelAt(zap.InfoLevel)
	if s := getenv("ACTORGATE_LOG_LEVEL"); s != "" {
		if err := level.UnmarshalText([]byte(strings.ToLower(s))); err != nil {
			return nil, nil, fmt.Errorf("ACTORGATE_LOG_LEVEL=%q is not a level; use debug, info, warn or error", s)
		}
	}
	encCfg := zap.NewProductionEncoderConfig()
	encCfg.TimeKey = "time"
	encCfg.EncodeTime = zapcore.ISO8601TimeEncoder
	var enc zapcore.Encoder
	switch f := getenv("ACTORGATE_LOG_FORMAT"); f {
	case "", "console":
		encCfg.EncodeLevel = zapcore.CapitalLevelEncoder
		enc = zapcore.NewConsoleEncoder(encCfg)
	case "json":
		enc = zapcore.NewJSONEncoder(encCfg)
	default:
		return nil, nil, fmt.Errorf("ACTORGATE_LOG_FORMAT=%q is not a format; use console or json", f)
	}
	out := &zapcore.BufferedWriteSyncer{
		WS:            zapcore.AddSync(w),
		Size:          256 << 10,
		FlushInterval: logFlushInterval,
	}
	core := zapcore.NewCore(enc, out, level)
	log = zap.New(core, zap.ErrorOutput(zapcore.Lock(zapcore.AddSync(w))))
	return log, func() { _ = out.Stop() }, nil
}

// protoactorLogging bridges protoactor-go's slog output into the zap core.
// Its info level reports every supervised restart, which the gateway
// already logs with more context, so only warnings and errors pass.
func protoactorLogging(log *zap.Logger) actor.ConfigOption {
	core, err := zapcore.NewIncreaseLevelCore(log.Named("protoactor").Core(), zap.WarnLevel)
	if err != nil {
		core = log.Named("protoactor").Core()
	}
	return actor.WithLoggerFactory(func(system *actor.ActorSystem) *slog.Logger {
		return slog.New(zapslog.NewHandler(core, zapslog.WithName("protoactor"))).
			With("system", system.ID)
	})
}
