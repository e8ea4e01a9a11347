package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/actorgate/actorgate/messages"
	"github.com/actorgate/actorgate/stores"
)

// keyID names one idempotency key.
type keyID struct {
	sessionKey string
	key        string
}

// parkedBegin is a BeginIdempotent waiting for the running request that
// holds its key.
type parkedBegin struct {
	sender *actor.PID
	msg    *messages.BeginIdempotent
}

func (a *storeActor) begin(ctx actor.Context, msg *messages.BeginIdempotent) {
	if a.store == nil {
		a.reply(ctx, ctx.Sender(), &messages.BeginIdempotentReply{
			RequestID: msg.RequestID, Err: a.unavailable(),
		})
		return
	}
	reply, err := a.store.BeginIdempotent(context.Background(), *msg, time.Now())
	if errors.Is(err, stores.ErrIdempotencyPending) && ctx.Sender() != nil {
		a.park(ctx, parkedBegin{sender: ctx.Sender(), msg: msg})
		return
	}
	reply.Err = err
	a.reply(ctx, ctx.Sender(), &reply)
}

// park keeps a request until the key's owner finishes. Requests whose
// requester stopped waiting are dropped first. Beyond maxParked waiting
// requests for one key, the newcomer gets ErrIdempotencyPending at once.
func (a *storeActor) park(ctx actor.Context, p parkedBegin) {
	id := keyID{sessionKey: p.msg.SessionKey, key: p.msg.Key}
	waiting := a.liveWaiters(ctx, a.parked[id])
	if len(waiting) >= maxParked {
		a.parked[id] = waiting
		a.reply(ctx, p.sender, &messages.BeginIdempotentReply{
			RequestID: p.msg.RequestID,
			Err: fmt.Errorf("idempotency key %q: %d requests already wait for it: %w",
				p.msg.Key, len(waiting), ErrIdempotencyPending),
		})
		return
	}
	if a.parked == nil {
		a.parked = make(map[keyID][]parkedBegin)
	}
	a.parked[id] = append(waiting, p)
}

func (a *storeActor) finish(ctx actor.Context, msg *messages.FinishIdempotent) {
	err := a.unavailable()
	if a.store != nil {
		err = a.store.FinishIdempotent(context.Background(), *msg, time.Now())
		a.noteWrite(err)
	}
	a.reply(ctx, ctx.Sender(), &messages.FinishIdempotentReply{RequestID: msg.RequestID, Err: err})
	if a.store != nil {
		a.wake(ctx, keyID{sessionKey: msg.SessionKey, key: msg.Key})
	}
}

// wake lets the requests parked on a key ask again in arrival order. Each
// gets the stored status and body, or the key when it was released. The
// requests that find the key taken again by an earlier waiter stay parked.
func (a *storeActor) wake(ctx actor.Context, id keyID) {
	waiting := a.liveWaiters(ctx, a.parked[id])
	delete(a.parked, id)
	for _, p := range waiting {
		reply, err := a.store.BeginIdempotent(context.Background(), *p.msg, time.Now())
		if errors.Is(err, stores.ErrIdempotencyPending) {
			a.parked[id] = append(a.parked[id], p)
			continue
		}
		reply.Err = err
		a.reply(ctx, p.sender, &reply)
	}
}

// releaseParked replies to every parked request when the actor stops.
func (a *storeActor) releaseParked(ctx actor.Context) {
	for id, waiting := range a.parked {
		for _, p := range a.liveWaiters(ctx, waiting) {
			a.reply(ctx, p.sender, &messages.BeginIdempotentReply{
				RequestID: p.msg.RequestID,
				Err: fmt.Errorf("%w: the response store stopped while the request "+
					"waited for idempotency key %q", messages.ErrStoreUnavailable, id.key),
			})
		}
	}
	a.parked = nil
}

// liveWaiters returns the parked requests whose requester still waits:
// its deadline has not passed and its future is still registered. A reply
// to a future that timed out would race with its timeout in this
// protoactor-go version, and requesters wait a little longer than the
// deadline they send.
func (a *storeActor) liveWaiters(ctx actor.Context, waiting []parkedBegin) []parkedBegin {
	live := waiting[:0]
	now := time.Now()
	for _, p := range waiting {
		if !p.msg.Deadline.IsZero() && now.After(p.msg.Deadline) {
			continue
		}
		if _, ok := ctx.ActorSystem().ProcessRegistry.Get(p.sender); ok {
			live = append(live, p)
		}
	}
	clear(waiting[len(live):])
	return live
}
