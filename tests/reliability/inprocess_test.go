//go:build reliability

package reliability

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap/exp/zapslog"

	"github.com/actorgate/actorgate"
	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
)

// inProcess is a gateway started with actorgate.Start inside the test's own
// actor system, so that the test can count goroutines and register custom
// adapters.
type inProcess struct {
	t      *testing.T
	system *actor.ActorSystem
	gw     *actorgate.Gateway
	cfg    config.Config
	logs   *logBuffer
	client *http.Client
	closed bool
}

// inProcessGrace is the shutdown grace of in-process gateways. The gateway
// abandons an adapter that has not stopped 2 s after it.
const inProcessGrace = 500 * time.Millisecond

// startInProcess starts a gateway named "gw" with the API server on a free
// port, the echo agent unless mutate changes it, and the given options.
// Every log line of the gateway and of protoactor-go goes to a log that is
// scanned for sec's secrets.
func startInProcess(t *testing.T, sec *secrets, mutate func(*config.Config),
	opts ...actorgate.Option,
) *inProcess {
	t.Helper()
	cfg := config.Default()
	cfg.Home = t.TempDir()
	cfg.Platforms.APIServer.Key = sec.newKey(t, "api key")
	cfg.Platforms.APIServer.Port = freePort(t)
	cfg.Gateway.BackoffBase = 5 * time.Millisecond
	cfg.Gateway.BackoffCap = 50 * time.Millisecond
	cfg.Gateway.ShutdownGrace = inProcessGrace
	if mutate != nil {
		mutate(&cfg)
	}

	logger, logs := sec.logger("in-process gateway")
	core := logger.Named("protoactor").Core()
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(zapslog.NewHandler(core))
	}))
	opts = append([]actorgate.Option{actorgate.WithLogger(logger)}, opts...)
	gw, err := actorgate.Start(system, "gw", cfg, opts...)
	if err != nil {
		system.Shutdown()
		t.Fatal(err)
	}
	g := &inProcess{
		t: t, system: system, gw: gw, cfg: cfg, logs: logs,
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
	}
	t.Cleanup(g.shutdown)
	g.waitState("api_server", messages.StateConnected)
	return g
}

// shutdown closes the gateway unless the test did, and shuts the actor
// system down.
func (g *inProcess) shutdown() {
	g.client.CloseIdleConnections()
	if !g.closed {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := g.gw.Close(ctx); err != nil {
			g.t.Errorf("closing the in-process gateway: %v", err)
		}
	}
	g.system.Shutdown()
}

func (g *inProcess) baseURL() string {
	return fmt.Sprintf("http://127.0.0.1:%d", g.cfg.Platforms.APIServer.Port)
}

// process returns a gatewayProcess view of the in-process gateway, so that
// the HTTP helpers work on both.
func (g *inProcess) process() *gatewayProcess {
	return &gatewayProcess{
		t: g.t, client: g.client,
		cfg: gatewayConfig{port: g.cfg.Platforms.APIServer.Port, key: g.cfg.Platforms.APIServer.Key},
	}
}

// row returns the status row of platform, or a row with no name.
func (g *inProcess) row(platform string) messages.PlatformStatus {
	g.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := g.gw.Status(ctx)
	if err != nil {
		g.t.Fatalf("status: %v", err)
	}
	for _, r := range rows {
		if r.Name == platform {
			return r
		}
	}
	return messages.PlatformStatus{}
}

// waitRow polls the row of platform until ok accepts it.
func (g *inProcess) waitRow(platform, what string, ok func(messages.PlatformStatus) bool) messages.PlatformStatus {
	g.t.Helper()
	var r messages.PlatformStatus
	waitFor(g.t, waitLimit, platform+" "+what, func() bool {
		r = g.row(platform)
		return ok(r)
	})
	return r
}

func (g *inProcess) waitState(platform string, s messages.PlatformState) messages.PlatformStatus {
	g.t.Helper()
	return g.waitRow(platform, "to be "+string(s), func(r messages.PlatformStatus) bool {
		return r.State == s
	})
}

// platformPID is the PID of a platform adapter: a child of the gateway
// named after the platform.
func (g *inProcess) platformPID(name string) *actor.PID {
	return g.system.NewLocalPID(g.gw.Name() + "/" + name)
}
