package irc_test

import (
	"strings"
	"testing"
	"time"

	"github.com/actorgate/actorgate/actors/irc"
	"github.com/actorgate/actorgate/actors/irc/ircconn"
	"github.com/actorgate/actorgate/actors/irc/ircdtest"
	"github.com/actorgate/actorgate/messages"
)

func TestForcedFailureLosesAndRepeatsNothing(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	g := startGateway(t, srv, options{})
	g.awaitState(messages.StateConnected)
	alice := joinWithBot(t, srv, "alice")

	alice.Privmsg("bot", "one")
	alice.Await(privmsgFrom("bot", "alice", "turn 1: one"))

	// An operator kills the bot's connection: the adapter fails, the
	// gateway restarts it and it comes back into #test.
	oper := ircdtest.Connect(t, srv.Addr(), "oper")
	oper.Oper(srv.OperName, srv.OperPassword)
	oper.Send("KILL bot :forced failure")
	alice.Await(func(m *ircconn.Message) bool { return m.Command == "QUIT" && m.Nick() == "bot" })
	alice.Await(botJoined("#test"))
	row := g.awaitState(messages.StateConnected)
	if row.Restarts < 1 {
		t.Fatalf("status after the kill = %+v, want at least one restart", row)
	}

	alice.Privmsg("bot", "two")
	alice.Await(privmsgFrom("bot", "alice", "turn 2: two"))
	for _, text := range []string{"turn 1: one", "turn 2: two"} {
		if n := countPrivmsgs(alice, text); n != 1 {
			t.Errorf("alice got %q %d times, want once", text, n)
		}
	}
	if n := countPrivmsgs(alice, "turn"); n != 2 {
		t.Errorf("alice got %d answers, want 2:\n%s", n, alice.Transcript())
	}
	if !g.logged("platform failed; restarting after backoff", irc.CodeConnectionLost) {
		t.Errorf("the gateway did not log a restart with %s", irc.CodeConnectionLost)
	}
}

func TestReconnectsAfterServerRestart(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	g := startGateway(t, srv, options{})
	g.awaitState(messages.StateConnected)
	alice := joinWithBot(t, srv, "alice")
	alice.Privmsg("bot", "before")
	alice.Await(privmsgFrom("bot", "alice", "turn 1: before"))

	srv.Kill()
	// While the server is down every reconnect fails and is retried
	// with backoff.
	row := g.awaitStatus("retrying twice", func(r messages.PlatformStatus) bool {
		return r.State == messages.StateRetrying && r.Attempts >= 2 && r.ErrorCode == irc.CodeConnectFailed
	})
	if row.NextRetryAt.IsZero() {
		t.Errorf("retrying row has no next retry time: %+v", row)
	}

	srv.Restart()
	row = g.awaitState(messages.StateConnected)
	if row.Restarts < 2 {
		t.Errorf("status after the outage = %+v, want at least two restarts", row)
	}
	alice = joinWithBot(t, srv, "alice")
	alice.Privmsg("#test", "bot: after")
	alice.Await(privmsgFrom("bot", "#test", "alice: turn 1: after"))
	alice.Privmsg("bot", "private after")
	alice.Await(privmsgFrom("bot", "alice", "turn 2: private after"))
}

func TestFatalFailures(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{TLS: true})
	tests := []struct {
		name string
		edit func(*irc.Settings)
		code string
	}{
		{
			name: "nick rejected by the server",
			edit: func(s *irc.Settings) { s.IRC.Nick = strings.Repeat("n", 31) },
			code: irc.CodeNickInvalid,
		},
		{
			name: "sasl not offered",
			edit: func(s *irc.Settings) { s.IRC.SASLUser, s.IRC.SASLPassword = "bot", "secret" },
			code: irc.CodeSASLUnavailable,
		},
		{
			name: "untrusted certificate",
			edit: func(s *irc.Settings) { s.IRC.TLS, s.IRC.Port = true, srv.TLSPort },
			code: irc.CodeTLSInvalid,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := startGateway(t, srv, options{edit: tt.edit})
			row := g.awaitState(messages.StateFatal)
			if row.ErrorCode != tt.code {
				t.Fatalf("error code = %q, want %q (%s)", row.ErrorCode, tt.code, row.ErrorMessage)
			}
			if !strings.Contains(row.ErrorMessage, "SIGHUP") {
				t.Errorf("error message %q does not say how to apply a fix", row.ErrorMessage)
			}
		})
	}
}

func TestConnectsOverTLS(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{TLS: true})
	g := startGateway(t, srv, options{edit: func(s *irc.Settings) {
		s.IRC.TLS, s.IRC.Port, s.TLS = true, srv.TLSPort, srv.TLSConfig()
	}})
	g.awaitState(messages.StateConnected)
	alice := ircdtest.Connect(t, srv.Addr(), "alice")
	alice.Privmsg("bot", "secure hello")
	alice.Await(privmsgFrom("bot", "alice", "turn 1: secure hello"))
}

func TestNickInUseIsRetried(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	holders := []*ircdtest.User{ircdtest.Connect(t, srv.Addr(), "bot")}
	for i := 1; i <= 3; i++ {
		holders = append(holders, ircdtest.Connect(t, srv.Addr(), "bot"+strings.Repeat("_", i)))
	}
	g := startGateway(t, srv, options{edit: func(s *irc.Settings) { s.IRC.AllowAllUsers = true }})
	g.awaitStatus("retrying with irc_nick_in_use", func(r messages.PlatformStatus) bool {
		return r.State == messages.StateRetrying && r.ErrorCode == irc.CodeNickInUse
	})

	holders[3].Close()
	g.awaitState(messages.StateConnected)
	holders[0].Privmsg("bot___", "who are you")
	holders[0].Await(privmsgFrom("bot___", "bot", "turn 1: who are you"))
}

func TestSilentServerIsRetried(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	// A TLS handshake with a plain-text port gets no answer: ngircd waits
	// for a line that never ends. The dial times out and is retried.
	g := startGateway(t, srv, options{edit: func(s *irc.Settings) {
		s.IRC.TLS, s.TLS = true, srv.TLSConfig()
		s.Conn.DialTimeout = 100 * time.Millisecond
	}})
	g.awaitStatus("retrying with irc_connect_failed", func(r messages.PlatformStatus) bool {
		return r.State == messages.StateRetrying && r.ErrorCode == irc.CodeConnectFailed
	})
}

// logged reports whether the gateway logged msg with the error code.
func (g *gw) logged(msg, code string) bool {
	for _, e := range g.logs.FilterMessage(msg).All() {
		if e.ContextMap()["error_code"] == code {
			return true
		}
	}
	return false
}
