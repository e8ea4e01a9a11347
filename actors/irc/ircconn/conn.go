package ircconn

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// readBufferBytes bounds one line from the server: 8191 bytes of IRCv3
// message tags plus the 512-byte message, rounded up.
const readBufferBytes = 16 << 10

// urgentQueueLen bounds the PONG replies waiting to be written.
const urgentQueueLen = 16

// outQueueLen bounds the batches waiting for flood control.
const outQueueLen = 64

// Conn is a registered IRC connection. Its reader goroutine replies to PING,
// tracks the bot's nick and channels and reports events to the Handler;
// its writer goroutine sends lines through flood control. Every method is
// safe for concurrent use.
type Conn struct {
	cfg Config
	log *zap.Logger
	nc  net.Conn
	r   *bufio.Reader
	// pending is a line read in part before a read deadline passed.
	pending    []byte
	discarding bool

	mu          sync.Mutex
	nick        string
	userHost    string
	caseMapping string
	channels    map[string]string

	queue  chan *batch
	urgent chan string
	done   chan struct{}
	// err is written once, before done is closed.
	err      error
	failOnce sync.Once
	// wmu serialises writes to nc.
	wmu       sync.Mutex
	wg        sync.WaitGroup
	closeOnce sync.Once
	// closing is set by Close before it sends QUIT, so that the server's
	// response (ERROR, then EOF) ends the connection as ErrClosed.
	closing atomic.Bool
}

// Dial connects to cfg.Addr, registers, starts the reader and writer
// goroutines and sends a JOIN for each channel. It returns once the server
// welcomed the client (001 RPL_WELCOME); joins complete later and are
// reported as Joined or JoinFailed events. Cancelling ctx aborts the dial
// and the registration but not the returned connection.
func Dial(ctx context.Context, cfg Config) (*Conn, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	nc, err := dial(ctx, cfg)
	if err != nil {
		return nil, err
	}
	c := &Conn{
		cfg:         cfg,
		log:         cfg.Logger,
		nc:          nc,
		r:           bufio.NewReaderSize(nc, readBufferBytes),
		nick:        cfg.Nick,
		caseMapping: CaseMapRFC1459,
		channels:    make(map[string]string),
		queue:       make(chan *batch, outQueueLen),
		urgent:      make(chan string, urgentQueueLen),
		done:        make(chan struct{}),
	}
	if err := c.registerWithin(ctx); err != nil {
		_ = nc.Close()
		return nil, err
	}

	c.wg.Add(2)
	go c.readLoop()
	go c.writeLoop()
	for _, ch := range cfg.Channels {
		c.enqueueJoin(ch)
	}
	return c, nil
}

func dial(ctx context.Context, cfg Config) (net.Conn, error) {
	d := net.Dialer{Timeout: cfg.DialTimeout}
	nc, err := d.DialContext(ctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", cfg.Addr, err)
	}
	if cfg.TLS == nil {
		return nc, nil
	}

	tlsCfg := cfg.TLS.Clone()
	if tlsCfg.ServerName == "" {
		tlsCfg.ServerName, _, _ = net.SplitHostPort(cfg.Addr)
	}
	if tlsCfg.MinVersion == 0 {
		tlsCfg.MinVersion = tls.VersionTLS12
	}
	tc := tls.Client(nc, tlsCfg)
	hctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		_ = nc.Close()
		return nil, fmt.Errorf("TLS handshake with %s: %w", cfg.Addr, err)
	}
	return tc, nil
}

// registerWithin runs the registration under RegisterTimeout and ctx: a
// cancelled ctx moves the connection's deadline into the past, which
// aborts the read in progress.
func (c *Conn) registerWithin(ctx context.Context) error {
	if err := c.nc.SetDeadline(time.Now().Add(c.cfg.RegisterTimeout)); err != nil {
		return fmt.Errorf("setting the registration deadline: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.nc.SetDeadline(time.Unix(1, 0)) })
	err := c.register()
	if !stop() {
		return fmt.Errorf("registering with %s: %w", c.cfg.Addr, ctx.Err())
	}
	if err != nil {
		return fmt.Errorf("registering with %s: %w", c.cfg.Addr, err)
	}
	return c.nc.SetDeadline(time.Time{})
}

// Nick returns the nick the bot is registered under now.
func (c *Conn) Nick() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nick
}

// Channels returns the channels the bot is in, as the server spelled them.
func (c *Conn) Channels() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.channels))
	for _, name := range c.channels {
		out = append(out, name)
	}
	return out
}

// Done is closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns why the connection ended, or nil while it is open.
func (c *Conn) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Close sends QUIT, closes the socket and waits for the connection's
// goroutines. It is idempotent and safe on a nil Conn.
func (c *Conn) Close() error {
	if c == nil {
		return nil
	}
	c.closeOnce.Do(func() {
		c.closing.Store(true)
		c.quit()
		c.fail(ErrClosed)
		c.wg.Wait()
	})
	return nil
}

// quitTimeout bounds the QUIT that Close sends.
const quitTimeout = time.Second

// quit writes QUIT, bounded by quitTimeout. Shortening the write deadline
// first also ends a write in progress on the writer goroutine, which
// holds the write lock.
func (c *Conn) quit() {
	select {
	case <-c.done:
		return
	default:
	}
	line, err := formatTrailing("QUIT", c.cfg.QuitMessage)
	if err != nil {
		return
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(quitTimeout))
	if err := c.writeLineWithin(line, quitTimeout); err != nil {
		c.log.Debug("sending quit failed", zap.Error(err))
	}
}

// fail records the reason the connection ended, the first time only, and
// closes the socket, which ends both goroutines.
func (c *Conn) fail(err error) {
	if c.closing.Load() {
		err = ErrClosed
	}
	c.failOnce.Do(func() {
		c.err = err
		close(c.done)
		_ = c.nc.Close()
	})
}

func (c *Conn) emit(ev Event) {
	if c.cfg.Handler != nil {
		c.cfg.Handler(ev)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
