package store

import (
	"context"
	"errors"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/messages"
	"github.com/actorgate/actorgate/stores"
)

// enqueue adds a PutResponse to the pending batch. The flush that
// flushTrigger posts once the mailbox drains writes it, or enqueue writes
// it at once when it reached MaxBatch.
func (a *storeActor) enqueue(ctx actor.Context, msg *messages.PutResponse, encoded bool) {
	a.batch = append(a.batch, pendingPut{sender: ctx.Sender(), msg: msg, encoded: encoded})
	if len(a.batch) >= MaxBatch {
		a.flush(ctx)
	}
}

// commit writes the pending batch on a flush from flushTrigger, and then
// lets the trigger post the next one. When more messages arrived behind the
// flush and the batch has room, it posts the flush behind them instead.
func (a *storeActor) commit(ctx actor.Context, msg *flush) {
	if len(a.batch) > 0 && len(a.batch) < MaxBatch && msg.trigger.requeue() {
		return
	}
	written := false
	defer func() { msg.trigger.flushed(written) }()
	a.flush(ctx)
	written = true
}

// flush writes the pending batch, at most MaxBatch responses per
// transaction, and replies to each writer after its transaction
// committed or failed.
func (a *storeActor) flush(ctx actor.Context) {
	for len(a.batch) > 0 {
		n := min(len(a.batch), MaxBatch)
		a.writeChunk(ctx, a.batch[:n])
		clear(a.batch[:n])
		a.batch = a.batch[n:]
	}
	a.batch = nil
}

func (a *storeActor) writeChunk(ctx actor.Context, chunk []pendingPut) {
	rs := make([]messages.StoredResponse, len(chunk))
	encoded := true
	for i, p := range chunk {
		rs[i] = p.msg.Response
		encoded = encoded && p.encoded
	}
	// The JSON check is skipped only when every write in the transaction
	// came from actorgate's encoders. A mixed batch checks them all, which
	// is correct, only slower.
	putCtx := context.Background()
	if encoded {
		putCtx = stores.WithEncodedJSON(putCtx)
	}
	start := time.Now()
	err := a.put(putCtx, rs)
	a.observe("put_responses", start, err)

	var batchErr *stores.BatchError
	perResponse := errors.As(err, &batchErr) && len(batchErr.Errs) == len(chunk)
	for i, p := range chunk {
		replyErr := err
		if perResponse {
			replyErr = batchErr.Errs[i]
		}
		a.reply(ctx, p.sender, &messages.PutResponseReply{RequestID: p.msg.RequestID, Err: replyErr})
	}
}

// put writes one transaction and tracks whether writes are failing, so
// that a disk fault is logged once when it starts and once when it clears.
func (a *storeActor) put(ctx context.Context, rs []messages.StoredResponse) error {
	if a.store == nil {
		return a.unavailable()
	}
	err := a.store.Put(ctx, rs)
	a.noteWrite(err)
	if err == nil || errors.As(err, new(*stores.BatchError)) {
		a.transactions++
		a.written += len(rs)
	}
	return err
}

// noteWrite logs the start and the end of a run of failing writes.
func (a *storeActor) noteWrite(err error) {
	failing := errors.Is(err, messages.ErrStoreUnavailable)
	switch {
	case failing && !a.writeFailing:
		a.logger.Warn("response store write failed; reads continue and the next write retries",
			zap.Error(err))
	case !failing && a.writeFailing && err == nil:
		a.logger.Info("response store writes succeed again")
	}
	if failing || err == nil {
		a.writeFailing = failing
	}
}

func (a *storeActor) delete(ctx actor.Context, msg *messages.DeleteResponse) {
	err := a.unavailable()
	start := time.Now()
	if a.store != nil {
		err = a.store.Delete(context.Background(), msg.SessionKey, msg.ID)
		a.noteWrite(err)
	}
	a.observe("delete_response", start, err)
	a.reply(ctx, ctx.Sender(), &messages.DeleteResponseReply{RequestID: msg.RequestID, Err: err})
}
