package actorgate

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/gateway"
	"github.com/actorgate/actorgate/actors/lifecycle"
	"github.com/actorgate/actorgate/messages"
)

// MetricsPlatform is the platform name of the metrics listener in the
// status table. The gateway supervises the listener like an adapter, so
// a port in use shows as fatal, and a reload that changes
// gateway.metrics_addr moves it.
const MetricsPlatform = "metrics"

// Error codes of the metrics listener, in its status row.
const (
	// CodeMetricsPortInUse: another process listens on the address (fatal).
	CodeMetricsPortInUse = "metrics_port_in_use"
	// CodeMetricsAddrInvalid: this machine cannot bind the address, or it
	// resolved to an address that is not loopback (fatal).
	CodeMetricsAddrInvalid = "metrics_addr_invalid"
	// CodeMetricsListenFailed: binding failed for another reason
	// (retryable).
	CodeMetricsListenFailed = "metrics_listen_failed"
	// CodeMetricsServeFailed: the server stopped serving (retryable).
	CodeMetricsServeFailed = "metrics_serve_failed"
)

// metricsReadHeaderTimeout bounds how long a scraper may take to send its
// request headers.
const metricsReadHeaderTimeout = 5 * time.Second

// errMetricsServeStopped is the cause when the metrics server stops
// serving without being closed.
var errMetricsServeStopped = errors.New("metrics server stopped serving")

func metricsPlatform(addr string, h http.Handler, bound *atomic.Pointer[string]) gateway.Platform {
	return gateway.Platform{
		Name:        MetricsPlatform,
		Fingerprint: addr,
		NewActor: func(env gateway.Env) actor.Actor {
			return &metricsAdapter{addr: addr, handler: h, bound: bound, log: env.Logger}
		},
	}
}

// metricsAdapter owns the metrics listener: it binds in Started, serves
// GET /metrics from one goroutine, and closes the listener and waits for
// that goroutine on Restarting, Stopping and Stopped.
type metricsAdapter struct {
	addr    string
	handler http.Handler
	bound   *atomic.Pointer[string]
	log     *zap.Logger

	srv    *http.Server
	served chan struct{}
	closer *lifecycle.Closer
}

// metricsServeEnded is sent to the adapter by its serving goroutine.
type metricsServeEnded struct {
	srv *http.Server
	err error
}

func (a *metricsAdapter) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		a.start(ctx)
	case *metricsServeEnded:
		a.serveEnded(ctx, msg)
	case *actor.Restarting, *actor.Stopping, *actor.Stopped:
		_ = a.closer.Close()
	}
}

func (a *metricsAdapter) start(ctx actor.Context) {
	ln, err := net.Listen("tcp", a.addr)
	if err != nil {
		lifecycle.MustFail(ctx, metricsListenError(a.addr, err))
		return
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		_ = ln.Close()
		lifecycle.MustFail(ctx, &messages.PlatformError{
			Platform: MetricsPlatform, Code: CodeMetricsAddrInvalid,
			Message: fmt.Sprintf("metrics address %s resolved to %s, which is not a loopback "+
				"address; set ACTORGATE_METRICS_ADDR (gateway.metrics_addr) to 127.0.0.1:PORT, "+
				"then reload with SIGHUP", a.addr, ln.Addr()),
		})
		return
	}

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.handler)
	a.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: metricsReadHeaderTimeout,
		ErrorLog:          zap.NewStdLog(a.log.Named("http")),
	}
	a.served = make(chan struct{})
	a.closer = lifecycle.NewCloser(a.close)
	self, root, srv, served := ctx.Self(), ctx.ActorSystem().Root, a.srv, a.served
	go func() {
		defer close(served)
		err := srv.Serve(ln)
		root.Send(self, &metricsServeEnded{srv: srv, err: err})
	}()

	bound := ln.Addr().String()
	a.bound.Store(&bound)
	a.log.Info("metrics listening", zap.String("url", "http://"+bound+"/metrics"))
	ctx.Send(ctx.Parent(), &messages.PlatformConnected{Platform: MetricsPlatform})
}

func (a *metricsAdapter) serveEnded(ctx actor.Context, msg *metricsServeEnded) {
	if msg.srv != a.srv || errors.Is(msg.err, http.ErrServerClosed) {
		return
	}
	lifecycle.MustFail(ctx, &messages.PlatformError{
		Platform: MetricsPlatform, Code: CodeMetricsServeFailed, Retryable: true,
		Message: "the metrics server stopped serving",
		Cause:   errors.Join(errMetricsServeStopped, msg.err),
	})
}

// close stops the server at once (a scrape in flight is cut off) and
// waits for the serving goroutine.
func (a *metricsAdapter) close() error {
	a.bound.Store(nil)
	err := a.srv.Close()
	<-a.served
	a.log.Info("metrics stopped")
	return err
}

// metricsListenError types a failure to bind: an address in use or one
// this machine cannot bind is fatal, anything else retryable.
func metricsListenError(addr string, err error) *messages.PlatformError {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return &messages.PlatformError{
			Platform: MetricsPlatform, Code: CodeMetricsPortInUse, Cause: err,
			Message: fmt.Sprintf("metrics address %s is already in use; stop the other process "+
				"or set ACTORGATE_METRICS_ADDR (gateway.metrics_addr) to a free port, then "+
				"reload with SIGHUP", addr),
		}
	case errors.Is(err, syscall.EADDRNOTAVAIL), errors.Is(err, syscall.EACCES):
		return &messages.PlatformError{
			Platform: MetricsPlatform, Code: CodeMetricsAddrInvalid, Cause: err,
			Message: fmt.Sprintf("cannot listen on metrics address %s: %v; set "+
				"ACTORGATE_METRICS_ADDR (gateway.metrics_addr) to an address this machine can "+
				"bind, then reload with SIGHUP", addr, err),
		}
	}
	return &messages.PlatformError{
		Platform: MetricsPlatform, Code: CodeMetricsListenFailed, Retryable: true, Cause: err,
		Message: fmt.Sprintf("listening on metrics address %s failed: %v", addr, err),
	}
}
