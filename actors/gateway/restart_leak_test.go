package gateway_test

import (
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/gateway"
	"github.com/actorgate/actorgate/actors/lifecycle"
	"github.com/actorgate/actorgate/actors/store"
	"github.com/actorgate/actorgate/messages"
	"github.com/actorgate/actorgate/stores"
)

// connCounter counts the open connections to a database, and the most
// that were ever open at once.
type connCounter struct {
	open, max atomic.Int64
}

type countedStore struct {
	stores.Responses
	counter *connCounter
	once    sync.Once
}

func (c *countedStore) Close() error {
	err := c.Responses.Close()
	c.once.Do(func() { c.counter.open.Add(-1) })
	return err
}

func (c *connCounter) opener(path string, max int, log *zap.Logger) (stores.Responses, error) {
	r, err := stores.OpenResponses(path, max, log)
	if err != nil {
		return nil, err
	}
	n := c.open.Add(1)
	for {
		m := c.max.Load()
		if n <= m || c.max.CompareAndSwap(m, n) {
			break
		}
	}
	return &countedStore{Responses: r, counter: c}, nil
}

// leakyAdapter acquires what a real adapter does (a store child with a
// SQLite database, and a listening socket) and then fails, every time.
type leakyAdapter struct {
	dbPath string
	conns  *connCounter
	starts *atomic.Int64
	ln     net.Listener
	closer *lifecycle.Closer
}

func (a *leakyAdapter) Receive(ctx actor.Context) {
	switch ctx.Message().(type) {
	case *actor.Started:
		a.starts.Add(1)
		if _, err := ctx.SpawnNamed(store.Props(store.Config{
			Path: a.dbPath, MaxResponses: 100, Open: a.conns.opener,
		}, nil),
			"responses"); err != nil {
			panic(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(err)
		}
		a.ln = ln
		a.closer = lifecycle.NewCloser(a.ln.Close)
		lifecycle.MustFail(ctx, &messages.PlatformError{
			Code: "chat_unreachable", Message: "the chat service is down", Retryable: true,
		})
	case *actor.Restarting, *actor.Stopping, *actor.Stopped:
		_ = a.closer.Close()
	}
}

func countFDs(t *testing.T, target string) (all, matching int) {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		link, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err != nil {
			continue
		}
		all++
		if target != "" && link == target {
			matching++
		}
	}
	return all, matching
}

// settledGoroutines waits until the goroutine count is at most baseline,
// or, with baseline 0, until it has stayed the same for 50 ms, bounded to
// two seconds, and returns it.
func settledGoroutines(baseline int) int {
	n := runtime.NumGoroutine()
	stable := 0
	for i := 0; i < 200; i++ {
		if baseline > 0 && n <= baseline {
			return n
		}
		time.Sleep(10 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m == n {
			stable++
		} else {
			stable = 0
		}
		n = m
		if baseline == 0 && stable >= 5 {
			return n
		}
	}
	return n
}

func TestThousandFailuresLeakNothing(t *testing.T) {
	const failures = 1000
	dbPath := filepath.Join(t.TempDir(), "responses.db")
	system := actor.NewActorSystem(gateway.QuietLogsForTest())
	defer system.Shutdown()

	var starts atomic.Int64
	conns := &connCounter{}
	// Goroutines of earlier tests in the package may still be ending, so
	// the baseline is taken once the count has stopped falling.
	goroutinesBefore := settledGoroutines(0)
	fdBefore, _ := countFDs(t, "")

	pid, err := system.Root.SpawnNamed(gateway.Props(gateway.Config{
		Name:    "gw",
		Backoff: gateway.Backoff{Base: time.Microsecond, Cap: 10 * time.Microsecond},
		Platforms: []gateway.Platform{{
			Name: "leaky",
			NewActor: func(gateway.Env) actor.Actor {
				return &leakyAdapter{dbPath: dbPath, conns: conns, starts: &starts}
			},
		}},
	}), "gw")
	if err != nil {
		t.Fatal(err)
	}

	deadline := time.Now().Add(2 * time.Minute)
	for starts.Load() < failures+1 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d starts before the deadline", starts.Load())
		}
		time.Sleep(time.Millisecond)
	}
	done := make(chan struct{})
	system.Root.Send(pid, &gateway.Shutdown{Done: done})
	<-done
	if err := system.Root.StopFuture(pid).Wait(); err != nil {
		t.Fatal(err)
	}

	if m := conns.max.Load(); m != 1 {
		t.Errorf("at most %d connections were open at once, want 1", m)
	}
	if n := conns.open.Load(); n != 0 {
		t.Errorf("%d connections still open after the gateway stopped", n)
	}
	fdAfter, open := countFDs(t, dbPath)
	if open != 0 {
		t.Errorf("the database is still open after the gateway stopped")
	}
	if fdAfter != fdBefore {
		t.Errorf("open file descriptors: %d before, %d after %d failures", fdBefore, fdAfter, starts.Load()-1)
	}
	if g := settledGoroutines(goroutinesBefore); g > goroutinesBefore {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		t.Errorf("goroutines: %d before, %d after\n%s", goroutinesBefore, g,
			strings.SplitN(string(buf[:n]), "\n\n", 20)[0])
	}
	t.Logf("failures=%d fd_before=%d fd_after=%d goroutines_before=%d goroutines_after=%d max_conns=%d",
		starts.Load()-1, fdBefore, fdAfter, goroutinesBefore, runtime.NumGoroutine(), conns.max.Load())
}
