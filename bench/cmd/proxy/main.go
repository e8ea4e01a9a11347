package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/actorgate/actorgate/bench/internal/loopback"
)

// Transport settings: one upstream host and up to a few thousand
// concurrent requests, as in the memory scenario.
const (
	maxIdleConns    = 4096
	idleConnTimeout = 90 * time.Second
	dialTimeout     = 5 * time.Second
	copyBufferBytes = 32 << 10
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "proxy:", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("proxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "loopback `host:port` to listen on")
	addrFile := fs.String("addr-file", "",
		"`file` that receives the base URL once the listener is bound")
	upstream := fs.String("upstream", "",
		"loopback base `URL` of the upstream, such as http://127.0.0.1:9000")
	lifetime := fs.Duration("lifetime", 30*time.Minute, "time after which the proxy exits by itself")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *upstream == "" {
		return errors.New("-upstream is missing; pass the mock's URL, such as http://127.0.0.1:9000")
	}
	target, err := loopback.ParseURL(*upstream)
	if err != nil {
		return fmt.Errorf("-upstream: %w", err)
	}
	if *lifetime <= 0 {
		return errors.New("-lifetime must be a positive duration such as 30m")
	}

	ln, err := loopback.Listen(*addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           fullDuplex(newProxy(target, stderr)),
		ReadHeaderTimeout: 10 * time.Second,
	}
	if err := loopback.WriteAddrFile(*addrFile, "http://"+ln.Addr().String()); err != nil {
		_ = ln.Close()
		return err
	}
	time.AfterFunc(*lifetime, func() { _ = srv.Close() })
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newProxy returns the reverse proxy to target.
func newProxy(target *url.URL, stderr io.Writer) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(target) },
		Transport: newTransport(),
		BufferPool: &bufferPool{pool: sync.Pool{New: func() any {
			b := make([]byte, copyBufferBytes)
			return &b
		}}},
		ErrorLog: log.New(stderr, "proxy: ", log.LstdFlags),
	}
}

// fullDuplex lets the proxy keep reading a request body after it started
// writing the response. Without it, Go's HTTP/1 server (checked on Go
// 1.26.8) drains and closes the request body when the response headers are
// written, while the transport may still read that body once more after
// copying Content-Length bytes. The failed read makes the transport close
// the upstream connection, and a streamed response is cut short: about one
// stream in a few hundred to a thousand failed that way without this
// wrapper.
func fullDuplex(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).EnableFullDuplex()
		next.ServeHTTP(w, r)
	})
}

// newTransport returns a transport tuned for one loopback upstream: a
// keep-alive pool large enough that no request waits for or redials a
// connection, no proxy from the environment, and no compression.
func newTransport() *http.Transport {
	dialer := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:               nil,
		DialContext:         dialer.DialContext,
		MaxIdleConns:        maxIdleConns,
		MaxIdleConnsPerHost: maxIdleConns,
		IdleConnTimeout:     idleConnTimeout,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
}

// bufferPool implements httputil.BufferPool with a sync.Pool, so that a
// request does not allocate its own copy buffer.
type bufferPool struct {
	pool sync.Pool
}

func (p *bufferPool) Get() []byte { return *p.pool.Get().(*[]byte) }

func (p *bufferPool) Put(b []byte) { p.pool.Put(&b) }
