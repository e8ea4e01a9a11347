package matrix

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"

	"github.com/actorgate/actorgate/actors/chat"
	"github.com/actorgate/actorgate/messages"
)

// userAgent is sent with every request to the homeserver.
const userAgent = "actorgate"

// conn is one login to the homeserver and the goroutine that syncs it.
// The adapter builds a new conn for every start, and stop and finish end it.
type conn struct {
	s         Settings
	cli       *mautrix.Client
	transport *http.Transport
	root      *actor.RootContext
	self      *actor.PID
	sessions  *actor.PID
	log       *zap.Logger
	access    chat.Access
	core      *chat.Core

	// ready is set once the login succeeded. The client's credentials
	// are written before it is set and only read after it is seen set,
	// which orders the send goroutines after the login.
	ready   atomic.Bool
	txns    *txnCache
	senders *senderCache

	ctx    context.Context
	cancel context.CancelFunc
	// coreClosed is closed by finish once the chat core is closed, so
	// that no turn can finish any more.
	coreClosed chan struct{}
	closeOnce  sync.Once
	// drained is closed when the sync goroutine stops recording answered
	// messages. A turn that finishes later is not recorded.
	drained chan struct{}
	done    chan struct{}

	// Used by the sync goroutine only.
	tracker   *tracker
	members   map[id.RoomID]int
	encrypted map[id.RoomID]bool
}

// newConn builds the client. It opens no connection and starts nothing.
func newConn(
	s Settings, system *actor.ActorSystem, self, sessions *actor.PID, log *zap.Logger,
) (*conn, error) {
	cli, err := mautrix.NewClient(strings.TrimSpace(s.Matrix.Homeserver),
		id.UserID(s.Matrix.UserID), strings.TrimSpace(s.Matrix.AccessToken))
	if err != nil {
		return nil, err
	}
	transport, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return nil, errors.New("http.DefaultTransport is not an *http.Transport")
	}
	transport = transport.Clone()
	// Every request carries its own deadline (the sync one a longer one),
	// so the client has no overall timeout.
	cli.Client = &http.Client{Transport: transport}
	cli.UserAgent = userAgent
	cli.DefaultHTTPRetries = 0

	ctx, cancel := context.WithCancel(context.Background())
	return &conn{
		s: s, cli: cli, transport: transport,
		root: system.Root, self: self, sessions: sessions, log: log,
		access: chat.Access{
			AllowAll: s.Matrix.AllowAllUsers, Users: s.Matrix.AllowedUsers,
			Setting: allowlistSetting,
		},
		txns:       newTxnCache(),
		senders:    newSenderCache(),
		ctx:        ctx,
		cancel:     cancel,
		coreClosed: make(chan struct{}),
		drained:    make(chan struct{}),
		members:    make(map[id.RoomID]int),
		encrypted:  make(map[id.RoomID]bool),
	}, nil
}

// start runs the sync goroutine, which hands messages to core.
func (c *conn) start(core *chat.Core) {
	c.core = core
	c.done = make(chan struct{})
	go c.run()
}

// stop ends the syncing and cancels every request in flight. The sync
// goroutine goes on recording the turns that finish until finish is
// called. It is safe on a nil conn.
func (c *conn) stop() {
	if c != nil {
		c.cancel()
	}
}

// finish tells the sync goroutine that the chat core is closed, waits for
// it to store the last answered messages and end, and closes the idle
// connections. Call it after stop and the core's Close. It is safe on a
// nil conn and more than once.
func (c *conn) finish() {
	if c == nil {
		return
	}
	c.cancel()
	c.closeOnce.Do(func() { close(c.coreClosed) })
	if c.done != nil {
		<-c.done
	}
	c.transport.CloseIdleConnections()
}

// run logs in and syncs until the conn is stopped or fails. A failure is
// sent to the adapter, which escalates it. Either way run then records
// the turns that still finish, until the chat core is closed.
func (c *conn) run() {
	defer close(c.done)
	defer close(c.drained)
	perr := c.session()
	if perr != nil && c.ctx.Err() == nil {
		c.root.Send(c.self, &connFailed{conn: c, err: perr})
	}
	if c.tracker != nil {
		c.drain(c.tracker)
	}
}

// session loads the cursors, logs in, tells the adapter, and syncs.
func (c *conn) session() *messages.PlatformError {
	cur, perr := c.loadCursor()
	if perr != nil {
		return perr
	}
	if perr := c.login(cur.deviceID); perr != nil {
		return perr
	}
	c.ready.Store(true)
	c.root.Send(c.self, &loggedIn{
		conn: c, userID: string(c.cli.UserID), deviceID: string(c.cli.DeviceID),
	})
	return c.syncLoop(cur)
}

// requestContext bounds one request other than /sync.
func (c *conn) requestContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.ctx, c.s.RequestTimeout)
}

// localpart returns the part of a user id between @ and the colon.
func localpart(userID string) string {
	local, _, _ := strings.Cut(strings.TrimPrefix(userID, "@"), ":")
	return local
}
