package h1

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// Limits that bound what a request or a response may make this package
// buffer in memory.
const (
	// MaxRequestBodyBytes is the largest request body RoundTrip sends. The
	// whole body is held in memory so that it goes out in one write.
	MaxRequestBodyBytes = 64 << 20

	// MaxHeaderBytes bounds the bytes read for the status lines and headers
	// of one response, 1xx responses included, and separately its trailer.
	MaxHeaderBytes = 1 << 20

	// MaxHeaderCount bounds the number of header field lines of a response.
	MaxHeaderCount = 1000

	// maxInformational bounds the 1xx responses skipped before the final
	// one, as net/http does.
	maxInformational = 5
)

// Config sets the Transport's timeouts and limits. The zero value is valid,
// and a zero or negative field takes its default unless its comment states
// otherwise.
type Config struct {
	// DialTimeout bounds opening a TCP connection. Default 5s.
	DialTimeout time.Duration

	// KeepAlive is the TCP keep-alive probe period of new connections.
	// Default 30s. A negative value disables the probes.
	KeepAlive time.Duration

	// MaxIdleConns is the number of idle connections kept for reuse, over
	// all hosts. Default 1024. A negative value keeps none.
	MaxIdleConns int

	// IdleConnTimeout is how long a connection may stay idle before it is
	// closed. It is checked when a connection is taken from or added to
	// the pool, and by the sweep that runs every second while connections
	// are idle. Default 90s.
	IdleConnTimeout time.Duration

	// ResponseHeaderTimeout bounds the wait for the status line and headers
	// after the request is written. Zero or negative means no limit.
	ResponseHeaderTimeout time.Duration

	// ReadBufferSize is the size in bytes of the read buffers. A
	// connection takes one when response bytes arrive and gives it back
	// before it waits for more. Default 4096, minimum 256.
	ReadBufferSize int

	// Dial opens connections. Nil uses a net.Dialer with KeepAlive.
	// DialTimeout applies to the context passed to it. A connection that
	// is not a *net.TCPConn or *net.UnixConn keeps its read buffer while it
	// waits for the server.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Transport is an http.RoundTripper for HTTP/1.1 over plain TCP that runs
// each round trip on the caller's goroutine and keeps no goroutine per
// connection. It is safe for concurrent use. The zero value is not usable, so
// create it with New.
type Transport struct {
	cfg  Config
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// readers contains the *bufio.Reader read buffers that connections
	// take when bytes arrive and give back once they are empty.
	readers readerPool

	mu        sync.Mutex
	idle      map[string][]*conn // by "host:port", most recently used last
	idleCount int
	// sweep checks the idle connections while sweepArmed; see sweepIdle.
	sweep      *time.Timer
	sweepArmed bool
}

var _ http.RoundTripper = (*Transport)(nil)

// New returns a Transport with cfg's zero fields set to their defaults.
func New(cfg Config) *Transport {
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = 30 * time.Second
	}
	if cfg.MaxIdleConns == 0 {
		cfg.MaxIdleConns = 1024
	}
	if cfg.IdleConnTimeout <= 0 {
		cfg.IdleConnTimeout = 90 * time.Second
	}
	if cfg.ReadBufferSize <= 0 {
		cfg.ReadBufferSize = 4096
	}
	cfg.ReadBufferSize = max(cfg.ReadBufferSize, 256)
	t := &Transport{cfg: cfg, dial: cfg.Dial, idle: make(map[string][]*conn)}
	size := cfg.ReadBufferSize
	t.readers = &sync.Pool{New: func() any { return bufio.NewReaderSize(nil, size) }}
	if t.dial == nil {
		d := &net.Dialer{KeepAlive: cfg.KeepAlive}
		t.dial = d.DialContext
	}
	return t
}

// RoundTrip sends req and reads the response's status line and headers. The
// body is read from the returned Response's Body on the caller's goroutine.
// Closing the body before its end closes the connection. RoundTrip always closes
// req.Body. Errors caused by req's context wrap the context's error.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.dial == nil {
		closeRequestBody(req)
		return nil, errors.New("h1: Transport is not initialized: create it with h1.New")
	}
	addr, err := requestAddr(req)
	if err != nil {
		closeRequestBody(req)
		return nil, err
	}
	wire, err := encodeRequest(req)
	if err != nil {
		return nil, err
	}
	defer putBuffer(wire)

	ctx := req.Context()
	c, err := t.getConn(ctx, addr)
	if err != nil {
		return nil, err
	}
	resp, err := t.exchange(ctx, c, req, wire.Bytes())

	// A reused connection that fails before any response byte was most
	// likely closed by the server while idle. The request is in memory, so
	// it can be sent again once.
	// NOTE: a server that read the request and then failed without replying
	// gets it a second time, whatever the method.
	var stale *staleConnError
	if errors.As(err, &stale) && ctx.Err() == nil {
		if c, err = t.dialConn(ctx, addr); err != nil {
			return nil, err
		}
		resp, err = t.exchange(ctx, c, req, wire.Bytes())
	}
	if errors.As(err, &stale) {
		err = stale.err
	}
	return resp, err
}

// CloseIdleConnections closes every idle connection. Connections in use are
// not affected and may return to the pool when their response ends.
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = make(map[string][]*conn)
	t.idleCount = 0
	if t.sweepArmed {
		t.sweep.Stop()
		t.sweepArmed = false
	}
	t.mu.Unlock()

	for _, list := range idle {
		for _, c := range list {
			c.close()
		}
	}
}

// getConn returns a live idle connection to addr, or dials a new one.
func (t *Transport) getConn(ctx context.Context, addr string) (*conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("h1: connecting to %s: %w", addr, err)
	}
	if c := t.takeIdle(addr); c != nil {
		return c, nil
	}
	return t.dialConn(ctx, addr)
}

// dialConn opens a new connection to addr, bounded by ctx and DialTimeout.
func (t *Transport) dialConn(ctx context.Context, addr string) (*conn, error) {
	dialCtx, cancel := context.WithTimeout(ctx, t.cfg.DialTimeout)
	defer cancel()

	nc, err := t.dial(dialCtx, "tcp", addr)
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("h1: dialing %s: %w", addr, err)
	}
	return newConn(nc, addr, t.readers, t.cfg.ReadBufferSize), nil
}

// exchange writes wire on c and reads the response head. On success the
// response body owns c, and on failure c is closed.
func (t *Transport) exchange(
	ctx context.Context, c *conn, req *http.Request, wire []byte,
) (*http.Response, error) {
	stop := c.watch(ctx)
	if _, err := c.nc.Write(wire); err != nil {
		return nil, t.abandon(ctx, c, stop, c.reused, "writing request", err)
	}

	resp, err := t.readHead(c)
	if err != nil {
		retry := c.reused && isFirstReadFailure(c, err)
		return nil, t.abandon(ctx, c, stop, retry, "reading response", err)
	}
	if err := t.attachBody(ctx, c, stop, req, resp); err != nil {
		return nil, t.abandon(ctx, c, stop, false, "reading response", err)
	}
	return resp, nil
}

// abandon closes c after a failed exchange and returns the error to report.
// With retry set the error is marked so that RoundTrip may send again.
func (t *Transport) abandon(
	ctx context.Context, c *conn, stop func() bool, retry bool, op string, err error,
) error {
	if stop != nil {
		stop()
	}
	c.close()
	c.putReader()
	err = c.explain(ctx, op, err)
	if retry {
		return &staleConnError{err: err}
	}
	return err
}

// isFirstReadFailure reports whether err ended the first read of a response
// before any byte arrived, the sign of a connection the server closed.
func isFirstReadFailure(c *conn, err error) bool {
	if c.received {
		return false
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET)
}

// staleConnError marks a failure on a reused connection that happened
// before the server sent anything, so the request may be sent again.
type staleConnError struct{ err error }

func (e *staleConnError) Error() string { return e.err.Error() }
func (e *staleConnError) Unwrap() error { return e.err }
