package chat

import (
	"context"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/actorgate/actorgate/messages"
)

// SendMessage serves a *messages.SendMessage that another actor sent to
// the adapter: the text is split at the limit and its parts are sent on a
// goroutine the core tracks, then the sender gets a
// *messages.SendMessageReply. Call it from the adapter's Receive; it does
// not block.
func (c *Core) SendMessage(ctx actor.Context, msg *messages.SendMessage) {
	requester := ctx.Sender()
	out := Outgoing{ChatID: msg.ChatID, ThreadID: msg.ThreadID, ReplyTo: msg.ReplyTo}
	parts := Split(msg.Text, c.cfg.Limit, c.cfg.Unit)
	err := c.Go(func(gctx context.Context) {
		ids, err := c.sendParts(gctx, out, parts)
		if requester != nil {
			c.root.Send(requester, &messages.SendMessageReply{
				RequestID: msg.RequestID, MessageIDs: ids, Err: err,
			})
		}
	})
	if err != nil && requester != nil {
		ctx.Respond(&messages.SendMessageReply{RequestID: msg.RequestID, Err: err})
	}
}
