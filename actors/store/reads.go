package store

import (
	"context"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/actorgate/actorgate/messages"
)

func (a *storeActor) get(ctx actor.Context, msg *messages.GetResponse) {
	reply := &messages.GetResponseReply{RequestID: msg.RequestID}
	if a.store == nil {
		reply.Err = a.unavailable()
	} else {
		reply.Response, reply.Err = a.store.Get(context.Background(), msg.SessionKey, msg.ID)
	}
	a.reply(ctx, ctx.Sender(), reply)
}

func (a *storeActor) conversation(ctx actor.Context, msg *messages.GetConversation) {
	reply := &messages.GetConversationReply{RequestID: msg.RequestID}
	if a.store == nil {
		reply.Err = a.unavailable()
	} else {
		reply.ResponseID, reply.Err = a.store.Conversation(
			context.Background(), msg.SessionKey, msg.Name)
	}
	a.reply(ctx, ctx.Sender(), reply)
}
