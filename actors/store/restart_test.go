package store

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/messages"
)

// restartRequest makes testParent panic, so that its supervisor restarts
// it.
type restartRequest struct{}

// childRequest is the request for the PID of testSupervisor's child.
type childRequest struct{}

// testParent is a minimal API server adapter. It spawns the store as its
// child when it starts and forwards store requests to it.
type testParent struct {
	cfg   Config
	store *actor.PID
}

func (p *testParent) Receive(ctx actor.Context) {
	switch ctx.Message().(type) {
	case *actor.Started:
		p.store = ctx.Spawn(Props(p.cfg, zap.NewNop()))
	case *restartRequest:
		panic("restart requested by the test")
	case *messages.GetResponse, *messages.PutResponse:
		ctx.Forward(p.store)
	}
}

// testSupervisor restarts its child after every failure, without limit.
type testSupervisor struct {
	props *actor.Props
	child *actor.PID
}

func (s *testSupervisor) Receive(ctx actor.Context) {
	switch ctx.Message().(type) {
	case *actor.Started:
		s.child = ctx.Spawn(s.props)
	case *childRequest:
		ctx.Respond(s.child)
	}
}

// spawnParent spawns a testParent under a supervisor that always restarts
// it. It returns the PIDs of the parent and of the supervisor, which is
// stopped when the test ends.
func spawnParent(t testing.TB, system *actor.ActorSystem, cfg Config) (parent, supervisor *actor.PID) {
	t.Helper()
	parentProps := actor.PropsFromProducer(func() actor.Actor { return &testParent{cfg: cfg} })
	alwaysRestart := actor.NewOneForOneStrategy(1<<30, time.Hour,
		func(any) actor.Directive { return actor.RestartDirective })
	supervisor = system.Root.Spawn(actor.PropsFromProducer(
		func() actor.Actor { return &testSupervisor{props: parentProps} },
		actor.WithSupervisor(alwaysRestart)))
	t.Cleanup(func() { stopAndWait(t, system, supervisor) })
	return request[*actor.PID](t, system, supervisor, &childRequest{}), supervisor
}

// fdWatch counts, while it runs, the most file descriptors that pointed
// at one path at the same time.
type fdWatch struct {
	path string
	max  atomic.Int64
	stop chan struct{}
	done chan struct{}
}

func watchFDs(t testing.TB, path string) *fdWatch {
	t.Helper()
	w := &fdWatch{path: path, stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	t.Cleanup(w.close)
	return w
}

func (w *fdWatch) run() {
	defer close(w.done)
	for {
		select {
		case <-w.stop:
			return
		default:
		}
		if n := int64(countFDs(w.path)); n > w.max.Load() {
			w.max.Store(n)
		}
		time.Sleep(50 * time.Microsecond)
	}
}

func (w *fdWatch) close() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

// countFDs returns how many of this process's file descriptors point at
// path, or all of them when path is empty.
func countFDs(path string) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	if path == "" {
		return len(entries)
	}
	n := 0
	for _, e := range entries {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && target == path {
			n++
		}
	}
	return n
}

func TestParentRestartsReleaseStore(t *testing.T) {
	if countFDs("") < 0 {
		t.Skip("/proc/self/fd is not available")
	}
	restarts := 1000
	if testing.Short() {
		restarts = 100
	}
	o := &opener{}
	system := newSystem(t)
	cfg := testConfig(t, o)
	// Touch the root context's machinery once so that the baseline holds
	// whatever the actor system starts lazily.
	request[*messages.GetResponseReply](t, system, spawnStore(t, system, testConfig(t, nil)),
		&messages.GetResponse{ID: "x"})
	baseFDs, baseGoroutines := countFDs(""), runtime.NumGoroutine()

	watch := watchFDs(t, cfg.Path)
	parent, supervisor := spawnParent(t, system, cfg)
	id := newResponse(t, "a").ID
	for i := range restarts {
		system.Root.Send(parent, &restartRequest{})
		reply := request[*messages.GetResponseReply](t, system, parent, &messages.GetResponse{ID: id})
		if !errors.Is(reply.Err, messages.ErrNotFound) {
			t.Fatalf("restart %d: Get through the new store: err = %v, want ErrNotFound", i, reply.Err)
		}
	}
	stopAndWait(t, system, supervisor)
	watch.close()

	if n := watch.max.Load(); n != 1 {
		t.Errorf("most connections open on the database at once = %d, want 1", n)
	}
	opened := o.stores()
	if len(opened) != restarts+1 {
		t.Errorf("stores opened = %d, want %d", len(opened), restarts+1)
	}
	for i, s := range opened[:len(opened)-1] {
		if n := s.closes.Load(); n != 1 {
			t.Errorf("store %d closed %d times, want 1", i, n)
		}
	}
	if n := opened[len(opened)-1].closes.Load(); n != 1 {
		t.Errorf("last store closed %d times after the parent stopped, want 1", n)
	}

	eventually(t, "file descriptors back to the baseline", func() bool {
		return countFDs("") <= baseFDs
	})
	eventually(t, "goroutines back to the baseline", func() bool {
		return runtime.NumGoroutine() <= baseGoroutines
	})
}
