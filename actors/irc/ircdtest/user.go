package ircdtest

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/actorgate/actorgate/actors/irc/ircconn"
)

// DefaultWait bounds how long a User waits for a line it expects. It is a
// deadline for a failing test, not a timing assertion: a passing test
// returns as soon as the line arrives.
const DefaultWait = 20 * time.Second

// User is a raw IRC client that plays a person in tests. It replies to PING
// by itself and records every line it receives.
type User struct {
	t    testing.TB
	Nick string
	conn net.Conn

	wmu sync.Mutex

	mu       sync.Mutex
	received []*ircconn.Message
	// cursor is the index after the last line Await returned.
	cursor  int
	changed chan struct{}
	closed  bool
	readErr error
	done    chan struct{}
}

// Connect registers a user with the server at addr and waits for the
// welcome (001). The connection is closed when the test ends.
func Connect(t testing.TB, addr, nick string) *User {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, DefaultWait)
	if err != nil {
		t.Fatalf("ircdtest: connecting %s to %s: %v", nick, addr, err)
	}
	u := &User{t: t, Nick: nick, conn: conn, changed: make(chan struct{}), done: make(chan struct{})}
	t.Cleanup(u.Close)
	go u.readLoop()

	u.Send("NICK %s", nick)
	u.Send("USER %s 0 * :%s", nick, nick)
	u.Await(func(m *ircconn.Message) bool { return m.Command == "001" })
	return u
}

// Send writes one raw line, formatted like fmt.Sprintf.
func (u *User) Send(format string, args ...any) {
	u.t.Helper()
	u.wmu.Lock()
	defer u.wmu.Unlock()
	_ = u.conn.SetWriteDeadline(time.Now().Add(DefaultWait))
	if _, err := fmt.Fprintf(u.conn, format+"\r\n", args...); err != nil {
		u.t.Fatalf("ircdtest: %s writing: %v", u.Nick, err)
	}
}

// Privmsg sends text to a channel or nick.
func (u *User) Privmsg(target, text string) {
	u.t.Helper()
	u.Send("PRIVMSG %s :%s", target, text)
}

// Join joins a channel and waits until the server confirmed it.
func (u *User) Join(channel string) {
	u.t.Helper()
	u.Send("JOIN %s", channel)
	u.Await(func(m *ircconn.Message) bool {
		return m.Command == "JOIN" && m.Nick() == u.Nick && strings.EqualFold(m.Param(0), channel)
	})
}

// Oper becomes an IRC operator.
func (u *User) Oper(name, password string) {
	u.t.Helper()
	u.Send("OPER %s %s", name, password)
	u.Await(func(m *ircconn.Message) bool { return m.Command == "381" })
}

// Await returns the first line after the last one Await returned that
// matches; it fails the test when none arrives within DefaultWait.
func (u *User) Await(match func(*ircconn.Message) bool) *ircconn.Message {
	u.t.Helper()
	m, ok := u.AwaitWithin(DefaultWait, match)
	if !ok {
		u.t.Fatalf("ircdtest: %s did not receive the expected line within %v; received:\n%s",
			u.Nick, DefaultWait, u.Transcript())
	}
	return m
}

// AwaitWithin is Await with its own deadline; it reports false instead of
// failing.
func (u *User) AwaitWithin(wait time.Duration, match func(*ircconn.Message) bool) (*ircconn.Message, bool) {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		u.mu.Lock()
		for i := u.cursor; i < len(u.received); i++ {
			if match(u.received[i]) {
				u.cursor = i + 1
				m := u.received[i]
				u.mu.Unlock()
				return m, true
			}
		}
		changed, closed := u.changed, u.closed
		u.mu.Unlock()
		if closed {
			return nil, false
		}
		select {
		case <-changed:
		case <-deadline.C:
			return nil, false
		}
	}
}

// Received returns every line received so far.
func (u *User) Received() []*ircconn.Message {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]*ircconn.Message(nil), u.received...)
}

// Transcript returns the received lines, one a line, for failure output.
func (u *User) Transcript() string {
	var b strings.Builder
	for _, m := range u.Received() {
		line, _ := ircconn.FormatLine(m.Command, m.Params...)
		fmt.Fprintf(&b, "  :%s %s\n", m.Source, line)
	}
	u.mu.Lock()
	if u.readErr != nil {
		fmt.Fprintf(&b, "  (read ended: %v)\n", u.readErr)
	}
	u.mu.Unlock()
	return b.String()
}

// Close quits and waits for the reader goroutine. It is idempotent.
func (u *User) Close() {
	u.wmu.Lock()
	_ = u.conn.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = fmt.Fprintf(u.conn, "QUIT :bye\r\n")
	u.wmu.Unlock()
	_ = u.conn.Close()
	<-u.done
}

func (u *User) readLoop() {
	defer close(u.done)
	r := bufio.NewReaderSize(u.conn, 16<<10)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			u.record(nil, err)
			return
		}
		m, err := ircconn.ParseMessage(line)
		if err != nil {
			continue
		}
		if m.Command == "PING" {
			u.wmu.Lock()
			_, _ = fmt.Fprintf(u.conn, "PONG :%s\r\n", m.Param(0))
			u.wmu.Unlock()
		}
		u.record(m, nil)
	}
}

func (u *User) record(m *ircconn.Message, err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if m != nil {
		u.received = append(u.received, m)
	} else {
		u.closed = true
		u.readErr = err
	}
	close(u.changed)
	u.changed = make(chan struct{})
}
