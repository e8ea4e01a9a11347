package actorgate_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/goleak"

	"github.com/actorgate/actorgate"
	"github.com/actorgate/actorgate/actors/gateway"
	"github.com/actorgate/actorgate/actors/lifecycle"
	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// quietSystem returns a host actor system whose protoactor-go log lines
// are discarded.
func quietSystem() *actor.ActorSystem {
	return actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
}

// newHost returns a host actor system that the test shuts down at its end,
// after every gateway in it was closed.
func newHost(t *testing.T) *actor.ActorSystem {
	t.Helper()
	system := quietSystem()
	t.Cleanup(system.Shutdown)
	return system
}

// testConfig is config.Default with fast restarts and no platform.
func testConfig() config.Config {
	cfg := config.Default()
	cfg.Gateway.BackoffBase = 5 * time.Millisecond
	cfg.Gateway.BackoffCap = 20 * time.Millisecond
	cfg.Gateway.ShutdownGrace = time.Second
	return cfg
}

// withAPIServer enables the API server on a free port of 127.0.0.1 with a
// random key and a data folder of its own.
func withAPIServer(t *testing.T, cfg config.Config) config.Config {
	t.Helper()
	cfg.Home = t.TempDir()
	cfg.Platforms.APIServer.Key = randomKey(t)
	cfg.Platforms.APIServer.Port = freePort(t)
	return cfg
}

func randomKey(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startGateway starts a gateway and closes it when the test ends.
func startGateway(t *testing.T, system *actor.ActorSystem, name string, cfg config.Config,
	opts ...actorgate.Option,
) *actorgate.Gateway {
	t.Helper()
	gw, err := actorgate.Start(system, name, cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := gw.Close(ctx); err != nil {
			t.Errorf("closing gateway %s: %v", name, err)
		}
	})
	return gw
}

// row returns the status row of platform, or a row with no name.
func row(t *testing.T, gw *actorgate.Gateway, platform string) messages.PlatformStatus {
	t.Helper()
	rows, err := gw.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Name == platform {
			return r
		}
	}
	return messages.PlatformStatus{}
}

// waitRow polls the status of platform until ok accepts its row.
func waitRow(t *testing.T, gw *actorgate.Gateway, platform, what string,
	ok func(messages.PlatformStatus) bool,
) messages.PlatformStatus {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := row(t, gw, platform)
		if ok(r) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/%s: timed out waiting for %s; last row %+v", gw.Name(), platform, what, r)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func inState(s messages.PlatformState) func(messages.PlatformStatus) bool {
	return func(r messages.PlatformStatus) bool { return r.State == s }
}

// userTurn builds a one-turn agent request.
func userTurn(text string) *messages.AgentRequest {
	return &messages.AgentRequest{Messages: []messages.ChatMessage{{Role: "user", Content: text}}}
}

// ask runs a one-turn request and returns the reply text.
func ask(t *testing.T, gw *actorgate.Gateway, text string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reply, err := gw.Ask(ctx, userTurn(text))
	if err != nil {
		t.Fatalf("%s: Ask(%q): %v", gw.Name(), text, err)
	}
	return reply.Text
}

// getModels calls GET /v1/models on the API server of cfg and returns the
// status code.
func getModels(t *testing.T, cfg config.Config) int {
	t.Helper()
	url := fmt.Sprintf("http://127.0.0.1:%d/v1/models", cfg.Platforms.APIServer.Port)
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+cfg.Platforms.APIServer.Key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// waitListening polls addr until it accepts a connection.
func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			_ = c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s: %v", addr, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Messages a probe adapter accepts.
type (
	// ping gets a pong from a running probe.
	ping struct{}
	pong struct{ Platform string }
	// crash makes a probe panic.
	crash struct{}
	// receive makes a probe act as if a user sent text: it publishes an
	// InboundMessage on the event stream.
	receive struct{ User, Text string }
)

// probe is the shared state of every instance of one probe platform.
type probe struct {
	name string
	// fail decides the outcome of start n (1 for the first); nil connects.
	fail   func(n int) *messages.PlatformError
	starts atomic.Int64
	// restarted counts Restarting, the only message an instance gets
	// before a supervisor-directed restart; stopped counts Stopped.
	restarted atomic.Int64
	stopped   atomic.Int64
	// block, when set, is waited for in Stopping.
	block chan struct{}
	// onStopped is called from each instance's Stopped handler.
	onStopped func()
	mu        sync.Mutex
	gateway   string
}

func (p *probe) platform() gateway.Platform {
	return gateway.Platform{
		Name:        p.name,
		Fingerprint: "v1",
		NewActor: func(env gateway.Env) actor.Actor {
			p.mu.Lock()
			p.gateway = env.Gateway
			p.mu.Unlock()
			return &probeAdapter{probe: p}
		},
	}
}

// probeAdapter is a custom platform adapter for tests: it connects or
// fails as its probe decides, replies to ping, panics on crash, and
// publishes inbound messages.
type probeAdapter struct {
	probe *probe
}

func (a *probeAdapter) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		n := int(a.probe.starts.Add(1))
		if a.probe.fail != nil {
			if perr := a.probe.fail(n); perr != nil {
				lifecycle.MustFail(ctx, perr)
				return
			}
		}
		ctx.Send(ctx.Parent(), &messages.PlatformConnected{Platform: a.probe.name})
	case *ping:
		ctx.Respond(&pong{Platform: a.probe.name})
	case *crash:
		panic("crash requested by the test")
	case *receive:
		a.probe.mu.Lock()
		gw := a.probe.gateway
		a.probe.mu.Unlock()
		ctx.ActorSystem().EventStream.Publish(&messages.InboundMessage{
			Gateway: gw, Platform: a.probe.name, ChatType: messages.ChatDM,
			ChatID: "chat-" + msg.User, UserID: msg.User, UserName: msg.User, Text: msg.Text,
		})
	case *messages.SendMessage:
		ctx.Respond(&messages.SendMessageReply{RequestID: msg.RequestID, MessageIDs: []string{"m1"}})
	case *actor.Restarting:
		a.probe.restarted.Add(1)
	case *actor.Stopping:
		if a.probe.block != nil {
			<-a.probe.block
		}
	case *actor.Stopped:
		a.probe.stopped.Add(1)
		if a.probe.onStopped != nil {
			a.probe.onStopped()
		}
	}
}

// pingPID sends pid a ping and fails the test unless a pong comes back.
func pingPID(t *testing.T, system *actor.ActorSystem, pid *actor.PID) {
	t.Helper()
	res, err := system.Root.RequestFuture(pid, &ping{}, 5*time.Second).Result()
	if err != nil {
		t.Fatalf("ping %s: %v", pid.Id, err)
	}
	if _, ok := res.(*pong); !ok {
		t.Fatalf("ping %s: reply %T, want *pong", pid.Id, res)
	}
}

// hostActor is an actor of the host's own that replies to ping.
type hostActor struct{}

func (hostActor) Receive(ctx actor.Context) {
	if _, ok := ctx.Message().(*ping); ok {
		ctx.Respond(&pong{Platform: "host"})
	}
}

func spawnHostActor(t *testing.T, system *actor.ActorSystem, name string) *actor.PID {
	t.Helper()
	pid, err := system.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor {
		return hostActor{}
	}), name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = system.Root.StopFuture(pid).Wait() })
	return pid
}
