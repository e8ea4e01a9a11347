package h1

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/textproto"
	"sync"
	"time"
)

// aLongTimeAgo is a deadline in the past, set to unblock I/O at once.
var aLongTimeAgo = time.Unix(1, 0)

// conn is one connection, used by one round trip at a time. It is the
// source of its own read buffer, so that it can count the bytes read and
// enforce the header limit.
type conn struct {
	nc  net.Conn
	br  *bufio.Reader
	tp  textproto.Reader
	key string // "host:port" of the idle pool list it belongs to

	reused   bool      // a response was read on it before
	idleAt   time.Time // when it entered the idle pool
	received bool      // a byte arrived during the current exchange
	limit    int64     // bytes Read may still take from nc
	readErr  error     // last error from nc.Read

	mu       sync.Mutex // guards canceled and deadline changes
	canceled bool       // the request's context ended during the exchange
}

func newConn(nc net.Conn, key string, bufSize int) *conn {
	c := &conn{nc: nc, key: key, limit: math.MaxInt64}
	c.br = bufio.NewReaderSize(c, bufSize)
	c.tp.R = c.br
	return c
}

// Read reads from the network for the read buffer. Once limit bytes have
// been read it fails with ErrHeaderTooLarge.
func (c *conn) Read(p []byte) (int, error) {
	if c.limit <= 0 {
		return 0, ErrHeaderTooLarge
	}
	if int64(len(p)) > c.limit {
		p = p[:c.limit]
	}
	n, err := c.nc.Read(p)
	c.limit -= int64(n)
	if n > 0 {
		c.received = true
	}
	if err != nil {
		c.readErr = err
	}
	return n, err
}

// limitReads sets how many more bytes Read may take from the network.
// math.MaxInt64 lifts the limit.
func (c *conn) limitReads(n int64) { c.limit = n }

// watch arranges for ctx's end to unblock the connection's I/O by setting a
// past deadline. It returns the function that stops the watch, which
// reports false once the deadline was set, or nil when ctx cannot end.
func (c *conn) watch(ctx context.Context) func() bool {
	c.received = false
	c.readErr = nil
	if ctx.Done() == nil {
		return nil
	}
	return context.AfterFunc(ctx, c.cancel)
}

// cancel unblocks pending I/O for good and marks the connection unusable.
func (c *conn) cancel() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.canceled = true
	_ = c.nc.SetDeadline(aLongTimeAgo)
}

// setHeaderDeadline starts or, with d == 0, ends the response header wait.
// It leaves the past deadline of a canceled connection in place.
func (c *conn) setHeaderDeadline(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.canceled {
		return
	}
	var deadline time.Time
	if d > 0 {
		deadline = time.Now().Add(d)
	}
	_ = c.nc.SetReadDeadline(deadline)
}

func (c *conn) wasCanceled() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.canceled
}

func (c *conn) close() { _ = c.nc.Close() }

// explain turns an I/O error of an exchange into the error for the caller:
// the context's error when ctx ended, else err with the operation and
// address.
func (c *conn) explain(ctx context.Context, op string, err error) error {
	if c.wasCanceled() && ctx.Err() != nil {
		return fmt.Errorf("h1: %s on connection to %s: %w", op, c.key, ctx.Err())
	}
	for _, own := range ownErrors {
		if errors.Is(err, own) {
			return fmt.Errorf("%w (%s on connection to %s)", err, op, c.key)
		}
	}
	return fmt.Errorf("h1: %s on connection to %s: %w", op, c.key, err)
}

// ownErrors are the sentinels whose message already starts with "h1: ".
var ownErrors = []error{
	ErrMalformedResponse, ErrHeaderTooLarge, ErrUnsupportedResponse, ErrResponseHeaderTimeout,
}
