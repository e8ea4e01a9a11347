package lifecycle

import (
	"runtime/debug"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"
)

// RecoverLifecycle returns a receiver middleware that recovers a panic
// raised while an actor handles *actor.Stopping, *actor.Stopped or
// *actor.Restarting, and logs it with its stack.
//
// A panic in those handlers would be escalated to the supervisor while the
// actor is already going away, which in this protoactor-go version can
// restart a stopping actor or leave it and its parent waiting forever.
// Panics from every other message pass through untouched, so that the
// supervisor sees them as failures.
func RecoverLifecycle(logger *zap.Logger) actor.ReceiverMiddleware {
	return func(next actor.ReceiverFunc) actor.ReceiverFunc {
		return func(ctx actor.ReceiverContext, envelope *actor.MessageEnvelope) {
			switch envelope.Message.(type) {
			case *actor.Stopping, *actor.Stopped, *actor.Restarting:
				defer func() {
					if r := recover(); r != nil {
						logger.Error("panic in lifecycle handler",
							zap.String("actor", ctx.Self().String()),
							zap.String("message", messageName(envelope.Message)),
							zap.Any("panic", r),
							zap.ByteString("stack", debug.Stack()))
					}
				}()
			}
			next(ctx, envelope)
		}
	}
}

func messageName(m any) string {
	switch m.(type) {
	case *actor.Stopping:
		return "stopping"
	case *actor.Stopped:
		return "stopped"
	case *actor.Restarting:
		return "restarting"
	default:
		return "other"
	}
}
