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
	"syscall"
	"time"
)

// errWouldBlock is returned by readNonblocking when no byte is ready.
var errWouldBlock = errors.New("h1: no data ready on the socket")

// aLongTimeAgo is a deadline in the past, set to unblock I/O at once.
var aLongTimeAgo = time.Unix(1, 0)

// readerPool is the pool of read buffers, a *sync.Pool of *bufio.Reader
// outside tests.
type readerPool interface {
	Get() any
	Put(x any)
}

// conn is one connection, used by one round trip at a time. It is the
// source of its own read buffer, so that it can count the bytes read and
// enforce the header limit.
//
// The read buffer is taken from the Transport's pool when bytes arrive. It
// goes back to the pool when it is empty and more bytes are needed (see
// await), so a stream that waits for the server and a connection in the
// idle pool have no buffer. Only the goroutine that runs the exchange or
// reads the body touches br.
type conn struct {
	nc  net.Conn
	br  *bufio.Reader // nil while the connection has no read buffer
	tp  textproto.Reader
	key string // "host:port" of the idle pool list it belongs to

	readers readerPool
	bufSize int // size of the buffers in readers
	// raw waits for the socket to become readable, or is nil when nc is
	// not a TCP or Unix socket. fill is c.fillNonblocking, stored once so
	// that each wait does not allocate a method value.
	raw  syscall.RawConn
	fill func(fd uintptr) bool
	// While nonblocking is set, Read reads from fd without waiting.
	// fillErr is the error of the last fillNonblocking.
	fd          int
	nonblocking bool
	fillErr     error

	reused   bool      // a response was read on it before
	idleAt   time.Time // when it entered the idle pool
	received bool      // a byte arrived during the current exchange
	limit    int64     // bytes Read may still take from nc

	mu       sync.Mutex // guards canceled and deadline changes
	canceled bool       // the request's context ended during the exchange
}

func newConn(nc net.Conn, key string, readers readerPool, bufSize int) *conn {
	c := &conn{nc: nc, key: key, readers: readers, bufSize: bufSize, limit: math.MaxInt64}
	c.raw = rawConn(nc)
	if c.raw != nil {
		c.fill = c.fillNonblocking
	}
	return c
}

// Read reads from the network for the read buffer. Once limit bytes have
// been read it fails with ErrHeaderTooLarge. Inside fillNonblocking it
// does not wait, and returns errWouldBlock when no byte is ready.
func (c *conn) Read(p []byte) (int, error) {
	if c.limit <= 0 {
		return 0, ErrHeaderTooLarge
	}
	if int64(len(p)) > c.limit {
		p = p[:c.limit]
	}
	var n int
	var err error
	if c.nonblocking {
		n, err = readNonblocking(c.nc, c.fd, p)
	} else {
		n, err = c.nc.Read(p)
	}
	c.limit -= int64(n)
	if n > 0 {
		c.received = true
	}
	return n, err
}

// buffered returns the number of unread bytes in the read buffer.
func (c *conn) buffered() int {
	if c.br == nil {
		return 0
	}
	return c.br.Buffered()
}

// takeReader gives the connection a read buffer unless it has one.
func (c *conn) takeReader() {
	if c.br != nil {
		return
	}
	c.br = c.readers.Get().(*bufio.Reader)
	c.br.Reset(c)
	c.tp.R = c.br
}

// putReader returns the read buffer to the pool and drops the bytes it
// contains.
func (c *conn) putReader() {
	if c.br == nil {
		return
	}
	c.br.Reset(nil)
	c.readers.Put(c.br)
	c.br, c.tp.R = nil, nil
}

// await waits until the read buffer contains a byte, and otherwise returns
// the error that ended the wait, such as io.EOF. An empty buffer goes back
// to the pool first. On a TCP or Unix socket the connection then has no
// buffer while it waits, because RawConn.Read calls fillNonblocking, which
// takes a buffer, reads into it without waiting, and gives it back when no
// byte was ready. Like net.Conn.Read, that costs one read(2) when bytes
// are ready, and one more before waiting when none are.
func (c *conn) await() error {
	if c.br != nil {
		if c.br.Buffered() > 0 {
			return nil
		}
		c.putReader()
	}
	if c.raw == nil {
		c.takeReader()
		_, err := c.br.Peek(1)
		return err
	}
	c.fillErr = nil
	if err := c.raw.Read(c.fill); err != nil {
		return readError(err)
	}
	return c.fillErr
}

// fillNonblocking is the function await passes to RawConn.Read. It reports
// false, so that RawConn.Read waits for the socket to become readable and
// calls it again, when no byte was ready.
func (c *conn) fillNonblocking(fd uintptr) bool {
	c.takeReader()
	c.fd, c.nonblocking = int(fd), true //nolint:gosec // G115: a socket descriptor fits an int
	_, err := c.br.Peek(1)
	c.nonblocking = false
	if errors.Is(err, errWouldBlock) {
		c.putReader()
		return false
	}
	c.fillErr = err
	return true
}

// readError turns an error of RawConn.Read, whose operation is "raw-read",
// into the error net.Conn.Read returns for the same cause, such as a
// deadline or a closed connection.
func readError(err error) error {
	var opErr *net.OpError
	if !errors.As(err, &opErr) || opErr.Op != "raw-read" {
		return err
	}
	e := *opErr
	e.Op = "read"
	return &e
}

// peek returns the next n bytes without consuming them, waiting as needed.
// It returns fewer bytes only with an error.
func (c *conn) peek(n int) ([]byte, error) {
	if err := c.await(); err != nil {
		return nil, err
	}
	return c.br.Peek(n)
}

// read reads body bytes into p as bufio.Reader.Read does: from the read
// buffer when it contains any, else straight from the network when p is at
// least as large as a read buffer, else through a buffer that await fills.
func (c *conn) read(p []byte) (int, error) {
	if len(p) >= c.bufSize && c.buffered() == 0 {
		c.putReader()
		return c.Read(p)
	}
	if err := c.await(); err != nil {
		return 0, err
	}
	return c.br.Read(p)
}

// limitReads sets how many more bytes Read may take from the network.
// math.MaxInt64 lifts the limit.
func (c *conn) limitReads(n int64) { c.limit = n }

// watch arranges for ctx's end to unblock the connection's I/O by setting a
// past deadline. It returns the function that stops the watch, which
// reports false once the deadline was set, or nil when ctx cannot end.
func (c *conn) watch(ctx context.Context) func() bool {
	c.received = false
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
