package matrix_test

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/actorgate/actorgate/actors/agent"
	"github.com/actorgate/actorgate/actors/chat"
	"github.com/actorgate/actorgate/actors/gateway"
	"github.com/actorgate/actorgate/actors/matrix"
	"github.com/actorgate/actorgate/actors/matrix/dendritetest"
	"github.com/actorgate/actorgate/actors/sessions"
	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitLimit bounds every wait for the homeserver or the gateway. It is a
// deadline for a failing test, not a timing assertion: a passing test
// goes on as soon as the condition holds.
const waitLimit = 60 * time.Second

// eventually polls cond until it holds, failing the test after waitLimit.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", waitLimit, what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// world is a Dendrite server with a bot account and two people: alice,
// who is on the bot's allowlist, and mallory, who is not.
type world struct {
	srv     *dendritetest.Server
	bot     dendritetest.Account
	alice   *person
	mallory *person
}

func newWorld(t *testing.T) *world {
	t.Helper()
	srv := dendritetest.Start(t)
	return &world{
		srv:     srv,
		bot:     srv.CreateAccount("bot"),
		alice:   newPerson(t, srv, srv.CreateAccount("alice")),
		mallory: newPerson(t, srv, srv.CreateAccount("mallory")),
	}
}

// settings returns adapter settings for the bot that log in with the
// access token and allow alice only.
func (w *world) settings() matrix.Settings {
	cfg := config.Default()
	return matrix.Settings{
		Matrix: config.MatrixConfig{
			Homeserver:   w.srv.URL,
			UserID:       w.bot.UserID,
			AccessToken:  w.bot.AccessToken,
			AllowedUsers: []string{w.alice.id.String()},
		},
		Sessions: cfg.Platforms.Sessions,
		// A short sync keeps the shutdown of each test quick.
		SyncTimeout: 5 * time.Second,
		Retry:       matrixRetry,
	}
}

// matrixRetry makes failed sends retry quickly.
var matrixRetry = chat.RetryPolicy{Attempts: 5, Base: 50 * time.Millisecond, Max: time.Second}

// run is a gateway with the Matrix adapter, an agent and a sessions store
// in its own actor system.
type run struct {
	t        *testing.T
	system   *actor.ActorSystem
	gw       *actor.PID
	logs     *observer.ObservedLogs
	mu       sync.Mutex
	inbound  []messages.InboundMessage
	shutdown sync.Once
}

// startGateway starts a gateway whose agent runs newBackend (echo when
// nil) and whose only platform is the Matrix adapter with settings. The
// sessions database lives in home. It waits until the adapter connected.
func startGateway(
	t *testing.T, home string, settings matrix.Settings, newBackend func() (agent.Backend, error),
) *run {
	t.Helper()
	r := launch(t, home, settings, newBackend)
	r.waitState(messages.StateConnected)
	return r
}

// startGatewayNoWait starts a gateway with the echo agent like
// startGateway, without waiting for the adapter to connect.
func startGatewayNoWait(t *testing.T, home string, settings matrix.Settings) *run {
	t.Helper()
	return launch(t, home, settings, nil)
}

func launch(
	t *testing.T, home string, settings matrix.Settings, newBackend func() (agent.Backend, error),
) *run {
	t.Helper()
	if newBackend == nil {
		newBackend = func() (agent.Backend, error) { return agent.NewEcho(), nil }
	}
	core, logs := observer.New(zap.InfoLevel)
	log := zap.New(zapcore.NewTee(core,
		zaptest.NewLogger(t, zaptest.Level(zap.DebugLevel)).Core()))
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
	r := &run{t: t, system: system, logs: logs}
	system.EventStream.Subscribe(func(evt any) {
		if in, ok := evt.(*messages.InboundMessage); ok {
			r.mu.Lock()
			r.inbound = append(r.inbound, *in)
			r.mu.Unlock()
		}
	})

	sessionsCfg := settings.Sessions
	pid, err := system.Root.SpawnNamed(gateway.Props(gateway.Config{
		Name:      "gw",
		Backoff:   gateway.Backoff{Base: 20 * time.Millisecond, Cap: 200 * time.Millisecond},
		Agent:     agent.Props(newBackend, log),
		Sessions:  sessions.Props(sessions.Config{Path: filepath.Join(home, "sessions.db"), Sessions: sessionsCfg}, log),
		Platforms: []gateway.Platform{matrix.Platform(settings)},
		Logger:    log,
	}), "gw")
	if err != nil {
		t.Fatal(err)
	}
	r.gw = pid
	t.Cleanup(r.stop)
	return r
}

// stop shuts the gateway down and waits for it. Calling it again does
// nothing.
func (r *run) stop() {
	r.shutdown.Do(func() {
		done := make(chan struct{})
		r.system.Root.Send(r.gw, &gateway.Shutdown{Done: done})
		select {
		case <-done:
		case <-time.After(waitLimit):
			r.t.Errorf("gateway did not shut down within %s", waitLimit)
		}
		_ = r.system.Root.StopFuture(r.gw).Wait()
		r.system.Shutdown()
	})
}

// status returns the adapter's row in the gateway's status table.
func (r *run) status() messages.PlatformStatus {
	r.t.Helper()
	res, err := r.system.Root.RequestFuture(r.gw, &messages.StatusRequest{}, 5*time.Second).Result()
	if err != nil {
		r.t.Fatalf("status request: %v", err)
	}
	for _, row := range res.(*messages.StatusReply).Platforms {
		if row.Name == matrix.Name {
			return row
		}
	}
	return messages.PlatformStatus{}
}

// waitState waits until the adapter is in state.
func (r *run) waitState(state messages.PlatformState) messages.PlatformStatus {
	r.t.Helper()
	var row messages.PlatformStatus
	eventually(r.t, "matrix platform "+string(state), func() bool {
		row = r.status()
		return row.State == state
	})
	return row
}

// adapter returns the PID of the Matrix adapter under the gateway.
func (r *run) adapter() *actor.PID {
	return actor.NewPID(r.system.Address(), "gw/"+matrix.Name)
}

// inboundCopy returns the messages published on the event stream so far.
func (r *run) inboundCopy() []messages.InboundMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.inbound)
}

// logged reports whether a log line with message msg was written.
func (r *run) logged(msg string) bool {
	return r.logs.FilterMessage(msg).Len() > 0
}

// person is a Matrix user played by the test.
type person struct {
	t   *testing.T
	id  id.UserID
	cli *mautrix.Client
}

func newPerson(t *testing.T, srv *dendritetest.Server, acct dendritetest.Account) *person {
	t.Helper()
	cli, err := mautrix.NewClient(srv.URL, id.UserID(acct.UserID), acct.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	transport := &http.Transport{}
	cli.Client = &http.Client{Transport: transport, Timeout: 30 * time.Second}
	t.Cleanup(transport.CloseIdleConnections)
	return &person{t: t, id: id.UserID(acct.UserID), cli: cli}
}

func (p *person) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

// createRoom creates a private room and invites users; a room with one
// invitee is marked as a direct chat.
func (p *person) createRoom(users ...string) id.RoomID {
	p.t.Helper()
	invite := make([]id.UserID, len(users))
	for i, u := range users {
		invite[i] = id.UserID(u)
	}
	ctx, cancel := p.ctx()
	defer cancel()
	resp, err := p.cli.CreateRoom(ctx, &mautrix.ReqCreateRoom{
		Preset: "private_chat", Invite: invite, IsDirect: len(invite) == 1,
	})
	if err != nil {
		p.t.Fatalf("%s: creating a room: %v", p.id, err)
	}
	return resp.RoomID
}

func (p *person) join(room id.RoomID) {
	p.t.Helper()
	ctx, cancel := p.ctx()
	defer cancel()
	if _, err := p.cli.JoinRoomByID(ctx, room); err != nil {
		p.t.Fatalf("%s: joining %s: %v", p.id, room, err)
	}
}

// say sends text to room and returns the event id.
func (p *person) say(room id.RoomID, text string) id.EventID {
	p.t.Helper()
	ctx, cancel := p.ctx()
	defer cancel()
	resp, err := p.cli.SendText(ctx, room, text)
	if err != nil {
		p.t.Fatalf("%s: sending to %s: %v", p.id, room, err)
	}
	return resp.EventID
}

// membership returns the membership of user in room, read as p.
func (p *person) membership(room id.RoomID, user string) event.Membership {
	p.t.Helper()
	ctx, cancel := p.ctx()
	defer cancel()
	var content event.MemberEventContent
	if err := p.cli.StateEvent(ctx, room, event.StateMember, user, &content); err != nil {
		return ""
	}
	return content.Membership
}

// waitMember waits until user has joined room.
func (p *person) waitMember(room id.RoomID, user string) {
	p.t.Helper()
	eventually(p.t, user+" to join "+string(room), func() bool {
		return p.membership(room, user) == event.MembershipJoin
	})
}

// messagesFrom returns the m.room.message events that sender sent to
// room, oldest first.
func (p *person) messagesFrom(room id.RoomID, sender string) []*event.Event {
	p.t.Helper()
	ctx, cancel := p.ctx()
	defer cancel()
	var out []*event.Event
	from := ""
	for range 100 {
		resp, err := p.cli.Messages(ctx, room, from, "", mautrix.DirectionBackward, nil, 100)
		if err != nil {
			p.t.Fatalf("%s: reading %s: %v", p.id, room, err)
		}
		for _, evt := range resp.Chunk {
			if evt.Type.Type == event.EventMessage.Type && string(evt.Sender) == sender {
				out = append(out, evt)
			}
		}
		if resp.End == "" || len(resp.Chunk) == 0 {
			break
		}
		from = resp.End
	}
	slices.Reverse(out)
	return out
}

// messageContent parses the content of an m.room.message event.
func messageContent(t *testing.T, evt *event.Event) *event.MessageEventContent {
	t.Helper()
	if evt.Content.Parsed == nil {
		if err := evt.Content.ParseRaw(evt.Type); err != nil {
			t.Fatalf("parsing event %s: %v", evt.ID, err)
		}
	}
	return evt.Content.AsMessage()
}

// texts returns the bodies of messages.
func texts(events []*event.Event) []string {
	out := make([]string, 0, len(events))
	for _, evt := range events {
		body, _ := evt.Content.Raw["body"].(string)
		out = append(out, body)
	}
	return out
}

// waitText waits until sender has sent a message with body text to room
// and returns it. On a timeout it fails with the messages sender sent.
func (p *person) waitText(room id.RoomID, sender, text string) *event.Event {
	p.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		said := p.messagesFrom(room, sender)
		for _, evt := range said {
			if body, _ := evt.Content.Raw["body"].(string); body == text {
				return evt
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("timed out after %s waiting for %s to send %s; it sent %q",
				waitLimit, sender, quote(text), texts(said))
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// quote shortens text for a failure message.
func quote(text string) string {
	if len(text) > 60 {
		text = text[:60] + "..."
	}
	return "\"" + strings.ReplaceAll(text, "\n", `\n`) + "\""
}
