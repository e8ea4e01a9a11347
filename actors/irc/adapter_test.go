package irc_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/actorgate/actorgate/actors/agent"
	"github.com/actorgate/actorgate/actors/irc"
	"github.com/actorgate/actorgate/actors/irc/ircconn"
	"github.com/actorgate/actorgate/actors/irc/ircdtest"
	"github.com/actorgate/actorgate/messages"
)

func TestAnswersChannelAndDirectMessages(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	g := startGateway(t, srv, options{})
	g.awaitState(messages.StateConnected)
	alice := joinWithBot(t, srv, "alice")

	alice.Privmsg("#test", "bot: hello")
	alice.Await(privmsgFrom("bot", "#test", "alice: turn 1: hello"))
	alice.Privmsg("bot", "hi in private")
	alice.Await(privmsgFrom("bot", "alice", "turn 1: hi in private"))
	alice.Privmsg("#test", "bot, again")
	alice.Await(privmsgFrom("bot", "#test", "alice: turn 2: again"))

	alice.Privmsg("#test", "bot: !new")
	alice.Await(privmsgFrom("bot", "#test", "alice: Started a new conversation."))
	alice.Privmsg("#test", "bot: fresh start")
	alice.Await(privmsgFrom("bot", "#test", "alice: turn 1: fresh start"))
	alice.Privmsg("bot", "still private")
	alice.Await(privmsgFrom("bot", "alice", "turn 2: still private"))

	var in *messages.InboundMessage
	select {
	case in = <-g.events:
	case <-time.After(waitLimit):
		t.Fatal("no InboundMessage published on the event stream")
	}
	if in.Platform != irc.Name || in.ChatType != messages.ChatGroup || in.ChatID != "#test" ||
		in.UserID != "alice" || in.UserName != "alice" || in.Text != "hello" || in.Gateway != "gw" {
		t.Errorf("first published message = %+v, want irc group #test from alice saying hello", in)
	}
}

func TestIgnoresChannelChatter(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	g := startGateway(t, srv, options{})
	g.awaitState(messages.StateConnected)
	alice := joinWithBot(t, srv, "alice")

	alice.Privmsg("#test", "just chatting about the bot")
	alice.Privmsg("#test", "bot: answer this")
	alice.Await(privmsgFrom("bot", "#test", "alice: turn 1: answer this"))
	if n := countPrivmsgs(alice, "chatting"); n != 0 {
		t.Errorf("the bot answered %d lines of chatter", n)
	}
}

func TestRefusesUnknownUserOnce(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})
	g := startGateway(t, srv, options{})
	g.awaitState(messages.StateConnected)
	mallory := ircdtest.Connect(t, srv.Addr(), "mallory")
	bob := ircdtest.Connect(t, srv.Addr(), "BOB")

	for i := range 3 {
		mallory.Privmsg("bot", fmt.Sprintf("let me in %d", i))
	}
	refusal := mallory.Await(func(m *ircconn.Message) bool {
		return m.Command == "PRIVMSG" && m.Nick() == "bot" && strings.HasPrefix(m.Param(1), "Sorry")
	}).Param(1)
	for _, want := range []string{"mallory", "IRC_ALLOWED_USERS"} {
		if !strings.Contains(refusal, want) {
			t.Errorf("refusal %q does not mention %s", refusal, want)
		}
	}

	// Every message was handled and nothing more is on its way to
	// mallory once a later line, sent on the same connection, arrived.
	g.awaitHandled("mallory", "refused", 3)
	if reply := g.sendMessage("mallory", "marker line"); reply.Err != nil {
		t.Fatalf("SendMessage: %v", reply.Err)
	}
	mallory.Await(privmsgFrom("bot", "mallory", "marker line"))
	if n := countPrivmsgs(mallory, "Sorry"); n != 1 {
		t.Errorf("mallory got %d refusals, want 1", n)
	}
	if n := countPrivmsgs(mallory, "turn"); n != 0 {
		t.Errorf("mallory's messages reached the agent %d times", n)
	}

	// Nicks are compared without case: BOB is the allowed Bob.
	bob.Privmsg("bot", "hello")
	bob.Await(privmsgFrom("bot", "BOB", "turn 1: hello"))
}

// longBackend answers with several paragraphs: lines of sentences and one
// long word, in several scripts.
type longBackend struct{}

func (longBackend) Name() string { return "long" }
func (longBackend) Close() error { return nil }
func (longBackend) Run(
	_ context.Context, req *messages.AgentRequest, _ func(messages.AgentDelta),
) messages.AgentReply {
	return messages.AgentReply{
		RequestID: req.RequestID, Text: longAnswer, FinishReason: messages.FinishStop,
	}
}

var longAnswer = strings.Repeat("Première phrase, avec des accents. 東京は大きい都市です。 ", 12) +
	"\n\nA short paragraph.\nAnd a second line.\n\n" +
	strings.Repeat("ж", 300) + " end."

func TestSplitsLongAnswers(t *testing.T) {
	t.Parallel()
	srv := ircdtest.Start(t, ircdtest.Options{})

	t.Run("echo", func(t *testing.T) {
		g := startGateway(t, srv, options{edit: func(s *irc.Settings) { s.IRC.Nick = "bot" }})
		g.awaitState(messages.StateConnected)
		alice := joinWithBot(t, srv, "alice")
		text := strings.Repeat("ünïcödé ", 36) // 432 bytes, near a full IRC line
		alice.Privmsg("#test", "bot: "+text)
		lines := awaitBotLines(t, alice, "#test", 2)
		want := "alice: turn 1: " + strings.TrimSpace(text)
		checkSplit(t, lines, want)
	})

	t.Run("paragraphs", func(t *testing.T) {
		g := startGateway(t, srv, options{
			edit:    func(s *irc.Settings) { s.IRC.Nick = "bot" },
			backend: func() (agent.Backend, error) { return longBackend{}, nil },
		})
		g.awaitState(messages.StateConnected)
		bob := ircdtest.Connect(t, srv.Addr(), "bob")
		bob.Privmsg("bot", "tell me a lot")
		lines := awaitBotLines(t, bob, "bob", 7)
		checkSplit(t, lines, longAnswer)
		if got := lines[len(lines)-1].Param(1); !strings.HasSuffix(got, " end.") {
			t.Errorf("last line = %q, want the end of the answer", got)
		}
		for _, m := range lines {
			if m.Param(1) == "A short paragraph." {
				return
			}
		}
		t.Errorf("no line holds the short paragraph alone; line breaks were not kept")
	})
}

// awaitBotLines waits for PRIVMSG lines from the bot to target until one
// ends the answer (" end." or the echo's last word) and returns them; at
// least min lines must arrive.
func awaitBotLines(t *testing.T, u *ircdtest.User, target string, minLines int) []*ircconn.Message {
	t.Helper()
	var lines []*ircconn.Message
	for {
		m := u.Await(func(m *ircconn.Message) bool {
			return m.Command == "PRIVMSG" && m.Nick() == "bot" && m.Param(0) == target
		})
		lines = append(lines, m)
		text := m.Param(1)
		if len(lines) >= minLines && (strings.HasSuffix(text, " end.") || strings.HasSuffix(text, "ünïcödé")) {
			return lines
		}
		if len(lines) > 50 {
			t.Fatalf("more than 50 lines and no end of the answer")
		}
	}
}

// checkSplit checks that every relayed line fits the 512-byte limit with
// a payload of at most 400 bytes of valid UTF-8, and that the lines spell
// want, apart from white space.
func checkSplit(t *testing.T, lines []*ircconn.Message, want string) {
	t.Helper()
	var got strings.Builder
	for _, m := range lines {
		payload := m.Param(1)
		relayed := fmt.Sprintf(":%s PRIVMSG %s :%s\r\n", m.Source, m.Param(0), payload)
		switch {
		case len(relayed) > ircconn.MaxLineBytes:
			t.Errorf("relayed line is %d bytes, want <= %d", len(relayed), ircconn.MaxLineBytes)
		case len(payload) > ircconn.MaxPayloadBytes:
			t.Errorf("payload is %d bytes, want <= %d", len(payload), ircconn.MaxPayloadBytes)
		case !utf8.ValidString(payload):
			t.Errorf("payload %q is not valid UTF-8", payload)
		}
		got.WriteString(payload)
	}
	if strings.Join(strings.Fields(got.String()), "") != strings.Join(strings.Fields(want), "") {
		t.Errorf("lines do not spell the answer:\n got %q\nwant %q", got.String(), want)
	}
}
