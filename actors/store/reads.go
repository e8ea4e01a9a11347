package store

import (
	"context"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/actorgate/actorgate/messages"
)

func (a *storeActor) get(ctx actor.Context, msg *messages.GetResponse) {
	reply := &messages.GetResponseReply{RequestID: msg.RequestID}
	start := time.Now()
	if a.store == nil {
		reply.Err = a.unavailable()
	} else {
		reply.Response, reply.Err = a.store.Get(context.Background(), msg.SessionKey, msg.ID)
	}
	a.observe("get_response", start, reply.Err)
	a.reply(ctx, ctx.Sender(), reply)
}

func (a *storeActor) conversation(ctx actor.Context, msg *messages.GetConversation) {
	reply := &messages.GetConversationReply{RequestID: msg.RequestID}
	start := time.Now()
	if a.store == nil {
		reply.Err = a.unavailable()
	} else {
		reply.ResponseID, reply.Err = a.store.Conversation(
			context.Background(), msg.SessionKey, msg.Name)
	}
	a.observe("get_conversation", start, reply.Err)
	a.reply(ctx, ctx.Sender(), reply)
}

// observe reports one storage operation to Config.Observe.
func (a *storeActor) observe(op string, start time.Time, err error) {
	if a.cfg.Observe != nil {
		a.cfg.Observe(op, time.Since(start), err)
	}
}
