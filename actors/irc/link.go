package irc

import (
	"context"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/actorgate/actorgate/actors/irc/ircconn"
)

// link is one adapter instance's connection: the goroutine that dials and
// registers, then the registered connection. Its events reach the adapter
// wrapped in linkEvent, and the adapter drops those of another instance's
// link, such as the Disconnected its predecessor's close produced.
type link struct {
	ctx    context.Context
	cancel context.CancelFunc
	// ready is closed once conn is set.
	ready chan struct{}
	// finished is closed when the dialing goroutine returns.
	finished chan struct{}
	conn     *ircconn.Conn
}

// linkEvent carries one connection event to the adapter.
type linkEvent struct {
	link  *link
	event ircconn.Event
}

// dialed reports the end of the dial: err is nil once the server
// welcomed the bot.
type dialed struct {
	link *link
	err  error
}

func newLink() *link {
	ctx, cancel := context.WithCancel(context.Background())
	return &link{ctx: ctx, cancel: cancel, ready: make(chan struct{}), finished: make(chan struct{})}
}

// start dials on a new goroutine. Events and the outcome are sent to self.
func (l *link) start(cfg ircconn.Config, root *actor.RootContext, self *actor.PID) {
	cfg.Handler = func(ev ircconn.Event) { root.Send(self, &linkEvent{link: l, event: ev}) }
	go func() {
		defer close(l.finished)
		conn, err := ircconn.Dial(l.ctx, cfg)
		if err == nil {
			l.conn = conn
			close(l.ready)
		}
		root.Send(self, &dialed{link: l, err: err})
	}()
}

// connection waits until the connection is registered. It returns
// ErrNotConnected when the dial failed, and ctx's error when ctx ends
// first.
func (l *link) connection(ctx context.Context) (*ircconn.Conn, error) {
	select {
	case <-l.ready:
		return l.conn, nil
	case <-l.finished:
		// The dial succeeded if ready was closed before finished.
		select {
		case <-l.ready:
			return l.conn, nil
		default:
			return nil, ErrNotConnected
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// close cancels a dial in progress, waits for the dialing goroutine and
// closes the connection, which sends QUIT. It is safe on a nil link.
func (l *link) close() error {
	if l == nil {
		return nil
	}
	l.cancel()
	<-l.finished
	select {
	case <-l.ready:
		return l.conn.Close()
	default:
		return nil
	}
}
