package store

import (
	"sync"
	"testing"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/actorgate/actorgate/messages"
)

// recordingMailbox records the user messages posted to it and delivers
// none of them.
type recordingMailbox struct {
	mu     sync.Mutex
	posted []any
}

func (m *recordingMailbox) PostUserMessage(msg any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.posted = append(m.posted, msg)
}

func (*recordingMailbox) PostSystemMessage(any)                                   {}
func (*recordingMailbox) RegisterHandlers(actor.MessageInvoker, actor.Dispatcher) {}
func (*recordingMailbox) Start()                                                  {}

func (m *recordingMailbox) UserMessageCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.posted)
}

func TestFlushTriggerPosts(t *testing.T) {
	put := &messages.PutResponse{}
	get := &messages.GetResponse{}
	cases := []struct {
		name string
		// steps run in order. "empty" is MailboxEmpty, "done" is the
		// actor finishing the posted flush, anything else is received.
		steps []any
		want  int
	}{
		{"no write", []any{get, "empty"}, 0},
		{"one write", []any{put, "empty"}, 1},
		{"write in envelope", []any{actor.WrapEnvelope(put), "empty"}, 1},
		{"drained twice, flush still queued", []any{put, "empty", put, "empty"}, 1},
		{"drained after the flush", []any{put, "empty", "done", "empty"}, 1},
		{"write after the flush", []any{put, "empty", "done", put, "empty"}, 2},
		{"write after stop", []any{&actor.Stop{}, put, "empty"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mailbox := &recordingMailbox{}
			trigger := &flushTrigger{mailbox: mailbox}
			for _, step := range c.steps {
				switch step {
				case "empty":
					trigger.MailboxEmpty()
				case "done":
					trigger.flushed(true)
				default:
					trigger.MessageReceived(step)
				}
			}
			if n := mailbox.UserMessageCount(); n != c.want {
				t.Fatalf("flushes posted = %d, want %d", n, c.want)
			}
			for _, msg := range mailbox.posted {
				if f, ok := msg.(*flush); !ok || f.trigger != trigger {
					t.Errorf("posted %#v, want a flush of this trigger", msg)
				}
			}
		})
	}
}

func TestFlushTriggerRequeue(t *testing.T) {
	mailbox := &recordingMailbox{}
	trigger := &flushTrigger{mailbox: mailbox}
	if trigger.requeue() {
		t.Fatal("requeue posted a flush into an empty mailbox")
	}
	mailbox.PostUserMessage(&messages.PutResponse{})
	if !trigger.requeue() {
		t.Fatal("requeue did not post a flush behind a waiting message")
	}
	if _, ok := mailbox.posted[len(mailbox.posted)-1].(*flush); !ok {
		t.Errorf("last message = %T, want *flush", mailbox.posted[len(mailbox.posted)-1])
	}
}

func TestFlushAfterPanicStillPosts(t *testing.T) {
	mailbox := &recordingMailbox{}
	trigger := &flushTrigger{mailbox: mailbox}
	trigger.MessageReceived(&messages.PutResponse{})
	trigger.MailboxEmpty()
	// A flush whose write panicked finishes without writing the batch.
	trigger.flushed(false)
	trigger.MailboxEmpty()
	if n := mailbox.UserMessageCount(); n != 2 {
		t.Errorf("flushes posted = %d, want 2: the batch still waits", n)
	}
}

func TestWritesCommitWithoutRead(t *testing.T) {
	o := &opener{}
	system := newSystem(t)
	pid := spawnStore(t, system, testConfig(t, o))
	const writes = 10
	for range writes {
		system.Root.Send(pid, &messages.PutResponse{Response: newResponse(t, "a")})
	}
	eventually(t, "the store to open", func() bool { return len(o.stores()) == 1 })
	store := o.last(t)
	eventually(t, "every write to commit", func() bool { return store.rows.Load() == writes })
}

func TestBatchCappedAtMaxBatch(t *testing.T) {
	const writes = 2*MaxBatch + 10
	o := &opener{prepare: func(f *faultyStore) {
		f.gate = make(chan struct{})
		f.entered = make(chan struct{})
	}}
	system := newSystem(t)
	pid := spawnStore(t, system, testConfig(t, o))
	system.Root.Send(pid, &messages.PutResponse{Response: newResponse(t, "a")})
	eventually(t, "the store to open", func() bool { return len(o.stores()) == 1 })
	store := o.last(t)
	<-store.entered
	// The actor waits in the first transaction while the rest queue up.
	for range writes - 1 {
		system.Root.Send(pid, &messages.PutResponse{Response: newResponse(t, "a")})
	}
	close(store.gate)
	eventually(t, "every write to commit", func() bool { return store.rows.Load() == writes })
	if n := store.maxRows.Load(); n != MaxBatch {
		t.Errorf("largest transaction = %d rows, want MaxBatch (%d)", n, MaxBatch)
	}
	if n := store.puts.Load(); n < writes/MaxBatch+1 {
		t.Errorf("transactions = %d, want at least %d", n, writes/MaxBatch+1)
	}
}
