package store

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/messages"
)

func TestRoundTrip(t *testing.T) {
	system := newSystem(t)
	pid := spawnStore(t, system, testConfig(t, nil))
	r := newResponse(t, "alice")
	r.Conversation = "chat"

	putReply := request[*messages.PutResponseReply](t, system, pid,
		&messages.PutResponse{RequestID: "put-1", Response: r})
	if putReply.Err != nil || putReply.RequestID != "put-1" {
		t.Fatalf("PutResponseReply = %+v, want RequestID put-1 and no error", putReply)
	}

	getReply := request[*messages.GetResponseReply](t, system, pid,
		&messages.GetResponse{RequestID: "get-1", ID: r.ID, SessionKey: "alice"})
	if getReply.Err != nil || getReply.Response == nil {
		t.Fatalf("GetResponseReply = %+v", getReply)
	}
	if string(getReply.Response.Body) != string(r.Body) || getReply.RequestID != "get-1" {
		t.Errorf("got body %s request %q, want %s get-1", getReply.Response.Body, getReply.RequestID, r.Body)
	}

	other := request[*messages.GetResponseReply](t, system, pid,
		&messages.GetResponse{ID: r.ID, SessionKey: "bob"})
	if !errors.Is(other.Err, messages.ErrNotFound) {
		t.Errorf("Get by another session: err = %v, want ErrNotFound", other.Err)
	}

	conv := request[*messages.GetConversationReply](t, system, pid,
		&messages.GetConversation{Name: "chat", SessionKey: "alice"})
	if conv.Err != nil || conv.ResponseID != r.ID {
		t.Errorf("GetConversationReply = %+v, want %s", conv, r.ID)
	}

	del := request[*messages.DeleteResponseReply](t, system, pid,
		&messages.DeleteResponse{RequestID: "del-1", ID: r.ID, SessionKey: "alice"})
	if del.Err != nil || del.RequestID != "del-1" {
		t.Fatalf("DeleteResponseReply = %+v", del)
	}
	gone := request[*messages.GetResponseReply](t, system, pid,
		&messages.GetResponse{ID: r.ID, SessionKey: "alice"})
	if !errors.Is(gone.Err, messages.ErrNotFound) {
		t.Errorf("Get after Delete: err = %v, want ErrNotFound", gone.Err)
	}
	convGone := request[*messages.GetConversationReply](t, system, pid,
		&messages.GetConversation{Name: "chat", SessionKey: "alice"})
	if !errors.Is(convGone.Err, messages.ErrNotFound) {
		t.Errorf("conversation after Delete: err = %v, want ErrNotFound", convGone.Err)
	}
}

func TestReadSeesEarlierWrite(t *testing.T) {
	system := newSystem(t)
	pid := spawnStore(t, system, testConfig(t, nil))

	for i := range 20 {
		r := newResponse(t, "a")
		putFuture := system.Root.RequestFuture(pid, &messages.PutResponse{Response: r}, requestTimeout)
		get := request[*messages.GetResponseReply](t, system, pid,
			&messages.GetResponse{ID: r.ID, SessionKey: "a"})
		if get.Err != nil {
			t.Fatalf("round %d: Get right after an unanswered Put: %v", i, get.Err)
		}
		if _, err := putFuture.Result(); err != nil {
			t.Fatalf("round %d: Put: %v", i, err)
		}
	}
}

func TestPutRejectsInvalidResponse(t *testing.T) {
	system := newSystem(t)
	pid := spawnStore(t, system, testConfig(t, nil))
	bad := newResponse(t, "a")
	bad.ID = "resp_123"

	reply := request[*messages.PutResponseReply](t, system, pid, &messages.PutResponse{Response: bad})
	if !errors.Is(reply.Err, ErrInvalidArgument) {
		t.Errorf("err = %v, want ErrInvalidArgument", reply.Err)
	}
}

func TestGroupCommit(t *testing.T) {
	const writers = 64
	o := &opener{prepare: func(f *faultyStore) {
		f.gate = make(chan struct{})
		f.entered = make(chan struct{})
	}}
	system := newSystem(t)
	pid := spawnStore(t, system, testConfig(t, o))

	futures := make([]*actor.Future, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			futures[i] = system.Root.RequestFuture(pid,
				&messages.PutResponse{RequestID: "w", Response: newResponse(t, "a")}, requestTimeout)
		}()
	}
	wg.Wait()

	var replied atomic.Int64
	results := make(chan error, writers)
	for _, f := range futures {
		go func() {
			res, err := f.Result()
			replied.Add(1)
			if err == nil {
				if reply, ok := res.(*messages.PutResponseReply); !ok {
					err = errors.New("unexpected reply type")
				} else {
					err = reply.Err
				}
			}
			results <- err
		}()
	}

	eventually(t, "the store to open", func() bool { return len(o.stores()) == 1 })
	store := o.last(t)
	<-store.entered
	if n := replied.Load(); n != 0 {
		t.Errorf("%d writers got a reply before the first transaction committed", n)
	}
	close(store.gate)
	for range writers {
		if err := <-results; err != nil {
			t.Errorf("writer: %v", err)
		}
	}

	if n, err := store.Count(t.Context()); err != nil || n != writers {
		t.Errorf("Count = %d, %v; want %d", n, err, writers)
	}
	puts, rows := store.puts.Load(), store.rows.Load()
	t.Logf("%d rows in %d transactions", rows, puts)
	if rows != writers {
		t.Errorf("rows written = %d, want %d", rows, writers)
	}
	if puts > 2 {
		t.Errorf("transactions = %d, want at most 2: the first, and one for every "+
			"writer queued while it ran", puts)
	}
}

func TestOpenFailureRecovers(t *testing.T) {
	o := &opener{}
	o.failing.Store(true)
	system := newSystem(t)
	pid := spawnStore(t, system, testConfig(t, o))

	reply := request[*messages.GetResponseReply](t, system, pid,
		&messages.GetResponse{ID: newResponse(t, "a").ID})
	if !errors.Is(reply.Err, messages.ErrStoreUnavailable) {
		t.Fatalf("err = %v, want ErrStoreUnavailable", reply.Err)
	}
	if !strings.Contains(reply.Err.Error(), errOpenInjected.Error()) {
		t.Errorf("err = %q, want it to name the cause %q", reply.Err, errOpenInjected)
	}
	eventually(t, "a second open attempt", func() bool { return o.calls.Load() >= 2 })

	o.failing.Store(false)
	r := newResponse(t, "a")
	eventually(t, "the store to open", func() bool {
		put := request[*messages.PutResponseReply](t, system, pid, &messages.PutResponse{Response: r})
		return put.Err == nil
	})
	get := request[*messages.GetResponseReply](t, system, pid,
		&messages.GetResponse{ID: r.ID, SessionKey: "a"})
	if get.Err != nil {
		t.Errorf("Get after recovery: %v", get.Err)
	}
	if n := len(o.stores()); n != 1 {
		t.Errorf("stores opened = %d, want 1", n)
	}
	calls := o.calls.Load()
	request[*messages.GetResponseReply](t, system, pid, &messages.GetResponse{ID: r.ID})
	if o.calls.Load() != calls {
		t.Error("the actor kept opening after it succeeded")
	}
}

func TestUnavailableReplies(t *testing.T) {
	o := &opener{}
	o.failing.Store(true)
	system := newSystem(t)
	cfg := testConfig(t, o)
	cfg.RetryOpen = time.Hour
	pid := spawnStore(t, system, cfg)
	id := newResponse(t, "a").ID

	cases := map[string]struct {
		msg any
		err func(any) error
	}{
		"put": {
			&messages.PutResponse{Response: newResponse(t, "a")},
			func(r any) error { return r.(*messages.PutResponseReply).Err },
		},
		"get": {
			&messages.GetResponse{ID: id},
			func(r any) error { return r.(*messages.GetResponseReply).Err },
		},
		"delete": {
			&messages.DeleteResponse{ID: id},
			func(r any) error { return r.(*messages.DeleteResponseReply).Err },
		},
		"conversation": {
			&messages.GetConversation{Name: "c"},
			func(r any) error { return r.(*messages.GetConversationReply).Err },
		},
		"begin": {
			&messages.BeginIdempotent{Key: "k", Fingerprint: "f", TTL: time.Hour},
			func(r any) error { return r.(*messages.BeginIdempotentReply).Err },
		},
		"finish": {
			&messages.FinishIdempotent{Key: "k", Status: 200},
			func(r any) error { return r.(*messages.FinishIdempotentReply).Err },
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			res, err := system.Root.RequestFuture(pid, c.msg, requestTimeout).Result()
			if err != nil {
				t.Fatalf("request: %v", err)
			}
			if err := c.err(res); !errors.Is(err, messages.ErrStoreUnavailable) ||
				!strings.Contains(err.Error(), cfg.Path) {
				t.Errorf("err = %v, want ErrStoreUnavailable naming %s", err, cfg.Path)
			}
		})
	}
}

func TestInvalidConfig(t *testing.T) {
	cases := map[string]func(*Config){
		"empty path":     func(c *Config) { c.Path = "" },
		"negative max":   func(c *Config) { c.MaxResponses = -1 },
		"negative retry": func(c *Config) { c.RetryOpen = -time.Second },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			o := &opener{}
			system := newSystem(t)
			cfg := testConfig(t, o)
			change(&cfg)
			pid := spawnStore(t, system, cfg)

			reply := request[*messages.GetResponseReply](t, system, pid,
				&messages.GetResponse{ID: newResponse(t, "a").ID})
			if !errors.Is(reply.Err, messages.ErrStoreUnavailable) ||
				!errors.Is(reply.Err, ErrInvalidConfig) {
				t.Errorf("err = %v, want ErrStoreUnavailable and ErrInvalidConfig", reply.Err)
			}
			if n := o.calls.Load(); n != 0 {
				t.Errorf("Open called %d times with an invalid configuration", n)
			}
		})
	}
}

func TestWriteFailureRecovers(t *testing.T) {
	o := &opener{}
	system := newSystem(t)
	pid := spawnStore(t, system, testConfig(t, o))
	stored := newResponse(t, "a")
	if reply := request[*messages.PutResponseReply](t, system, pid,
		&messages.PutResponse{Response: stored}); reply.Err != nil {
		t.Fatalf("Put: %v", reply.Err)
	}
	store := o.last(t)

	store.failWrites.Store(true)
	failed := request[*messages.PutResponseReply](t, system, pid,
		&messages.PutResponse{Response: newResponse(t, "a")})
	if !errors.Is(failed.Err, messages.ErrStoreUnavailable) {
		t.Fatalf("Put on a full disk: err = %v, want ErrStoreUnavailable", failed.Err)
	}
	del := request[*messages.DeleteResponseReply](t, system, pid,
		&messages.DeleteResponse{ID: stored.ID, SessionKey: "a"})
	if !errors.Is(del.Err, messages.ErrStoreUnavailable) {
		t.Fatalf("Delete on a full disk: err = %v, want ErrStoreUnavailable", del.Err)
	}
	get := request[*messages.GetResponseReply](t, system, pid,
		&messages.GetResponse{ID: stored.ID, SessionKey: "a"})
	if get.Err != nil {
		t.Fatalf("Get while writes fail: %v", get.Err)
	}

	store.failWrites.Store(false)
	retried := request[*messages.PutResponseReply](t, system, pid,
		&messages.PutResponse{Response: newResponse(t, "a")})
	if retried.Err != nil {
		t.Fatalf("Put after the fault cleared: %v", retried.Err)
	}
	if n := len(o.stores()); n != 1 {
		t.Errorf("stores opened = %d, want 1: recovery needs no reopen", n)
	}
}

func TestStopTwiceClosesOnce(t *testing.T) {
	o := &opener{}
	system := newSystem(t)
	pid := system.Root.Spawn(Props(testConfig(t, o), zap.NewNop()))
	request[*messages.GetResponseReply](t, system, pid, &messages.GetResponse{ID: "x"})

	system.Root.Stop(pid)
	stopAndWait(t, system, pid)
	stopAndWait(t, system, pid)

	if n := o.last(t).closes.Load(); n != 1 {
		t.Errorf("Close called %d times, want 1", n)
	}
}

// lifecycleContext is an actor.Context that carries only a message, for
// driving lifecycle handlers directly. Any other method panics.
type lifecycleContext struct {
	actor.Context
	msg any
}

func (c *lifecycleContext) Message() any { return c.msg }

func TestCloseIdempotentAcrossLifecycle(t *testing.T) {
	sequences := map[string][]any{
		"restarting then stopping": {&actor.Restarting{}, &actor.Stopping{}, &actor.Stopped{}},
		"stopping then stopped":    {&actor.Stopping{}, &actor.Stopped{}},
		"restarting twice":         {&actor.Restarting{}, &actor.Restarting{}},
	}
	for name, msgs := range sequences {
		t.Run(name, func(t *testing.T) {
			o := &opener{}
			cfg, err := testConfig(t, o).withDefaults()
			if err != nil {
				t.Fatal(err)
			}
			a := newStoreActor(cfg, zap.NewNop())
			a.open(&lifecycleContext{})
			store := o.last(t)

			for _, msg := range msgs {
				a.Receive(&lifecycleContext{msg: msg})
			}
			if n := store.closes.Load(); n != 1 {
				t.Errorf("Close called %d times, want 1", n)
			}
		})
	}
}

func TestSupervisedRestartClosesStore(t *testing.T) {
	o := &opener{}
	system := newSystem(t)
	cfg := testConfig(t, o)
	parent, _ := spawnParent(t, system, cfg)
	r := newResponse(t, "a")
	if reply := request[*messages.PutResponseReply](t, system, parent,
		&messages.PutResponse{Response: r}); reply.Err != nil {
		t.Fatal(reply.Err)
	}

	first := o.last(t)
	first.panicOnGet.Store(true)
	system.Root.Send(parent, &messages.GetResponse{ID: r.ID, SessionKey: "a"})
	eventually(t, "the store to reopen", func() bool { return len(o.stores()) == 2 })

	if n := first.closes.Load(); n != 1 {
		t.Errorf("first store closed %d times, want 1", n)
	}
	get := request[*messages.GetResponseReply](t, system, parent,
		&messages.GetResponse{ID: r.ID, SessionKey: "a"})
	if get.Err != nil {
		t.Errorf("Get after the restart: %v", get.Err)
	}
}

func TestParkedIdempotency(t *testing.T) {
	system := newSystem(t)
	pid := spawnStore(t, system, testConfig(t, nil))
	beginMsg := func(id, fingerprint string) *messages.BeginIdempotent {
		return &messages.BeginIdempotent{
			RequestID: id, SessionKey: "s", Key: "k",
			Fingerprint: fingerprint, TTL: time.Hour,
		}
	}

	owner := request[*messages.BeginIdempotentReply](t, system, pid, beginMsg("owner", "fp"))
	if owner.Err != nil || owner.State != messages.IdempotencyNew {
		t.Fatalf("owner Begin = %+v, want new", owner)
	}
	second := system.Root.RequestFuture(pid, beginMsg("second", "fp"), requestTimeout)
	third := system.Root.RequestFuture(pid, beginMsg("third", "fp"), requestTimeout)
	conflict := request[*messages.BeginIdempotentReply](t, system, pid, beginMsg("other", "fp2"))
	if !errors.Is(conflict.Err, messages.ErrIdempotencyConflict) {
		t.Errorf("Begin with another body: err = %v, want conflict", conflict.Err)
	}

	abandon := request[*messages.FinishIdempotentReply](t, system, pid,
		&messages.FinishIdempotent{SessionKey: "s", Key: "k", Abandon: true})
	if abandon.Err != nil {
		t.Fatalf("Abandon: %v", abandon.Err)
	}
	res, err := second.Result()
	if err != nil {
		t.Fatalf("second waiter: %v", err)
	}
	if got := res.(*messages.BeginIdempotentReply); got.Err != nil ||
		got.State != messages.IdempotencyNew || got.RequestID != "second" {
		t.Fatalf("second waiter after Abandon = %+v, want new", got)
	}

	done := request[*messages.FinishIdempotentReply](t, system, pid,
		&messages.FinishIdempotent{SessionKey: "s", Key: "k", Status: 200, Body: []byte("answer")})
	if done.Err != nil {
		t.Fatalf("Finish: %v", done.Err)
	}
	res, err = third.Result()
	if err != nil {
		t.Fatalf("third waiter: %v", err)
	}
	if got := res.(*messages.BeginIdempotentReply); got.Err != nil ||
		got.State != messages.IdempotencyDone || string(got.Body) != "answer" || got.Status != 200 {
		t.Errorf("third waiter after Finish = %+v, want done with the stored result", got)
	}
}

func TestParkedWaiterDroppedAfterTimeout(t *testing.T) {
	system := newSystem(t)
	pid := spawnStore(t, system, testConfig(t, nil))
	var deadLetters atomic.Int64
	sub := system.EventStream.Subscribe(func(evt any) {
		if dl, ok := evt.(*actor.DeadLetterEvent); ok {
			if _, ok := dl.Message.(*messages.BeginIdempotentReply); ok {
				deadLetters.Add(1)
			}
		}
	})
	defer system.EventStream.Unsubscribe(sub)
	begin := &messages.BeginIdempotent{SessionKey: "s", Key: "k", Fingerprint: "fp", TTL: time.Hour}

	owner := request[*messages.BeginIdempotentReply](t, system, pid, begin)
	if owner.State != messages.IdempotencyNew {
		t.Fatalf("owner Begin = %+v", owner)
	}
	_, err := system.Root.RequestFuture(pid, begin, 10*time.Millisecond).Result()
	if !errors.Is(err, actor.ErrTimeout) {
		t.Fatalf("parked Begin: err = %v, want a timeout", err)
	}

	finish := request[*messages.FinishIdempotentReply](t, system, pid,
		&messages.FinishIdempotent{SessionKey: "s", Key: "k", Status: 200})
	if finish.Err != nil {
		t.Fatalf("Finish: %v", finish.Err)
	}
	request[*messages.GetResponseReply](t, system, pid, &messages.GetResponse{ID: "x"})
	if n := deadLetters.Load(); n != 0 {
		t.Errorf("%d replies sent to a requester that stopped waiting", n)
	}
}

func TestStopAnswersParkedWaiters(t *testing.T) {
	system := newSystem(t)
	pid := system.Root.Spawn(Props(testConfig(t, nil), zap.NewNop()))
	begin := &messages.BeginIdempotent{SessionKey: "s", Key: "k", Fingerprint: "fp", TTL: time.Hour}
	request[*messages.BeginIdempotentReply](t, system, pid, begin)
	parked := system.Root.RequestFuture(pid, begin, requestTimeout)
	request[*messages.GetResponseReply](t, system, pid, &messages.GetResponse{ID: "x"})

	stopAndWait(t, system, pid)
	res, err := parked.Result()
	if err != nil {
		t.Fatalf("parked waiter: %v", err)
	}
	if got := res.(*messages.BeginIdempotentReply); !errors.Is(got.Err, messages.ErrStoreUnavailable) {
		t.Errorf("parked waiter after stop: err = %v, want ErrStoreUnavailable", got.Err)
	}
}

func TestPropsOpensNothing(t *testing.T) {
	o := &opener{}
	cfg := testConfig(t, o)
	if props := Props(cfg, nil); props == nil {
		t.Fatal("Props returned nil")
	}
	a, b := newStoreActor(cfg, zap.NewNop()), newStoreActor(cfg, zap.NewNop())
	if a == b {
		t.Error("the producer returned the same actor twice")
	}
	if n := o.calls.Load(); n != 0 {
		t.Errorf("Props opened the store %d times", n)
	}
	if _, err := os.Stat(cfg.Path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("database file after Props: stat err = %v, want not exist", err)
	}
}
