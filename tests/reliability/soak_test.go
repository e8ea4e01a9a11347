//go:build reliability

package reliability

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/actorgate/actorgate"
	"github.com/actorgate/actorgate/actors/gateway"
	"github.com/actorgate/actorgate/actors/lifecycle"
	"github.com/actorgate/actorgate/messages"
)

// soakLogBytes bounds what each log of a soak keeps in memory. The rest is
// scanned for secrets as it is dropped, so the test's own memory stays
// flat however long the soak runs.
const soakLogBytes = 1 << 20

// soakShare returns how long one of the two soak variants runs: half of
// the mode's soak duration. It skips the test when the mode has none.
func soakShare(t *testing.T) time.Duration {
	t.Helper()
	if suiteMode.soak == 0 {
		t.Skip("skipped: set ACTORGATE_SOAK to a duration (for example 30m) to soak in the long mode")
	}
	return suiteMode.soak / 2
}

// soakRequests sends one cycle's worth of requests and checks each
// response. Every third cycle the upstream responds with 500 for a while.
func soakRequests(t *testing.T, p *gatewayProcess, up *fakeUpstream, cycle int) {
	t.Helper()
	acks := storeResponses(t, p, "", fmt.Sprintf("soak cycle %d", cycle), 3)
	readBack(t, p, acks)
	chat := map[string]any{
		"model": "actorgate", "messages": []any{map[string]any{"role": "user", "content": "soak"}},
	}
	for range 2 {
		if r := p.mustDo("POST", chatPath, chat); r.status != 200 {
			t.Fatalf("chat completion: status %d: %s", r.status, r.body)
		}
	}
	stream := map[string]any{
		"model": "actorgate", "stream": true,
		"messages": []any{map[string]any{"role": "user", "content": "soak stream"}},
	}
	if r := p.mustDo("POST", chatPath, stream); r.status != 200 {
		t.Fatalf("streamed chat completion: status %d: %s", r.status, r.body)
	}
	if up == nil || cycle%3 != 2 {
		return
	}
	up.set(modeStatus500, 8, 0)
	defer up.set(modeNormal, 8, 0)
	tally.faultsInjected.Add(1)
	if r := p.mustDo("POST", chatPath, chat); r.status != 502 {
		t.Fatalf("chat completion with a failing upstream: status %d, want 502: %s", r.status, r.body)
	}
}

// soakConfig is config.yaml of the binary soak: the port and the model
// name, which a reload changes.
func soakConfig(port int, model string) string {
	return fmt.Sprintf("platforms:\n  api_server:\n    port: %d\n    model_name: %s\n", port, model)
}

// waitModel waits until /v1/models lists model, which shows that the API
// server restarted with the reloaded settings.
func waitModel(t *testing.T, p *gatewayProcess, model string) {
	t.Helper()
	waitFor(t, waitLimit, "the API server to serve model "+model, func() bool {
		r, err := p.do("GET", "/v1/models", nil)
		return err == nil && r.status == 200 && strings.Contains(string(r.body), `"`+model+`"`)
	})
}

// reloadBinary writes config.yaml and sends SIGHUP.
func reloadBinary(t *testing.T, p *gatewayProcess, yaml string) {
	t.Helper()
	writeConfigYAML(t, p.cfg.home, yaml)
	p.signal(syscall.SIGHUP)
}

// portFault moves the API server to a port the test holds, waits until the
// platform is fatal, and moves it back.
func portFault(t *testing.T, p *gatewayProcess, occupied int, model string) {
	t.Helper()
	reloadBinary(t, p, soakConfig(occupied, model))
	tally.faultsInjected.Add(1)
	waitFor(t, waitLimit, "api_server to fail on the port in use", func() bool {
		row := p.platformState("api_server")
		return row.State == messages.StateFatal && row.ErrorCode == "api_server_port_in_use"
	})
	reloadBinary(t, p, soakConfig(p.cfg.port, model))
	waitModel(t, p, model)
}

// quiesce closes idle connections on every side and waits until the
// gateway's fd count holds still, so that a sample counts what the gateway
// keeps rather than what is in flight.
func quiesce(t *testing.T, p *gatewayProcess, up *fakeUpstream) procStats {
	t.Helper()
	p.client.CloseIdleConnections()
	up.closeIdle()
	waitFor(t, waitLimit, "upstream connections to close", func() bool {
		open, _ := up.openConns()
		return open == 0
	})
	var last procStats
	same := 0
	waitFor(t, waitLimit, "the gateway's fd count to hold still", func() bool {
		st := p.stats()
		if st.fds == last.fds {
			same++
		} else {
			same = 0
		}
		last = st
		return same >= 3
	})
	return last
}

func TestSoakBinary(t *testing.T) {
	duration := soakShare(t)
	sec := newSecrets(t)
	sec.retain = soakLogBytes
	up := newFakeUpstream(t, sec.newKey(t, "upstream key"))
	occupied, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = occupied.Close() }()
	occupiedPort := occupied.Addr().(*net.TCPAddr).Port

	cfg := newGatewayConfig(t, sec)
	// An empty API_SERVER_PORT leaves the port to config.yaml, which the
	// reloads change.
	cfg.env["API_SERVER_PORT"] = ""
	cfg.env["AGENT_BACKEND"] = "openai"
	cfg.env["AGENT_BASE_URL"] = up.baseURL()
	cfg.env["AGENT_API_KEY"] = up.key
	cfg.env["AGENT_TIMEOUT"] = "10s"
	writeConfigYAML(t, cfg.home, soakConfig(cfg.port, "soak-0"))
	p := startGateway(t, sec, cfg, "soak")

	fds := &series{name: "gateway fds", unit: "fds", tolerance: 4}
	threads := &series{name: "gateway threads", unit: "threads", tolerance: 8}
	// The binary's protoactor-go registry grows by about 9 MiB of heap in
	// its first few hundred thousand requests (see warmRegistry), which the
	// RSS tolerance leaves room for.
	rss := &series{name: "gateway RSS", unit: "MiB", tolerance: 48}
	start := time.Now()
	cycle := 0
	for ; time.Since(start) < duration; cycle++ {
		soakRequests(t, p, up, cycle)
		model := fmt.Sprintf("soak-%d", (cycle+1)%2)
		reloadBinary(t, p, soakConfig(cfg.port, model))
		waitModel(t, p, model)
		if cycle%4 == 3 {
			portFault(t, p, occupiedPort, model)
		}
		st := quiesce(t, p, up)
		at := time.Since(start)
		fds.add(at, float64(st.fds))
		threads.add(at, float64(st.threads))
		rss.add(at, float64(st.rssKiB)/1024)
	}
	t.Logf("%d cycles in %s", cycle, time.Since(start).Round(time.Second))
	for _, s := range []*series{fds, threads, rss} {
		s.check(t, duration)
	}
}

// flakyAdapter is a custom adapter whose starts fail, retryably, in a
// fixed pattern, and which panics on poison.
type flakyAdapter struct {
	name   string
	starts int
}

func (a *flakyAdapter) platform() gateway.Platform {
	return gateway.Platform{
		Name: a.name, Fingerprint: "1",
		NewActor: func(gateway.Env) actor.Actor { return actor.ReceiveFunc(a.receive) },
	}
}

// receive runs on the adapter's mailbox only, one instance at a time, so
// starts needs no lock.
func (a *flakyAdapter) receive(ctx actor.Context) {
	switch ctx.Message().(type) {
	case *actor.Started:
		a.starts++
		if a.starts%3 == 0 {
			lifecycle.MustFail(ctx, &messages.PlatformError{
				Code: "flaky_start", Message: "the flaky adapter failed to start", Retryable: true,
			})
			return
		}
		ctx.Send(ctx.Parent(), &messages.PlatformConnected{Platform: a.name})
	case *poison:
		panic("poisoned message for " + a.name)
	}
}

// nopProcess is a process that ignores everything sent to it.
type nopProcess struct{}

func (nopProcess) SendUserMessage(*actor.PID, any)   {}
func (nopProcess) SendSystemMessage(*actor.PID, any) {}
func (nopProcess) Stop(*actor.PID)                   {}

// warmRegistry registers and removes 600,000 processes, so that the
// protoactor-go process registry has reached its working size before the
// soak samples the heap. The registry (v0.0.0-20240822202345) spreads PIDs
// over 1,024 x 32 Go maps, and each map allocates its first slots only
// when a PID first lands in it. Every future does, so without this the
// heap climbs by about 9 MiB over the first few hundred thousand requests
// and then stays flat, which a soak of minutes would take for a leak.
func warmRegistry(system *actor.ActorSystem) {
	for i := range 600_000 {
		pid, _ := system.ProcessRegistry.Add(nopProcess{}, "warm$"+strconv.Itoa(i))
		system.ProcessRegistry.Remove(pid)
	}
}

// inProcessSample waits for the goroutine count to hold still after a
// collection, then returns goroutines, heap bytes in use and fds.
func inProcessSample(t *testing.T, g *inProcess) (goroutines int, heapMiB float64, fds int) {
	t.Helper()
	g.client.CloseIdleConnections()
	last, same := -1, 0
	waitFor(t, waitLimit, "the goroutine count to hold still", func() bool {
		n := runtime.NumGoroutine()
		if n == last {
			same++
		} else {
			same = 0
		}
		last = n
		return same >= 3
	})
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return last, float64(ms.HeapAlloc) / (1 << 20), countOwnFDs(t)
}

func TestSoakInProcess(t *testing.T) {
	duration := soakShare(t)
	sec := newSecrets(t)
	sec.retain = soakLogBytes
	flaky := &flakyAdapter{name: "flaky"}
	g := startInProcess(t, sec, nil, actorgate.WithPlatform(flaky.platform()))
	p := g.process()
	warmRegistry(g.system)

	goroutines := &series{name: "goroutines", unit: "goroutines", tolerance: 10}
	heap := &series{name: "heap", unit: "MiB", tolerance: 8}
	fds := &series{name: "fds", unit: "fds", tolerance: 4}
	ctx := context.Background()
	start := time.Now()
	cycle := 0
	for ; time.Since(start) < duration; cycle++ {
		soakRequests(t, p, nil, cycle)
		cfg := g.cfg
		cfg.Platforms.APIServer.ModelName = fmt.Sprintf("soak-%d", cycle%2)
		if _, err := g.gw.Reload(ctx, cfg); err != nil {
			t.Fatalf("reload: %v", err)
		}
		waitModel(t, p, cfg.Platforms.APIServer.ModelName)
		g.waitState(flaky.name, messages.StateConnected)
		g.system.Root.Send(g.platformPID(flaky.name), &poison{})
		tally.faultsInjected.Add(1)
		if cycle%3 == 0 {
			if err := g.gw.Pause(ctx, flaky.name); err != nil {
				t.Fatal(err)
			}
			g.waitState(flaky.name, messages.StatePaused)
			if err := g.gw.Resume(ctx, flaky.name); err != nil {
				t.Fatal(err)
			}
		}
		g.waitState(flaky.name, messages.StateConnected)

		n, mib, fd := inProcessSample(t, g)
		at := time.Since(start)
		goroutines.add(at, float64(n))
		heap.add(at, mib)
		fds.add(at, float64(fd))
	}
	t.Logf("%d cycles in %s", cycle, time.Since(start).Round(time.Second))
	for _, s := range []*series{goroutines, heap, fds} {
		s.check(t, duration)
	}
}
