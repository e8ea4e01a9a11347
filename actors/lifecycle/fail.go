package lifecycle

import (
	"github.com/asynkron/protoactor-go/actor"
)

// escalator is the part of protoactor-go's actor context that reports a
// failure to the parent. The context every actor receives implements it.
type escalator interface {
	EscalateFailure(reason any, message any)
}

// Fail reports err to the actor's supervisor as the failure reason, exactly
// as a panic in the handler would, but without unwinding a stack. The
// actor's mailbox is suspended until the supervisor decides; the caller
// returns from Receive right after calling Fail.
//
// It reports false when the context cannot escalate (a wrapped context
// from a foreign middleware); the caller then panics with err, which the
// mailbox turns into the same escalation.
func Fail(ctx actor.Context, err error) bool {
	e, ok := ctx.(escalator)
	if !ok {
		return false
	}
	e.EscalateFailure(err, ctx.Message())
	return true
}

// MustFail is Fail with the panic fallback built in.
func MustFail(ctx actor.Context, err error) {
	if !Fail(ctx, err) {
		panic(err)
	}
}
