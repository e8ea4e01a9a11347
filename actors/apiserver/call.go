package apiserver

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/actorgate/actorgate/actors/apiserver/wire"
)

// storeTimeout bounds a store request when the HTTP request has no
// earlier deadline.
const storeTimeout = 30 * time.Second

// ask sends msg to pid and waits for the reply, bounded by ctx's deadline
// or by fallback. A timed-out request maps to 504 and a request to an actor
// that is gone maps to 503.
func (s *server) ask(ctx context.Context, pid *actor.PID, msg any, fallback time.Duration) (any, *wire.Error) {
	if pid == nil {
		return nil, errUnavailable("the actor that serves this request is not running")
	}
	timeout := fallback
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	if timeout <= 0 {
		return nil, errTimeout()
	}
	res, err := s.root.RequestFuture(pid, msg, timeout).Result()
	switch {
	case errors.Is(err, actor.ErrTimeout):
		return nil, errTimeout()
	case errors.Is(err, actor.ErrDeadLetter):
		return nil, errUnavailable("the actor that serves this request is not running")
	case err != nil:
		return nil, errInternal(err)
	}
	return res, nil
}

func errTimeout() *wire.Error {
	return wire.NewError(http.StatusGatewayTimeout, wire.TypeServer, "", codeTimeout,
		"the request timed out inside the gateway; retry later")
}

func errUnavailable(format string, args ...any) *wire.Error {
	return wire.NewError(http.StatusServiceUnavailable, wire.TypeServer, "", codeServiceUnavailable,
		format, args...)
}

func errInternal(err error) *wire.Error {
	return wire.NewError(http.StatusInternalServerError, wire.TypeServer, "", codeInternal,
		"internal error: %v", err)
}
