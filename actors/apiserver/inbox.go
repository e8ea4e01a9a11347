package apiserver

import (
	"sync"

	"github.com/asynkron/protoactor-go/actor"
)

// inbox is a process registered in the actor system that turns the
// messages sent to its PID into a channel, so that an HTTP handler can
// receive a stream of agent deltas without an actor of its own. It works
// like a protoactor future that accepts more than one message.
type inbox struct {
	system *actor.ActorSystem
	pid    *actor.PID
	c      chan any
	done   chan struct{}
	once   sync.Once
}

var _ actor.Process = (*inbox)(nil)

// newInbox registers an inbox with a buffer of size messages. The caller
// must call close when it stops reading.
func newInbox(system *actor.ActorSystem, size int) *inbox {
	in := &inbox{system: system, c: make(chan any, size), done: make(chan struct{})}
	pid, _ := system.ProcessRegistry.Add(in, "inbox"+system.ProcessRegistry.NextId())
	in.pid = pid
	return in
}

// SendUserMessage queues a message for the reader. It blocks while the
// buffer is full, which slows a streaming producer down to the client's
// pace, and drops the message once the reader has gone.
func (in *inbox) SendUserMessage(_ *actor.PID, message any) {
	message = actor.UnwrapEnvelopeMessage(message)
	select {
	case <-in.done:
		return
	default:
	}
	select {
	case in.c <- message:
	case <-in.done:
	}
}

// SendSystemMessage ignores system messages; nothing watches an inbox.
func (in *inbox) SendSystemMessage(*actor.PID, any) {}

// Stop unregisters the inbox.
func (in *inbox) Stop(*actor.PID) { in.close() }

func (in *inbox) close() {
	in.once.Do(func() {
		close(in.done)
		in.system.ProcessRegistry.Remove(in.pid)
	})
}
