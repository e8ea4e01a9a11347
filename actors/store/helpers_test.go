package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/messages"
	"github.com/actorgate/actorgate/stores"
)

// requestTimeout bounds every request a test makes. It is a safety net
// against a hung actor, not an assertion about speed.
const requestTimeout = 30 * time.Second

// newSystem returns an actor system whose own logs are discarded. Stopping
// an actor twice sends dead letters, and after a dead letter the throttle
// runs a goroutine for one throttle period. The period is short so that
// goleak does not report that goroutine.
func newSystem(t testing.TB) *actor.ActorSystem {
	t.Helper()
	system := actor.NewActorSystem(
		actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
			return slog.New(slog.NewTextHandler(io.Discard, nil))
		}),
		actor.WithDeadLetterThrottleInterval(time.Millisecond),
	)
	t.Cleanup(system.Shutdown)
	return system
}

// spawnStore spawns a store actor from the root and stops it when the
// test ends.
func spawnStore(t testing.TB, system *actor.ActorSystem, cfg Config) *actor.PID {
	t.Helper()
	pid := system.Root.Spawn(Props(cfg, zap.NewNop()))
	t.Cleanup(func() { stopAndWait(t, system, pid) })
	return pid
}

func stopAndWait(t testing.TB, system *actor.ActorSystem, pid *actor.PID) {
	t.Helper()
	if err := system.Root.StopFuture(pid).Wait(); err != nil {
		t.Errorf("stopping %s: %v", pid, err)
	}
}

// request sends msg to pid and returns the reply as a T.
func request[T any](t testing.TB, system *actor.ActorSystem, pid *actor.PID, msg any) T {
	t.Helper()
	res, err := system.Root.RequestFuture(pid, msg, requestTimeout).Result()
	if err != nil {
		t.Fatalf("request %T: %v", msg, err)
	}
	reply, ok := res.(T)
	if !ok {
		var want T
		t.Fatalf("request %T: reply %T, want %T", msg, res, want)
	}
	return reply
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(requestTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n/2)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func newResponse(t testing.TB, session string) messages.StoredResponse {
	t.Helper()
	id := "resp_" + randomHex(t, 16) + randomHex(t, 32)
	return messages.StoredResponse{
		ID:         id,
		SessionKey: session,
		Status:     messages.ResponseCompleted,
		Body:       json.RawMessage(`{"id":"` + id + `"}`),
		History:    json.RawMessage(`[]`),
	}
}

// faultyStore wraps a real store, counts calls and injects faults.
type faultyStore struct {
	stores.Responses

	puts   atomic.Int64
	rows   atomic.Int64
	closes atomic.Int64
	// maxRows is the most rows one successful Put wrote.
	maxRows atomic.Int64

	// failWrites makes Put, Delete and the idempotency calls fail as a
	// full disk would.
	failWrites atomic.Bool
	// panicOnGet makes Get panic.
	panicOnGet atomic.Bool
	// gate, when set, blocks the first Put until it is closed; entered is
	// closed when that Put starts.
	gate    chan struct{}
	entered chan struct{}
	once    sync.Once
}

var errDiskFull = fmt.Errorf("%w: disk is full: injected", messages.ErrStoreUnavailable)

func (f *faultyStore) Put(ctx context.Context, rs []messages.StoredResponse) error {
	if f.gate != nil {
		f.once.Do(func() {
			close(f.entered)
			<-f.gate
		})
	}
	if f.failWrites.Load() {
		return errDiskFull
	}
	err := f.Responses.Put(ctx, rs)
	if err == nil {
		f.puts.Add(1)
		f.rows.Add(int64(len(rs)))
		// Only the actor calls Put, one call at a time.
		if n := int64(len(rs)); n > f.maxRows.Load() {
			f.maxRows.Store(n)
		}
	}
	return err
}

func (f *faultyStore) Get(ctx context.Context, session, id string) (*messages.StoredResponse, error) {
	if f.panicOnGet.Load() {
		panic("injected panic in Get")
	}
	return f.Responses.Get(ctx, session, id)
}

func (f *faultyStore) Delete(ctx context.Context, session, id string) error {
	if f.failWrites.Load() {
		return errDiskFull
	}
	return f.Responses.Delete(ctx, session, id)
}

func (f *faultyStore) Close() error {
	f.closes.Add(1)
	return f.Responses.Close()
}

// opener opens real stores wrapped in faultyStore and records them.
type opener struct {
	mu      sync.Mutex
	opened  []*faultyStore
	calls   atomic.Int64
	failing atomic.Bool
	// prepare, when set, configures each store before it is returned.
	prepare func(*faultyStore)
}

var errOpenInjected = errors.New("injected open failure")

func (o *opener) open(path string, max int, logger *zap.Logger) (stores.Responses, error) {
	o.calls.Add(1)
	if o.failing.Load() {
		return nil, errOpenInjected
	}
	s, err := stores.OpenResponses(path, max, logger)
	if err != nil {
		return nil, err
	}
	f := &faultyStore{Responses: s}
	if o.prepare != nil {
		o.prepare(f)
	}
	o.mu.Lock()
	o.opened = append(o.opened, f)
	o.mu.Unlock()
	return f, nil
}

func (o *opener) stores() []*faultyStore {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]*faultyStore(nil), o.opened...)
}

func (o *opener) last(t testing.TB) *faultyStore {
	t.Helper()
	all := o.stores()
	if len(all) == 0 {
		t.Fatal("no store was opened")
	}
	return all[len(all)-1]
}

// testConfig returns a Config on a database in a new temporary directory.
func testConfig(t testing.TB, o *opener) Config {
	t.Helper()
	cfg := Config{
		Path:         filepath.Join(t.TempDir(), "responses.db"),
		MaxResponses: 1000,
		RetryOpen:    time.Millisecond,
	}
	if o != nil {
		cfg.Open = o.open
	}
	return cfg
}
