package actorgate_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/actorgate/actorgate"
	"github.com/actorgate/actorgate/actors/agent"
	"github.com/actorgate/actorgate/messages"
	"github.com/actorgate/actorgate/metrics"
)

// scrape returns the body of GET http://addr/metrics.
func scrape(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("scraping %s: %v", addr, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scraping %s: status %d", addr, resp.StatusCode)
	}
	return string(body)
}

// waitScrape scrapes addr until the body contains every line of want.
func waitScrape(t *testing.T, addr string, want ...string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		body := scrape(t, addr)
		missing := ""
		for _, w := range want {
			if !strings.Contains(body, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("scrape of %s never contained %q:\n%s", addr, missing, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitMetricsAddr waits until the gateway's metrics listener is bound.
func waitMetricsAddr(t *testing.T, gw *actorgate.Gateway) string {
	t.Helper()
	waitRow(t, gw, actorgate.MetricsPlatform, "connected", inState(messages.StateConnected))
	addr := gw.MetricsAddr()
	if addr == "" {
		t.Fatal("metrics platform is connected but MetricsAddr is empty")
	}
	return addr
}

func TestMetricsListenerServesGatewayMetrics(t *testing.T) {
	system := newHost(t)
	cfg := testConfig()
	cfg.Gateway.MetricsAddr = "127.0.0.1:0"
	chat := &probe{name: "chat"}
	gw := startGateway(t, system, "gw", cfg, actorgate.WithPlatform(chat.platform()),
		actorgate.WithBackend(func() (agent.Backend, error) {
			return failingBackend{code: "upstream_timeout"}, nil
		}))
	addr := waitMetricsAddr(t, gw)
	waitRow(t, gw, "chat", "connected", inState(messages.StateConnected))

	system.Root.Send(gw.PlatformPID("chat"), &crash{})
	waitRow(t, gw, "chat", "restarted", func(r messages.PlatformStatus) bool {
		return r.State == messages.StateConnected && r.Restarts == 1
	})
	_, _ = gw.Ask(context.Background(), userTurn("hi"))
	_, _ = gw.Ask(context.Background(), userTurn("hi"))

	body := waitScrape(t, addr,
		`actorgate_platform_state{platform="metrics",state="connected"} 1`,
		`actorgate_platform_state{platform="chat",state="connected"} 1`,
		`actorgate_platform_state{platform="chat",state="retrying"} 0`,
		`actorgate_platform_restarts_total{platform="chat"} 1`,
		`actorgate_platform_failed_attempts{platform="chat"} 0`,
		`actorgate_upstream_errors_total{code="upstream_timeout"} 2`,
		"process_open_fds ",
	)
	if strings.Contains(body, `actorgate_platform_restarts_total{platform="metrics"} 1`) {
		t.Error("the metrics listener restarted")
	}

	resp, err := http.Get("http://" + addr + "/other")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /other on the metrics listener = %d, want 404", resp.StatusCode)
	}

	if err := gw.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := gw.MetricsAddr(); got != "" {
		t.Errorf("MetricsAddr after Close = %q, want empty", got)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		_ = c.Close()
		t.Error("the metrics port still accepts connections after Close")
	}
}

func TestMetricsPortInUseIsFatal(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	system := newHost(t)
	cfg := testConfig()
	cfg.Gateway.MetricsAddr = ln.Addr().String()
	gw := startGateway(t, system, "gw", cfg)
	r := waitRow(t, gw, actorgate.MetricsPlatform, "fatal", inState(messages.StateFatal))
	if r.ErrorCode != actorgate.CodeMetricsPortInUse {
		t.Errorf("error code = %q, want %s", r.ErrorCode, actorgate.CodeMetricsPortInUse)
	}
	if !strings.Contains(r.ErrorMessage, ln.Addr().String()) ||
		!strings.Contains(r.ErrorMessage, "ACTORGATE_METRICS_ADDR") {
		t.Errorf("error message names neither the address nor the setting: %s", r.ErrorMessage)
	}
	if gw.MetricsAddr() != "" {
		t.Errorf("MetricsAddr = %q for a listener that failed", gw.MetricsAddr())
	}
}

func TestMetricsReloadMovesListener(t *testing.T) {
	system := newHost(t)
	cfg := testConfig()
	cfg.Gateway.MetricsAddr = "127.0.0.1:0"
	gw := startGateway(t, system, "gw", cfg)
	first := waitMetricsAddr(t, gw)

	port := freePort(t)
	cfg.Gateway.MetricsAddr = fmt.Sprintf("127.0.0.1:%d", port)
	reply, err := gw.Reload(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(reply.Restarted) != 1 || reply.Restarted[0] != actorgate.MetricsPlatform {
		t.Errorf("reload restarted %v, want [metrics]", reply.Restarted)
	}
	waitListening(t, cfg.Gateway.MetricsAddr)
	waitScrape(t, cfg.Gateway.MetricsAddr,
		`actorgate_platform_state{platform="metrics",state="connected"} 1`)
	if c, err := net.Dial("tcp", first); err == nil {
		_ = c.Close()
		t.Errorf("the old metrics address %s still accepts connections", first)
	}

	cfg.Gateway.MetricsAddr = ""
	reply, err = gw.Reload(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(reply.Stopped) != 1 || reply.Stopped[0] != actorgate.MetricsPlatform {
		t.Errorf("reload stopped %v, want [metrics]", reply.Stopped)
	}
	waitRow(t, gw, actorgate.MetricsPlatform, "removed", func(r messages.PlatformStatus) bool {
		return r.Name == ""
	})
}

func TestReloadRejectsNonLoopbackMetricsAddr(t *testing.T) {
	system := newHost(t)
	cfg := testConfig()
	gw := startGateway(t, system, "gw", cfg)
	cfg.Gateway.MetricsAddr = "0.0.0.0:9464"
	_, err := gw.Reload(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "gateway.metrics_addr") {
		t.Fatalf("Reload = %v, want an error naming gateway.metrics_addr", err)
	}
	if r := row(t, gw, actorgate.MetricsPlatform); r.Name != "" {
		t.Errorf("a rejected reload enrolled the metrics listener: %+v", r)
	}
}

func TestWithMetricsRecordsIntoHostMetrics(t *testing.T) {
	system := newHost(t)
	m, err := metrics.New(metrics.WithoutRuntimeMetrics())
	if err != nil {
		t.Fatal(err)
	}
	chat := &probe{name: "chat"}
	gw := startGateway(t, system, "gw", testConfig(),
		actorgate.WithMetrics(m), actorgate.WithPlatform(chat.platform()))
	if gw.Metrics() != m {
		t.Fatal("Metrics() is not the value given to WithMetrics")
	}
	waitRow(t, gw, "chat", "connected", inState(messages.StateConnected))

	srv := &http.Server{Handler: m.Handler(), ReadHeaderTimeout: time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	defer func() {
		_ = srv.Close()
		<-done
	}()
	body := waitScrape(t, ln.Addr().String(),
		`actorgate_platform_state{platform="chat",state="connected"} 1`)
	if strings.Contains(body, "go_goroutines") {
		t.Error("the gateway added runtime collectors to the host's metrics")
	}
}

func TestCancelledRunsAreNotUpstreamErrors(t *testing.T) {
	if agent.CodeCancelled != "cancelled" {
		t.Fatalf("agent.CodeCancelled = %q; the metrics package skips \"cancelled\"",
			agent.CodeCancelled)
	}
}
