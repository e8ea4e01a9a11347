package ircconn_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/actorgate/actorgate/actors/irc/ircconn"
	"github.com/actorgate/actorgate/actors/irc/ircdtest"
)

func fromBot(m *ircconn.Message) bool {
	return m.Command == "PRIVMSG" && m.Nick() == "bot"
}

func TestConnReportsAddressedAndDirectMessages(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	_, rec := dialBot(t, srv.Addr(), func(c *ircconn.Config) { c.Channels = []string{"#test"} })
	awaitJoined(t, rec, "#test")

	alice := ircdtest.Connect(t, srv.Addr(), "alice")
	alice.Join("#test")
	alice.Privmsg("#test", "hello everyone, bot: is not addressed here")
	alice.Privmsg("#test", "robot: not for the bot either")
	alice.Privmsg("#test", "\x01VERSION\x01")
	alice.Privmsg("bot", "\x01PING 1\x01")
	alice.Privmsg("#test", "bot:")
	alice.Privmsg("#test", "bot: first")
	alice.Privmsg("#test", "BOT,   second")
	alice.Privmsg("bot", "third")

	want := []struct{ channel, text string }{
		{"#test", "first"},
		{"#test", "second"},
		{"", "third"},
	}
	for _, w := range want {
		in := awaitInbound(t, rec)
		if in.Channel != w.channel || in.Text != w.text {
			t.Fatalf("inbound = channel %q text %q, want channel %q text %q",
				in.Channel, in.Text, w.channel, w.text)
		}
		if in.Nick != "alice" || in.User != "~alice" || in.Host != "127.0.0.1" {
			t.Errorf("inbound source = %s!%s@%s, want alice!~alice@127.0.0.1", in.Nick, in.User, in.Host)
		}
		if in.Time.IsZero() {
			t.Error("inbound time is zero")
		}
	}
}

func TestConnSplitsLongTextUnderLineLimit(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	conn, rec := dialBot(t, srv.Addr(), func(c *ircconn.Config) { c.Channels = []string{"#test"} })
	awaitJoined(t, rec, "#test")
	alice := ircdtest.Connect(t, srv.Addr(), "alice")
	alice.Join("#test")

	text := strings.Repeat("né à Zürich 😀 ", 90) + strings.Repeat("x", 900) + "\nsecond paragraph"
	for _, target := range []string{"alice", "#test"} {
		n, err := conn.Privmsg(context.Background(), target, text)
		if err != nil {
			t.Fatalf("Privmsg(%s): %v", target, err)
		}
		if n < 5 {
			t.Fatalf("Privmsg(%s) sent %d lines for %d bytes, want at least 5", target, n, len(text))
		}
		var got []string
		for range n {
			m := alice.Await(fromBot)
			if m.Param(0) != target {
				t.Fatalf("line to %q, want %q", m.Param(0), target)
			}
			payload := m.Param(1)
			if len(payload) > ircconn.MaxPayloadBytes || !utf8.ValidString(payload) {
				t.Fatalf("payload of %d bytes (valid UTF-8: %v), want <= %d and valid",
					len(payload), utf8.ValidString(payload), ircconn.MaxPayloadBytes)
			}
			relayed := fmt.Sprintf(":%s PRIVMSG %s :%s\r\n", m.Source, target, payload)
			if len(relayed) > ircconn.MaxLineBytes {
				t.Fatalf("relayed line is %d bytes, want <= %d", len(relayed), ircconn.MaxLineBytes)
			}
			got = append(got, payload)
		}
		if stripSpace(strings.Join(got, "")) != stripSpace(text) {
			t.Fatalf("lines to %s do not spell the text:\n%q", target, got)
		}
		if got[len(got)-1] != "second paragraph" {
			t.Errorf("last line = %q, want the second paragraph on its own line", got[len(got)-1])
		}
	}
}

func TestConnNickCollisionAndReclaim(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	holder := ircdtest.Connect(t, srv.Addr(), "bot")

	conn, rec := dialBot(t, srv.Addr(), func(c *ircconn.Config) {
		c.NickReclaimInterval = 20 * time.Millisecond
	})
	if conn.Nick() != "bot_" {
		t.Fatalf("Nick() = %q with bot taken, want bot_", conn.Nick())
	}

	holder.Close()
	ev := rec.await(t, func(ev ircconn.Event) bool { _, ok := ev.(*ircconn.NickChanged); return ok })
	if nick := ev.(*ircconn.NickChanged).Nick; nick != "bot" {
		t.Fatalf("NickChanged to %q, want bot", nick)
	}
	if conn.Nick() != "bot" {
		t.Fatalf("Nick() = %q after reclaim, want bot", conn.Nick())
	}
}

func TestConnNickCollisionBounded(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	ircdtest.Connect(t, srv.Addr(), "bot")
	ircdtest.Connect(t, srv.Addr(), "bot_")

	_, _, err := tryDial(t, srv.Addr(), func(c *ircconn.Config) { c.NickRetries = 1 })
	if !errors.Is(err, ircconn.ErrNickInUse) {
		t.Fatalf("Dial error = %v, want ErrNickInUse", err)
	}
}

func TestConnNickRejectedByServer(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	// The test server allows 30 characters.
	_, _, err := tryDial(t, srv.Addr(), func(c *ircconn.Config) { c.Nick = strings.Repeat("b", 31) })
	if !errors.Is(err, ircconn.ErrNickInvalid) {
		t.Fatalf("Dial error = %v, want ErrNickInvalid", err)
	}
}

func TestConnTLS(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{TLS: true})
	_, rec := dialBot(t, srv.TLSAddr(), func(c *ircconn.Config) { c.TLS = srv.TLSConfig() })

	alice := ircdtest.Connect(t, srv.Addr(), "alice")
	alice.Privmsg("bot", "over TLS")
	if in := awaitInbound(t, rec); in.Text != "over TLS" {
		t.Fatalf("inbound text = %q, want %q", in.Text, "over TLS")
	}

	_, _, err := tryDial(t, srv.TLSAddr(), func(c *ircconn.Config) {
		c.Nick = "bot2"
		c.TLS = &tls.Config{RootCAs: x509.NewCertPool(), MinVersion: tls.VersionTLS12}
	})
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Fatalf("Dial with an untrusted certificate: error = %v, want x509.UnknownAuthorityError", err)
	}
}

func TestConnKeepalivePing(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	logger, logs := observedLogger()
	conn, _ := dialBot(t, srv.Addr(), func(c *ircconn.Config) {
		c.Logger = logger
		c.PingInterval = 50 * time.Millisecond
	})
	awaitLogCount(t, logs, "keepalive pong received", 3)
	if err := conn.Err(); err != nil {
		t.Fatalf("connection ended: %v", err)
	}
}

func TestConnPingTimeoutOnSilentServer(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	_, rec := dialBot(t, srv.Addr(), func(c *ircconn.Config) {
		c.PingInterval = 50 * time.Millisecond
		c.PingTimeout = 100 * time.Millisecond
	})
	srv.Freeze()
	defer srv.Thaw()
	if err := awaitDisconnected(t, rec); !errors.Is(err, ircconn.ErrPingTimeout) {
		t.Fatalf("Disconnected error = %v, want ErrPingTimeout", err)
	}
}

func TestConnAnswersServerPing(t *testing.T) {
	t.Parallel()
	// ngircd pings after 5 idle seconds and drops a client that does not
	// reply within 5 more. A second ping proves that the first got its PONG.
	srv := ircdtest.Start(t, ircdtest.Options{PingTimeout: 5})
	logger, logs := observedLogger()
	conn, _ := dialBot(t, srv.Addr(), func(c *ircconn.Config) { c.Logger = logger })
	awaitLogCount(t, logs, "replying to server ping", 2)
	if err := conn.Err(); err != nil {
		t.Fatalf("connection ended: %v", err)
	}
}

func TestConnServerKilled(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	conn, rec := dialBot(t, srv.Addr(), nil)
	srv.Kill()
	if err := awaitDisconnected(t, rec); !errors.Is(err, ircconn.ErrServerClosed) {
		t.Fatalf("Disconnected error = %v, want ErrServerClosed", err)
	}
	if _, err := conn.Privmsg(context.Background(), "alice", "x"); !errors.Is(err, ircconn.ErrServerClosed) {
		t.Fatalf("Privmsg after the server died: error = %v, want ErrServerClosed", err)
	}
}

func TestConnKilledByOperator(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	_, rec := dialBot(t, srv.Addr(), nil)
	oper := ircdtest.Connect(t, srv.Addr(), "oper")
	oper.Oper(srv.OperName, srv.OperPassword)
	oper.Send("KILL bot :testing the kill path")

	err := awaitDisconnected(t, rec)
	if !errors.Is(err, ircconn.ErrServerClosed) {
		t.Fatalf("Disconnected error = %v, want ErrServerClosed", err)
	}
	if !strings.Contains(err.Error(), "testing the kill path") {
		t.Errorf("Disconnected error %q does not carry the server's reason", err)
	}
}

func TestConnCloseSendsQuit(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	alice := ircdtest.Connect(t, srv.Addr(), "alice")
	alice.Join("#test")
	conn, rec := dialBot(t, srv.Addr(), func(c *ircconn.Config) {
		c.Channels = []string{"#test"}
		c.QuitMessage = "see you"
	})
	awaitJoined(t, rec, "#test")
	if got := conn.Channels(); len(got) != 1 || got[0] != "#test" {
		t.Fatalf("Channels() = %q, want [#test]", got)
	}

	if err := conn.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := conn.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	quit := alice.Await(func(m *ircconn.Message) bool { return m.Command == "QUIT" && m.Nick() == "bot" })
	if !strings.Contains(quit.Param(0), "see you") {
		t.Errorf("QUIT reason = %q, want it to contain %q", quit.Param(0), "see you")
	}
	if err := awaitDisconnected(t, rec); !errors.Is(err, ircconn.ErrClosed) {
		t.Fatalf("Disconnected error = %v, want ErrClosed", err)
	}
	if _, err := conn.Privmsg(context.Background(), "alice", "x"); !errors.Is(err, ircconn.ErrClosed) {
		t.Fatalf("Privmsg after Close: error = %v, want ErrClosed", err)
	}
	var nilConn *ircconn.Conn
	if err := nilConn.Close(); err != nil {
		t.Fatalf("Close on nil: %v", err)
	}
}

func TestConnJoinFailedAndKick(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	alice := ircdtest.Connect(t, srv.Addr(), "alice")
	alice.Join("#locked")
	alice.Send("MODE #locked +i")
	alice.Await(func(m *ircconn.Message) bool { return m.Command == "MODE" && m.Param(1) == "+i" })
	alice.Join("#test")

	_, rec := dialBot(t, srv.Addr(), func(c *ircconn.Config) { c.Channels = []string{"#locked", "#test"} })
	ev := rec.await(t, func(ev ircconn.Event) bool { _, ok := ev.(*ircconn.JoinFailed); return ok })
	if jf := ev.(*ircconn.JoinFailed); jf.Channel != "#locked" || jf.Code != "473" {
		t.Fatalf("JoinFailed = %+v, want #locked with 473", jf)
	}
	awaitJoined(t, rec, "#test")

	alice.Send("KICK #test bot :out")
	ev = rec.await(t, func(ev ircconn.Event) bool { _, ok := ev.(*ircconn.Parted); return ok })
	if p := ev.(*ircconn.Parted); p.Channel != "#test" || p.By != "alice" || p.Reason != "out" {
		t.Fatalf("Parted = %+v, want #test by alice for out", p)
	}
}

func TestConnFloodControlKeepsBatchesWhole(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	conn, _ := dialBot(t, srv.Addr(), func(c *ircconn.Config) {
		c.FloodBurst = 2
		c.FloodInterval = 5 * time.Millisecond
	})
	alice := ircdtest.Connect(t, srv.Addr(), "alice")

	const senders, linesEach = 4, 3
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for s := range senders {
		wg.Go(func() {
			text := ""
			for l := range linesEach {
				text += fmt.Sprintf("sender %d line %d\n", s, l)
			}
			if _, err := conn.Privmsg(context.Background(), "alice", text); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Privmsg: %v", err)
	}

	for range senders {
		first := alice.Await(fromBot).Param(1)
		var s int
		if _, err := fmt.Sscanf(first, "sender %d line 0", &s); err != nil {
			t.Fatalf("batch starts with %q, want line 0 of some sender", first)
		}
		for l := 1; l < linesEach; l++ {
			want := fmt.Sprintf("sender %d line %d", s, l)
			if got := alice.Await(fromBot).Param(1); got != want {
				t.Fatalf("got %q, want %q: batches were interleaved", got, want)
			}
		}
	}
}

func TestConnSendsNotice(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	conn, _ := dialBot(t, srv.Addr(), nil)
	alice := ircdtest.Connect(t, srv.Addr(), "alice")

	n, err := conn.Notice(context.Background(), "alice", "first line\nsecond line")
	if err != nil {
		t.Fatalf("Notice: %v", err)
	}
	if n != 2 {
		t.Fatalf("Notice sent %d lines, want 2", n)
	}
	for _, want := range []string{"first line", "second line"} {
		m := alice.Await(func(m *ircconn.Message) bool { return m.Command == "NOTICE" && m.Nick() == "bot" })
		if m.Param(0) != "alice" || m.Param(1) != want {
			t.Fatalf("NOTICE to %q with %q, want alice with %q", m.Param(0), m.Param(1), want)
		}
	}
}

func TestConnRejectsInvalidTarget(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	conn, _ := dialBot(t, srv.Addr(), nil)
	for _, target := range []string{"", "a b", "#a,#b", "x\r\nQUIT"} {
		if _, err := conn.Privmsg(context.Background(), target, "hi"); err == nil {
			t.Errorf("Privmsg to %q succeeded, want an error", target)
		}
	}
}
