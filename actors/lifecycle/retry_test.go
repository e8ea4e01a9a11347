package lifecycle

import (
	"errors"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// opener fails to open until its attempts reach succeedAt, and reports
// each attempt on attempts.
type opener struct {
	retry     OpenRetry
	succeedAt int
	tries     int
	attempts  chan int
	opened    chan int
}

func (o *opener) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		o.open(ctx)
	case *Reopen:
		if o.retry.Due(msg) {
			o.open(ctx)
		}
	case *actor.Stopping:
		o.retry.Stop()
	}
}

func (o *opener) open(ctx actor.Context) {
	o.tries++
	o.attempts <- o.tries
	if o.tries < o.succeedAt {
		o.retry.Failed(ctx, errors.New("disk not ready"))
		return
	}
	o.opened <- o.retry.Opened()
}

func TestOpenRetryPacesAndLogs(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	o := &opener{
		retry: OpenRetry{
			Interval: time.Millisecond, Name: "test store",
			Impact: "requests fail until it opens", Logger: zap.New(core),
		},
		succeedAt: 5, attempts: make(chan int, 16), opened: make(chan int, 1),
	}
	system := actor.NewActorSystem()
	pid := system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return o }))
	defer func() { _ = system.Root.StopFuture(pid).Wait() }()

	select {
	case failed := <-o.opened:
		if failed != 4 {
			t.Errorf("Opened returned %d failed attempts, want 4", failed)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the resource never opened")
	}
	if n := len(o.attempts); n != 5 {
		t.Errorf("%d attempts, want 5", n)
	}

	errorsLogged := logs.FilterMessage("cannot open test store; requests fail until it opens")
	if errorsLogged.Len() != 1 {
		t.Errorf("%d first-failure lines, want 1", errorsLogged.Len())
	}
	// Warnings at the 2nd and 4th attempt, when the count doubles.
	if n := logs.FilterMessage("test store still cannot be opened").Len(); n != 2 {
		t.Errorf("%d repeat-failure lines, want 2", n)
	}
}

func TestOpenRetryIgnoresStaleReopen(t *testing.T) {
	var r OpenRetry
	if r.Due(&Reopen{}) {
		t.Error("a Reopen is due although no attempt was scheduled")
	}
	r.token = &openToken{}
	stale := &Reopen{token: &openToken{}}
	if r.Due(stale) {
		t.Error("a Reopen of an earlier schedule is due")
	}
	current := &Reopen{token: r.token}
	r.Stop()
	if r.Due(current) {
		t.Error("a Reopen is due after Stop")
	}
}
