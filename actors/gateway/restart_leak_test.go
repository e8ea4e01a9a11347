package gateway_test

import (
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/actorgate/actorgate/actors/gateway"
	"github.com/actorgate/actorgate/actors/lifecycle"
	"github.com/actorgate/actorgate/actors/store"
	"github.com/actorgate/actorgate/messages"
)

// leakyAdapter acquires what a real adapter does (a store child with a
// SQLite database, and a listening socket) and then fails, every time.
type leakyAdapter struct {
	dbPath string
	starts *atomic.Int64
	ln     net.Listener
	closer *lifecycle.Closer
}

func (a *leakyAdapter) Receive(ctx actor.Context) {
	switch ctx.Message().(type) {
	case *actor.Started:
		a.starts.Add(1)
		if _, err := ctx.SpawnNamed(store.Props(store.Config{Path: a.dbPath, MaxResponses: 100}, nil),
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

func settledGoroutines(baseline int) int {
	n := runtime.NumGoroutine()
	for i := 0; i < 200 && n > baseline; i++ {
		time.Sleep(10 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}

func TestThousandFailuresLeakNothing(t *testing.T) {
	const failures = 1000
	dbPath := filepath.Join(t.TempDir(), "responses.db")
	system := actor.NewActorSystem()
	defer system.Shutdown()

	var starts atomic.Int64
	fdBefore, _ := countFDs(t, "")
	goroutinesBefore := runtime.NumGoroutine()

	pid, err := system.Root.SpawnNamed(gateway.Props(gateway.Config{
		Name:    "gw",
		Backoff: gateway.Backoff{Base: time.Microsecond, Cap: 10 * time.Microsecond},
		Platforms: []gateway.Platform{{
			Name: "leaky",
			NewActor: func(gateway.Env) actor.Actor {
				return &leakyAdapter{dbPath: dbPath, starts: &starts}
			},
		}},
	}), "gw")
	if err != nil {
		t.Fatal(err)
	}

	maxDBConns := 0
	deadline := time.Now().Add(2 * time.Minute)
	for starts.Load() < failures+1 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d starts before the deadline", starts.Load())
		}
		if _, n := countFDs(t, dbPath); n > maxDBConns {
			maxDBConns = n
		}
		time.Sleep(time.Millisecond)
	}
	done := make(chan struct{})
	system.Root.Send(pid, &gateway.Shutdown{Done: done})
	<-done
	if err := system.Root.StopFuture(pid).Wait(); err != nil {
		t.Fatal(err)
	}

	if maxDBConns > 1 {
		t.Errorf("the database file was open %d times at once, want at most 1", maxDBConns)
	}
	fdAfter, open := countFDs(t, dbPath)
	if open != 0 {
		t.Errorf("the database is still open after the gateway stopped")
	}
	if fdAfter != fdBefore {
		t.Errorf("open file descriptors: %d before, %d after %d failures", fdBefore, fdAfter, starts.Load()-1)
	}
	if g := settledGoroutines(goroutinesBefore); g != goroutinesBefore {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		t.Errorf("goroutines: %d before, %d after\n%s", goroutinesBefore, g,
			strings.SplitN(string(buf[:n]), "\n\n", 20)[0])
	}
	t.Logf("failures=%d fd_before=%d fd_after=%d goroutines_before=%d goroutines_after=%d max_db_fds=%d",
		starts.Load()-1, fdBefore, fdAfter, goroutinesBefore, runtime.NumGoroutine(), maxDBConns)
}
