package actorgate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/actorgate/actorgate"
	"github.com/actorgate/actorgate/actors/apiserver"
	"github.com/actorgate/actorgate/actors/irc"
	"github.com/actorgate/actorgate/actors/irc/ircconn"
	"github.com/actorgate/actorgate/actors/irc/ircdtest"
	"github.com/actorgate/actorgate/actors/matrix"
	"github.com/actorgate/actorgate/actors/matrix/dendritetest"
	"github.com/actorgate/actorgate/actors/telegram"
	"github.com/actorgate/actorgate/actors/telegram/telegramtest"
	"github.com/actorgate/actorgate/actors/webhook"
	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
)

// platformsWait bounds each wait of a failing test for a server, the
// gateway or a reply. A passing test goes on as soon as the condition
// holds.
const platformsWait = 60 * time.Second

// The outage lasts at least outageRounds rounds of traffic and at least
// outageLength, so the other platforms are exercised while the IRC
// adapter fails and is restarted several times.
const (
	outageRounds = 3
	outageLength = 3 * time.Second
)

// telegramUser is the Telegram user id on the bot's allowlist.
const telegramUser = 4242

// The bot's IRC nick and the IRC user on its allowlist.
const (
	ircBotNick  = "bot"
	ircUserNick = "alice"
)

// TestAllPlatformsServeWhileIRCFails runs every platform in one gateway,
// kills the IRC server, and checks that the API server, the webhook,
// Telegram and Matrix keep replying while the IRC adapter retries, then
// that IRC replies again once its server is back.
func TestAllPlatformsServeWhileIRCFails(t *testing.T) {
	dendritetest.Require(t)
	ircd := ircdtest.Start(t, ircdtest.Options{})
	homeserver := dendritetest.Start(t)
	bot := homeserver.CreateAccount("bot")
	alice := newMatrixUser(t, homeserver, homeserver.CreateAccount("alice"))
	botAPI, err := telegramtest.Start(chatBotToken, "gatebot")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(botAPI.Close)

	cfg := allPlatformsConfig(t, ircd, homeserver.URL, bot, alice.id, botAPI.URL())
	gw := startGateway(t, newHost(t), "gw", cfg)
	others := []string{apiserver.Name, telegram.Name, matrix.Name, webhook.Name}
	for _, name := range append([]string{irc.Name}, others...) {
		awaitRow(t, gw, name, "connected", inState(messages.StateConnected))
	}
	room := alice.createDirectRoom(bot.UserID)
	alice.awaitMember(room, bot.UserID)

	ircUser := ircdtest.Connect(t, ircd.Addr(), ircUserNick)
	ircUser.Privmsg(ircBotNick, "before the outage")
	ircUser.Await(ircReply("turn 1: before the outage"))

	ircd.Kill()
	failing := awaitRow(t, gw, irc.Name, "retrying", func(r messages.PlatformStatus) bool {
		return r.State == messages.StateRetrying && r.ErrorCode == irc.CodeConnectFailed
	})
	t.Logf("irc while its server is down: %+v", failing)

	traffic := &platformTraffic{
		t: t, gw: gw, cfg: cfg, client: newHTTPClient(t),
		botAPI: botAPI, alice: alice, room: room, bot: bot.UserID,
	}
	started := time.Now()
	rounds := 0
	for rounds < outageRounds || time.Since(started) < outageLength {
		rounds++
		traffic.round(rounds)
		if r := row(t, gw, irc.Name); r.State == messages.StateConnected {
			t.Fatalf("round %d: irc is connected while its server is down: %+v", rounds, r)
		}
	}
	outage := row(t, gw, irc.Name)
	if outage.Restarts <= failing.Restarts {
		t.Errorf("irc restarts = %d after %d rounds, want more than %d: the adapter did not "+
			"keep retrying", outage.Restarts, rounds, failing.Restarts)
	}
	t.Logf("%d rounds on the other platforms in %s while irc failed",
		rounds, time.Since(started).Round(time.Millisecond))

	ircd.Restart()
	recovered := awaitRow(t, gw, irc.Name, "connected", inState(messages.StateConnected))
	if recovered.Restarts <= failing.Restarts {
		t.Errorf("irc restarts after the outage = %d, want more than %d",
			recovered.Restarts, failing.Restarts)
	}
	ircUser = ircdtest.Connect(t, ircd.Addr(), ircUserNick)
	ircUser.Privmsg(ircBotNick, "after the outage")
	ircUser.Await(ircReply("turn 2: after the outage"))

	for _, name := range others {
		if r := row(t, gw, name); r.State != messages.StateConnected || r.Restarts != 0 {
			t.Errorf("%s = %+v, want connected and never restarted", name, r)
		}
	}
}

// allPlatformsConfig enrolls the API server, the webhook, Telegram at
// botAPIURL, IRC at ircd and Matrix at homeserverURL as bot, each on
// 127.0.0.1 and allowing one user.
func allPlatformsConfig(t *testing.T, ircd *ircdtest.Server, homeserverURL string,
	bot dendritetest.Account, matrixUser id.UserID, botAPIURL string,
) config.Config {
	t.Helper()
	cfg := withAPIServer(t, testConfig())
	// The backoff stays short so the outage shows several restarts, and
	// long enough that the status table is mostly in the retrying state.
	cfg.Gateway.BackoffBase = 20 * time.Millisecond
	cfg.Gateway.BackoffCap = 250 * time.Millisecond
	// No daily reset, so that a run across the reset hour keeps its turns.
	cfg.Platforms.Sessions.ResetHour = config.SessionResetOff

	cfg.Platforms.Webhook.Secret = "all-platforms-webhook-secret"
	cfg.Platforms.Webhook.Port = freePort(t)

	cfg.Platforms.Telegram.Token = chatBotToken
	cfg.Platforms.Telegram.BaseURL = botAPIURL
	cfg.Platforms.Telegram.PollTimeout = time.Second
	cfg.Platforms.Telegram.AllowedUsers = []string{fmt.Sprint(telegramUser)}

	cfg.Platforms.IRC.Server = "127.0.0.1"
	cfg.Platforms.IRC.Port = ircd.Port
	cfg.Platforms.IRC.TLS = false
	cfg.Platforms.IRC.Nick = ircBotNick
	cfg.Platforms.IRC.Channels = []string{"#test"}
	cfg.Platforms.IRC.AllowedUsers = []string{ircUserNick}

	cfg.Platforms.Matrix.Homeserver = homeserverURL
	cfg.Platforms.Matrix.UserID = bot.UserID
	cfg.Platforms.Matrix.AccessToken = bot.AccessToken
	cfg.Platforms.Matrix.AllowedUsers = []string{string(matrixUser)}
	return cfg
}

// platformTraffic sends one message on each platform that stays up and
// checks each reply.
type platformTraffic struct {
	t      *testing.T
	gw     *actorgate.Gateway
	cfg    config.Config
	client *http.Client
	botAPI *telegramtest.Server
	alice  *matrixUser
	room   id.RoomID
	bot    string
}

// round sends the n-th message of the outage on every platform. Each
// conversation but the API's keeps its history, so the echo agent
// replies with turn n.
func (p *platformTraffic) round(n int) {
	p.t.Helper()
	text := fmt.Sprintf("api round %d", n)
	if got, want := p.chatCompletion(text), "turn 1: "+text; got != want {
		p.t.Errorf("chat completion = %q, want %q", got, want)
	}

	text = fmt.Sprintf("webhook round %d", n)
	body := fmt.Sprintf(`{"chat_id":"ops","user_id":"u1","user_name":"ops","text":%q}`, text)
	if got, want := postWebhook(p.t, p.cfg.Platforms.Webhook, body).Reply,
		fmt.Sprintf("turn %d: %s", n, text); got != want {
		p.t.Errorf("webhook reply = %q, want %q", got, want)
	}

	text = fmt.Sprintf("telegram round %d", n)
	p.botAPI.Push(telegramtest.PrivateText(telegramUser, "alice", text))
	p.awaitTelegram(fmt.Sprintf("turn %d: %s", n, text))

	text = fmt.Sprintf("matrix round %d", n)
	p.alice.say(p.room, text)
	p.alice.awaitText(p.room, p.bot, fmt.Sprintf("turn %d: %s", n, text))
}

// chatCompletion sends text to /v1/chat/completions and returns the
// assistant's message.
func (p *platformTraffic) chatCompletion(text string) string {
	p.t.Helper()
	api := p.cfg.Platforms.APIServer
	body, err := json.Marshal(map[string]any{
		"model":    api.ModelName,
		"messages": []map[string]string{{"role": "user", "content": text}},
	})
	if err != nil {
		p.t.Fatal(err)
	}

	url := fmt.Sprintf("http://127.0.0.1:%d/v1/chat/completions", api.Port)
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url,
		bytes.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+api.Key)
	req.Header.Set("Content-Type", "application/json")

	resp, err := p.client.Do(req)
	if err != nil {
		p.t.Fatalf("POST %s: %v", url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Fatalf("reading the chat completion: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		p.t.Fatalf("POST %s: HTTP %d %s", url, resp.StatusCode, data)
	}

	var out struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(data, &out); err != nil || len(out.Choices) != 1 {
		p.t.Fatalf("chat completion is not one choice (%v): %s", err, data)
	}
	return out.Choices[0].Message.Content
}

// awaitTelegram waits until the bot sent text to the allowed user.
func (p *platformTraffic) awaitTelegram(text string) {
	p.t.Helper()
	chatID := fmt.Sprint(telegramUser)
	eventually(p.t, "telegram reply "+text, func() bool {
		return slices.ContainsFunc(p.botAPI.Sent(), func(s telegramtest.Sent) bool {
			return s.ChatID == chatID && s.Text == text
		})
	})
}

// ircReply matches the bot's private message text to the IRC user.
func ircReply(text string) func(*ircconn.Message) bool {
	return func(m *ircconn.Message) bool {
		return m.Command == "PRIVMSG" && m.Nick() == ircBotNick && m.Param(0) == ircUserNick &&
			m.Param(1) == text
	}
}

// awaitRow polls the status of platform until ok accepts its row.
func awaitRow(t *testing.T, gw *actorgate.Gateway, platform, what string,
	ok func(messages.PlatformStatus) bool,
) messages.PlatformStatus {
	t.Helper()
	var r messages.PlatformStatus
	eventually(t, platform+" "+what, func() bool {
		r = row(t, gw, platform)
		return ok(r)
	})
	return r
}

// eventually polls cond until it holds, failing the test after
// platformsWait.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(platformsWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", platformsWait, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// newHTTPClient returns a client whose idle connections are closed when
// the test ends.
func newHTTPClient(t *testing.T) *http.Client {
	t.Helper()
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	return &http.Client{Transport: transport, Timeout: platformsWait}
}

// matrixUser is a person on the test homeserver.
type matrixUser struct {
	t   *testing.T
	id  id.UserID
	cli *mautrix.Client
}

func newMatrixUser(t *testing.T, homeserver *dendritetest.Server,
	account dendritetest.Account,
) *matrixUser {
	t.Helper()
	cli, err := mautrix.NewClient(homeserver.URL, id.UserID(account.UserID), account.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	cli.Client = newHTTPClient(t)
	return &matrixUser{t: t, id: id.UserID(account.UserID), cli: cli}
}

func (u *matrixUser) context() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), platformsWait)
}

// createDirectRoom creates a private direct room with user invited.
func (u *matrixUser) createDirectRoom(user string) id.RoomID {
	u.t.Helper()
	ctx, cancel := u.context()
	defer cancel()
	resp, err := u.cli.CreateRoom(ctx, &mautrix.ReqCreateRoom{
		Preset: "private_chat", Invite: []id.UserID{id.UserID(user)}, IsDirect: true,
	})
	if err != nil {
		u.t.Fatalf("%s: creating a room: %v", u.id, err)
	}
	return resp.RoomID
}

// awaitMember waits until user has joined room.
func (u *matrixUser) awaitMember(room id.RoomID, user string) {
	u.t.Helper()
	eventually(u.t, user+" to join "+string(room), func() bool {
		ctx, cancel := u.context()
		defer cancel()
		var content event.MemberEventContent
		err := u.cli.StateEvent(ctx, room, event.StateMember, user, &content)
		return err == nil && content.Membership == event.MembershipJoin
	})
}

func (u *matrixUser) say(room id.RoomID, text string) {
	u.t.Helper()
	ctx, cancel := u.context()
	defer cancel()
	if _, err := u.cli.SendText(ctx, room, text); err != nil {
		u.t.Fatalf("%s: sending to %s: %v", u.id, room, err)
	}
}

// awaitText waits until sender has sent a message with body text to
// room.
func (u *matrixUser) awaitText(room id.RoomID, sender, text string) {
	u.t.Helper()
	eventually(u.t, "matrix reply "+text, func() bool {
		return slices.Contains(u.texts(room, sender), text)
	})
}

// texts returns the bodies of the latest messages sender sent to room.
func (u *matrixUser) texts(room id.RoomID, sender string) []string {
	u.t.Helper()
	ctx, cancel := u.context()
	defer cancel()
	resp, err := u.cli.Messages(ctx, room, "", "", mautrix.DirectionBackward, nil, 100)
	if err != nil {
		u.t.Fatalf("%s: reading %s: %v", u.id, room, err)
	}
	var out []string
	for _, evt := range resp.Chunk {
		if evt.Type.Type == event.EventMessage.Type && string(evt.Sender) == sender {
			body, _ := evt.Content.Raw["body"].(string)
			out = append(out, body)
		}
	}
	return out
}
