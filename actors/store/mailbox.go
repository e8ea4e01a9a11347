package store

import (
	"runtime"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/actorgate/actorgate/messages"
)

// flush is the request to write the pending batch. The actor's
// flushTrigger posts it to the mailbox once the mailbox has drained.
type flush struct {
	trigger *flushTrigger
}

// flushTrigger is the mailbox middleware behind group commit. When the
// mailbox drains while the actor holds writes, it posts one flush, so a
// transaction holds every write that arrived before the actor caught up.
//
// One trigger belongs to one mailbox and so outlives restarts of the
// actor. MessageReceived runs on the goroutine that runs the actor.
// MailboxEmpty runs after that goroutine set the mailbox idle, so it can
// overlap the next message on a new goroutine, which is why the flags are
// atomic. Every race leaves at worst one flush of an empty batch, and a
// flush is posted only after a PutResponse was received, so flushes never
// post each other in a loop.
type flushTrigger struct {
	mailbox actor.Mailbox
	// pending is set after the actor received a PutResponse, and cleared
	// after a flush wrote the batch.
	pending atomic.Bool
	// queued is set while a posted flush has not finished.
	queued atomic.Bool
	// stopped is set once the actor received Stop, after which its close
	// has written the batch and the actor takes no more messages.
	stopped atomic.Bool
}

// newFlushingMailbox returns an unbounded mailbox with a new flushTrigger.
// It is the actor's mailbox producer, called once per spawn.
func newFlushingMailbox() actor.Mailbox {
	t := &flushTrigger{}
	t.mailbox = actor.Unbounded(t)()
	return t.mailbox
}

// MailboxStarted does nothing.
func (*flushTrigger) MailboxStarted() {}

// MessagePosted does nothing, because it runs on the sender's goroutine
// before the message is queued, too early to mark a batch as pending.
func (*flushTrigger) MessagePosted(any) {}

// MessageReceived marks a batch as pending after the actor took a write,
// and stops the trigger after the actor took Stop.
func (t *flushTrigger) MessageReceived(msg any) {
	switch actor.UnwrapEnvelopeMessage(msg).(type) {
	case *messages.PutResponse, *PutEncodedResponse:
		t.pending.Store(true)
	case *actor.Stop:
		t.stopped.Store(true)
	}
}

// MailboxEmpty posts a flush when a batch is pending and no flush is
// already queued. The mailbox calls it after it ran out of user messages,
// and not while it is suspended after a failure.
func (t *flushTrigger) MailboxEmpty() {
	if t.stopped.Load() || !t.pending.Load() {
		return
	}
	if t.queued.CompareAndSwap(false, true) {
		t.mailbox.PostUserMessage(&flush{trigger: t})
	}
}

// requeue posts the flush again when user messages wait behind it, after
// letting other runnable goroutines, such as writers woken by the last
// replies, post first. It returns whether it posted.
func (t *flushTrigger) requeue() bool {
	if t == nil {
		return false
	}
	runtime.Gosched()
	if t.mailbox.UserMessageCount() == 0 {
		return false
	}
	t.mailbox.PostUserMessage(&flush{trigger: t})
	return true
}

// flushed records that the flush finished. It runs even when the write
// panicked, so that a failure does not stop later flushes. The pending
// flag is cleared only when the batch was written.
func (t *flushTrigger) flushed(written bool) {
	if t == nil {
		return
	}
	if written {
		t.pending.Store(false)
	}
	t.queued.Store(false)
}
