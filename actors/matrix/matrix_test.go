package matrix_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"

	"github.com/actorgate/actorgate/actors/agent"
	"github.com/actorgate/actorgate/actors/matrix"
	"github.com/actorgate/actorgate/messages"
)

func TestMessageAnsweredInDirectRoom(t *testing.T) {
	w := newWorld(t)
	r := startGateway(t, t.TempDir(), w.settings(), nil)

	room := w.alice.createRoom(w.bot.UserID)
	w.alice.waitMember(room, w.bot.UserID)
	asked := w.alice.say(room, "hello there")
	answer := w.alice.waitText(room, w.bot.UserID, "turn 1: hello there")

	content := messageContent(t, answer)
	if content.MsgType != event.MsgText {
		t.Errorf("answer msgtype = %q, want m.text", content.MsgType)
	}
	if got := content.RelatesTo.GetReplyTo(); got != asked {
		t.Errorf("answer replies to %q, want the question %q", got, asked)
	}
	if content.Mentions == nil || len(content.Mentions.UserIDs) != 1 ||
		content.Mentions.UserIDs[0] != w.alice.id {
		t.Errorf("answer mentions %+v, want only %s", content.Mentions, w.alice.id)
	}

	// The second message is answered with the first one in its history.
	w.alice.say(room, "and again")
	w.alice.waitText(room, w.bot.UserID, "turn 2: and again")

	inbound := r.inboundCopy()
	if len(inbound) != 2 {
		t.Fatalf("event stream carried %d inbound messages, want 2: %+v", len(inbound), inbound)
	}
	first := inbound[0]
	if first.Platform != matrix.Name || first.ChatType != messages.ChatDM ||
		first.ChatID != string(room) || first.UserID != string(w.alice.id) ||
		first.MessageID != string(asked) || first.Text != "hello there" || first.Gateway != "gw" {
		t.Errorf("inbound message = %+v, want a dm from alice in %s", first, room)
	}
}

func TestSendMessageFromAnotherActor(t *testing.T) {
	w := newWorld(t)
	r := startGateway(t, t.TempDir(), w.settings(), nil)
	room := w.alice.createRoom(w.bot.UserID)
	w.alice.waitMember(room, w.bot.UserID)

	res, err := r.system.Root.RequestFuture(r.adapter(), &messages.SendMessage{
		RequestID: "req-1", ChatID: string(room), Text: "scheduled reminder",
	}, waitLimit).Result()
	if err != nil {
		t.Fatalf("send message request: %v", err)
	}
	reply := res.(*messages.SendMessageReply)
	if reply.Err != nil || reply.RequestID != "req-1" || len(reply.MessageIDs) != 1 {
		t.Fatalf("reply = %+v, want one message id and no error", reply)
	}
	got := w.alice.waitText(room, w.bot.UserID, "scheduled reminder")
	if string(got.ID) != reply.MessageIDs[0] {
		t.Errorf("reply names event %s, room has %s", reply.MessageIDs[0], got.ID)
	}
}

func TestInvitesOnlyFromAllowedUsers(t *testing.T) {
	w := newWorld(t)
	r := startGateway(t, t.TempDir(), w.settings(), nil)

	strangers := w.mallory.createRoom(w.bot.UserID)
	friends := w.alice.createRoom(w.bot.UserID)
	w.alice.waitMember(friends, w.bot.UserID)

	// An answer in the friends' room comes from a batch after the one
	// that held both invites, so the stranger's invite has been handled.
	w.alice.say(friends, "ping")
	w.alice.waitText(friends, w.bot.UserID, "turn 1: ping")

	if got := w.mallory.membership(strangers, w.bot.UserID); got != event.MembershipInvite {
		t.Errorf("bot membership in mallory's room = %q, want invite (ignored)", got)
	}
	if !r.logged("invite from a user not on the allowlist ignored") {
		t.Error("the ignored invite was not logged")
	}
}

func TestUnauthorisedUserRefusedOnce(t *testing.T) {
	w := newWorld(t)
	settings := w.settings()
	// One conversation for the whole room: its messages are then handled
	// strictly in order, so once alice is answered mallory's two messages
	// have been handled too.
	settings.Sessions.GroupSessionsPerUser = false
	r := startGateway(t, t.TempDir(), settings, nil)

	room := w.alice.createRoom(w.bot.UserID, string(w.mallory.id))
	w.mallory.join(room)
	w.alice.waitMember(room, w.bot.UserID)

	w.mallory.say(room, "let me in")
	w.mallory.say(room, "please let me in")
	w.alice.say(room, "hi")
	w.alice.waitText(room, w.bot.UserID, "turn 1: [alice] hi")

	var refusals []string
	for _, text := range texts(w.alice.messagesFrom(room, w.bot.UserID)) {
		if strings.Contains(text, "let me in") {
			t.Errorf("mallory's message reached the agent: %q", text)
		}
		if strings.HasPrefix(text, "Sorry") {
			refusals = append(refusals, text)
		}
	}
	if len(refusals) != 1 {
		t.Fatalf("bot sent %d refusals, want exactly 1: %q", len(refusals), refusals)
	}
	for _, want := range []string{string(w.mallory.id), "MATRIX_ALLOWED_USERS"} {
		if !strings.Contains(refusals[0], want) {
			t.Errorf("refusal %q does not name %s", refusals[0], want)
		}
	}
	if got := r.status().State; got != messages.StateConnected {
		t.Errorf("state after refusals = %s, want connected", got)
	}
}

func TestLongAnswerSplit(t *testing.T) {
	w := newWorld(t)
	startGateway(t, t.TempDir(), w.settings(), nil)
	room := w.alice.createRoom(w.bot.UserID)
	w.alice.waitMember(room, w.bot.UserID)

	// About 36 KB of sentences with two- to four-byte characters and the
	// characters JSON escapes, so the answer needs three parts.
	var b strings.Builder
	for i := 0; b.Len() < 36000; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("Sentence ")
		b.WriteString(strings.Repeat("ü", i%7))
		b.WriteString(` <tag> & "quotes" 🙂 naïve café ✓ number `)
		b.WriteString(strings.Repeat("x", i%13))
		b.WriteString(".")
	}
	text := b.String()
	asked := w.alice.say(room, text)
	want := "turn 1: " + text

	var parts []*event.Event
	eventually(t, "every part of the long answer", func() bool {
		parts = w.alice.messagesFrom(room, w.bot.UserID)
		return len(strings.Join(texts(parts), " ")) >= len(want)
	})
	bodies := texts(parts)
	if got := strings.Join(bodies, " "); got != want {
		t.Fatalf("parts joined with spaces differ from the answer (%d bytes, want %d)",
			len(got), len(want))
	}
	if len(bodies) < 3 {
		t.Errorf("answer came in %d parts, want at least 3", len(bodies))
	}
	for i, body := range bodies {
		if len(body) > matrix.DefaultLimit {
			t.Errorf("part %d is %d bytes, over the %d-byte limit", i, len(body), matrix.DefaultLimit)
		}
		if i < len(bodies)-1 && !strings.HasSuffix(body, ".") {
			t.Errorf("part %d ends %q, want a sentence end", i, body[len(body)-20:])
		}
	}
	first := messageContent(t, parts[0])
	if got := first.RelatesTo.GetReplyTo(); got != asked {
		t.Errorf("first part replies to %q, want %q", got, asked)
	}
}

func TestPasswordLoginReusesDevice(t *testing.T) {
	w := newWorld(t)
	settings := w.settings()
	settings.Matrix.AccessToken = ""
	settings.Matrix.Password = w.bot.Password
	home := t.TempDir()

	r := startGateway(t, home, settings, nil)
	room := w.alice.createRoom(w.bot.UserID)
	w.alice.waitMember(room, w.bot.UserID)
	w.alice.say(room, "one")
	w.alice.waitText(room, w.bot.UserID, "turn 1: one")
	r.stop()
	before := devices(t, w)

	// A second gateway on the same sessions database logs in again and
	// resumes from the stored cursor: the message sent while it was away
	// is answered, the first one is not answered again.
	w.alice.say(room, "two")
	startGateway(t, home, settings, nil)
	w.alice.waitText(room, w.bot.UserID, "turn 2: two")
	w.alice.say(room, "three")
	w.alice.waitText(room, w.bot.UserID, "turn 3: three")

	checkTexts(t, "room", texts(w.alice.messagesFrom(room, w.bot.UserID)),
		"turn 1: one", "turn 2: two", "turn 3: three")
	if after := devices(t, w); after != before {
		t.Errorf("bot has %d devices after the second login, want %d (device reused)", after, before)
	}
}

// devices counts the bot account's devices.
func devices(t *testing.T, w *world) int {
	t.Helper()
	bot := newPerson(t, w.srv, w.bot)
	ctx, cancel := bot.ctx()
	defer cancel()
	resp, err := bot.cli.GetDevicesInfo(ctx)
	if err != nil {
		t.Fatalf("listing the bot's devices: %v", err)
	}
	return len(resp.Devices)
}

// gatedBackend answers like the echo agent, except that the first run
// whose last message contains "slow" waits until it is cancelled.
type gatedBackend struct {
	echo    agent.Backend
	started chan struct{}
	gated   atomic.Int32
	runs    atomic.Int32
}

func newGatedBackend() *gatedBackend {
	return &gatedBackend{echo: agent.NewEcho(), started: make(chan struct{})}
}

func (b *gatedBackend) Name() string { return "gated" }

func (b *gatedBackend) Close() error { return nil }

func (b *gatedBackend) Run(
	ctx context.Context, req *messages.AgentRequest, emit func(messages.AgentDelta),
) messages.AgentReply {
	b.runs.Add(1)
	last := req.Messages[len(req.Messages)-1].Content
	if strings.Contains(last, "slow") && b.gated.Add(1) == 1 {
		close(b.started)
		<-ctx.Done()
		return messages.AgentReply{
			RequestID: req.RequestID, FinishReason: messages.FinishError,
			Err: &messages.AgentError{Code: "cancelled", Message: ctx.Err().Error()},
		}
	}
	return b.echo.Run(ctx, req, emit)
}

func TestHomeserverCrashLosesAndRepeatsNothing(t *testing.T) {
	w := newWorld(t)
	backend := newGatedBackend()
	settings := w.settings()
	settings.Matrix.AccessToken = ""
	settings.Matrix.Password = w.bot.Password
	r := startGateway(t, t.TempDir(), settings,
		func() (agent.Backend, error) { return backend, nil })

	slowRoom := w.alice.createRoom(w.bot.UserID)
	fastRoom := w.alice.createRoom(w.bot.UserID)
	w.alice.waitMember(slowRoom, w.bot.UserID)
	w.alice.waitMember(fastRoom, w.bot.UserID)
	w.alice.say(slowRoom, "first")
	w.alice.waitText(slowRoom, w.bot.UserID, "turn 1: first")

	// The agent holds "slow" while "fast", in another room, is answered:
	// the stored cursor stays before "slow", with "fast" recorded as
	// answered.
	w.alice.say(slowRoom, "slow")
	select {
	case <-backend.started:
	case <-time.After(waitLimit):
		t.Fatal("the agent never received the slow message")
	}
	w.alice.say(fastRoom, "fast")
	w.alice.waitText(fastRoom, w.bot.UserID, "turn 1: fast")

	// The homeserver dies: the sync connection breaks, the adapter fails
	// and is restarted with backoff, and the turn in progress is
	// cancelled before it was answered.
	w.srv.Kill()
	row := r.waitState(messages.StateRetrying)
	if row.ErrorCode != matrix.CodeSyncFailed && row.ErrorCode != matrix.CodeUnreachable {
		t.Errorf("error code while the homeserver is down = %q, want %s or %s",
			row.ErrorCode, matrix.CodeSyncFailed, matrix.CodeUnreachable)
	}

	// Back up, the adapter resumes from the stored cursor: "slow" comes
	// again and is answered once; "first" and "fast" are not answered
	// again.
	w.srv.Restart()
	r.waitState(messages.StateConnected)
	w.alice.waitText(slowRoom, w.bot.UserID, "turn 2: slow")
	w.alice.say(slowRoom, "after")
	w.alice.waitText(slowRoom, w.bot.UserID, "turn 3: after")
	w.alice.say(fastRoom, "later")
	w.alice.waitText(fastRoom, w.bot.UserID, "turn 2: later")

	checkTexts(t, "slow room", texts(w.alice.messagesFrom(slowRoom, w.bot.UserID)),
		"turn 1: first", "turn 2: slow", "turn 3: after")
	checkTexts(t, "fast room", texts(w.alice.messagesFrom(fastRoom, w.bot.UserID)),
		"turn 1: fast", "turn 2: later")
	if got := backend.gated.Load(); got != 2 {
		t.Errorf("the agent saw the slow message %d times, want 2 (cancelled, then answered)", got)
	}
	if got := r.status().Restarts; got < 1 {
		t.Errorf("restarts = %d, want at least 1", got)
	}
}

// checkTexts compares the bot's messages in a room with want.
func checkTexts(t *testing.T, room string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("bot messages in the %s = %q, want %q", room, got, want)
	}
}
