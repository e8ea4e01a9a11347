package irc_test

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/actorgate/actorgate/actors/agent"
	"github.com/actorgate/actorgate/actors/gateway"
	"github.com/actorgate/actorgate/actors/irc"
	"github.com/actorgate/actorgate/actors/irc/ircconn"
	"github.com/actorgate/actorgate/actors/irc/ircdtest"
	"github.com/actorgate/actorgate/actors/sessions"
	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitLimit bounds every wait of a failing test; a passing test returns as
// soon as what it waits for happens.
const waitLimit = ircdtest.DefaultWait

// gw is an in-process gateway with the echo agent, the sessions store and
// the IRC adapter connected to a test server.
type gw struct {
	t      *testing.T
	system *actor.ActorSystem
	pid    *actor.PID
	srv    *ircdtest.Server
	logs   *observer.ObservedLogs
	events chan *messages.InboundMessage
}

type options struct {
	edit    func(*irc.Settings)
	backend func() (agent.Backend, error)
}

// settingsFor returns settings that connect the bot "bot" to srv over
// plain text, join #test and allow alice and Bob.
func settingsFor(srv *ircdtest.Server) irc.Settings {
	ircCfg := config.Default().Platforms.IRC
	ircCfg.Server = "127.0.0.1"
	ircCfg.Port = srv.Port
	ircCfg.TLS = false
	ircCfg.Nick = "bot"
	ircCfg.Channels = []string{"#test"}
	ircCfg.AllowedUsers = []string{"alice", "Bob"}
	return irc.Settings{
		IRC:          ircCfg,
		Sessions:     config.Default().Platforms.Sessions,
		AgentTimeout: waitLimit,
	}
}

func startGateway(t *testing.T, srv *ircdtest.Server, opts options) *gw {
	t.Helper()
	settings := settingsFor(srv)
	if opts.edit != nil {
		opts.edit(&settings)
	}
	newBackend := opts.backend
	if newBackend == nil {
		newBackend = func() (agent.Backend, error) { return agent.NewEcho(), nil }
	}
	core, logs := observer.New(zapcore.DebugLevel)
	logger := zap.New(core)

	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
	g := &gw{
		t: t, system: system, srv: srv, logs: logs,
		events: make(chan *messages.InboundMessage, 100),
	}
	sub := system.EventStream.Subscribe(func(evt any) {
		if in, ok := evt.(*messages.InboundMessage); ok {
			select {
			case g.events <- in:
			default:
			}
		}
	})

	props := gateway.Props(gateway.Config{
		Name:      "gw",
		Backoff:   gateway.Backoff{Base: 50 * time.Millisecond, Cap: 400 * time.Millisecond},
		Attention: time.Hour,
		Agent:     agent.Props(newBackend, logger),
		Sessions: sessions.Props(sessions.Config{
			Path: filepath.Join(t.TempDir(), "sessions.db"), Sessions: settings.Sessions,
		}, logger),
		Platforms: []gateway.Platform{irc.Platform(settings)},
		Logger:    logger,
	})
	pid, err := system.Root.SpawnNamed(props, "gw")
	if err != nil {
		t.Fatal(err)
	}
	g.pid = pid
	t.Cleanup(func() {
		g.stop()
		system.EventStream.Unsubscribe(sub)
		system.Shutdown()
	})
	return g
}

// stop stops the adapters, then the gateway with the agent and the
// sessions store, as the actorgate package's Close does.
func (g *gw) stop() {
	done := make(chan struct{})
	g.system.Root.Send(g.pid, &gateway.Shutdown{Done: done})
	select {
	case <-done:
	case <-time.After(waitLimit):
		g.t.Errorf("platforms did not stop within %v", waitLimit)
		return
	}
	if err := g.system.Root.StopFuture(g.pid).Wait(); err != nil {
		g.t.Errorf("stopping the gateway: %v", err)
	}
}

// status returns the irc row of the status table.
func (g *gw) status() messages.PlatformStatus {
	g.t.Helper()
	res, err := g.system.Root.RequestFuture(g.pid, &messages.StatusRequest{}, waitLimit).Result()
	if err != nil {
		g.t.Fatalf("status: %v", err)
	}
	for _, row := range res.(*messages.StatusReply).Platforms {
		if row.Name == irc.Name {
			return row
		}
	}
	g.t.Fatal("no irc row in the status table")
	return messages.PlatformStatus{}
}

// awaitStatus polls the status table until match accepts the irc row.
func (g *gw) awaitStatus(what string, match func(messages.PlatformStatus) bool) messages.PlatformStatus {
	g.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		row := g.status()
		if match(row) {
			return row
		}
		if time.Now().After(deadline) {
			g.t.Fatalf("irc did not become %s within %v; last row %+v", what, waitLimit, row)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (g *gw) awaitState(state messages.PlatformState) messages.PlatformStatus {
	g.t.Helper()
	return g.awaitStatus(string(state), func(r messages.PlatformStatus) bool { return r.State == state })
}

// adapter returns the IRC adapter's PID.
func (g *gw) adapter() *actor.PID {
	return actor.NewPID(g.system.Address(), "gw/"+irc.Name)
}

// sendMessage asks the adapter to send text and waits for the reply.
func (g *gw) sendMessage(chatID, text string) *messages.SendMessageReply {
	g.t.Helper()
	res, err := g.system.Root.RequestFuture(g.adapter(),
		&messages.SendMessage{RequestID: "test", ChatID: chatID, Text: text}, waitLimit).Result()
	if err != nil {
		g.t.Fatalf("SendMessage: %v", err)
	}
	return res.(*messages.SendMessageReply)
}

// awaitHandled polls the logs until the chat core handled n messages
// from user with the outcome.
func (g *gw) awaitHandled(user, outcome string, n int) {
	g.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		count := 0
		for _, e := range g.logs.FilterMessage("message handled").All() {
			fields := e.ContextMap()
			if fields["user_id"] == user && fields["outcome"] == outcome {
				count++
			}
		}
		if count >= n {
			return
		}
		if time.Now().After(deadline) {
			g.t.Fatalf("%d messages of %s handled as %s within %v, want %d",
				count, user, outcome, waitLimit, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// botJoined reports whether a line shows the bot in channel: its JOIN, or
// a NAMES reply that lists it.
func botJoined(channel string) func(*ircconn.Message) bool {
	return func(m *ircconn.Message) bool {
		switch m.Command {
		case "JOIN":
			return m.Nick() == "bot" && m.Param(0) == channel
		case "353":
			return m.Param(2) == channel && hasNick(m.Param(3), "bot")
		}
		return false
	}
}

func hasNick(names, nick string) bool {
	for _, n := range strings.Fields(names) {
		if strings.TrimLeft(n, "~&@%+") == nick {
			return true
		}
	}
	return false
}

// privmsgFrom matches a PRIVMSG from nick to target with the exact text.
func privmsgFrom(nick, target, text string) func(*ircconn.Message) bool {
	return func(m *ircconn.Message) bool {
		return m.Command == "PRIVMSG" && m.Nick() == nick && m.Param(0) == target &&
			m.Param(1) == text
	}
}

// countPrivmsgs counts the PRIVMSG lines from the bot a user received
// whose text contains part.
func countPrivmsgs(u *ircdtest.User, part string) int {
	n := 0
	for _, m := range u.Received() {
		if m.Command == "PRIVMSG" && m.Nick() == "bot" && strings.Contains(m.Param(1), part) {
			n++
		}
	}
	return n
}

// joinWithBot connects a user, joins #test and waits until the bot is in
// it too.
func joinWithBot(t *testing.T, srv *ircdtest.Server, nick string) *ircdtest.User {
	t.Helper()
	u := ircdtest.Connect(t, srv.Addr(), nick)
	u.Join("#test")
	u.Await(botJoined("#test"))
	return u
}
