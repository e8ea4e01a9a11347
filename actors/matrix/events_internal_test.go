package matrix

import (
	"encoding/json"
	"testing"

	"go.uber.org/zap"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/actorgate/actorgate/messages"
)

const self = id.UserID("@bot:x")

// parseEvent reads one event as a sync response carries it.
func parseEvent(t *testing.T, raw string) *event.Event {
	t.Helper()
	var evt event.Event
	if err := json.Unmarshal([]byte(raw), &evt); err != nil {
		t.Fatalf("parsing %s: %v", raw, err)
	}
	return &evt
}

func TestInboundFiltersEvents(t *testing.T) {
	cli := &mautrix.Client{UserID: self}
	c := &conn{
		cli: cli, log: zap.NewNop(), senders: newSenderCache(),
		encrypted: make(map[id.RoomID]bool),
	}
	cases := []struct {
		name string
		raw  string
		want string // the text passed on, "" when ignored
	}{
		{"text", `{"type":"m.room.message","sender":"@a:x","event_id":"$1",
			"content":{"msgtype":"m.text","body":"hi"}}`, "hi"},
		{"own message", `{"type":"m.room.message","sender":"@bot:x","event_id":"$2",
			"content":{"msgtype":"m.text","body":"hi"}}`, ""},
		{"notice", `{"type":"m.room.message","sender":"@a:x","event_id":"$3",
			"content":{"msgtype":"m.notice","body":"hi"}}`, ""},
		{"image", `{"type":"m.room.message","sender":"@a:x","event_id":"$4",
			"content":{"msgtype":"m.image","body":"cat.png","url":"mxc://x/y"}}`, ""},
		{"edit", `{"type":"m.room.message","sender":"@a:x","event_id":"$5",
			"content":{"msgtype":"m.text","body":"* hi","m.new_content":{"msgtype":"m.text",
			"body":"hi"},"m.relates_to":{"rel_type":"m.replace","event_id":"$1"}}}`, ""},
		{"reaction", `{"type":"m.reaction","sender":"@a:x","event_id":"$6",
			"content":{"m.relates_to":{"rel_type":"m.annotation","event_id":"$1","key":"👍"}}}`, ""},
		{"encrypted", `{"type":"m.room.encrypted","sender":"@a:x","event_id":"$7",
			"content":{"algorithm":"m.megolm.v1.aes-sha2","ciphertext":"x"}}`, ""},
		{"blank", `{"type":"m.room.message","sender":"@a:x","event_id":"$8",
			"content":{"msgtype":"m.text","body":"  "}}`, ""},
		{"reply fallback", `{"type":"m.room.message","sender":"@a:x","event_id":"$9",
			"content":{"msgtype":"m.text","body":"> <@b:x> earlier\n\nanswer this",
			"m.relates_to":{"m.in_reply_to":{"event_id":"$1"}}}}`, "answer this"},
		{"redacted", `{"type":"m.room.message","sender":"@a:x","event_id":"$10","content":{}}`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in, ok := c.inbound("!room:x", parseEvent(t, tc.raw))
			if ok != (tc.want != "") {
				t.Fatalf("passed on = %v, want %v (%+v)", ok, tc.want != "", in)
			}
			if ok && in.Text != tc.want {
				t.Errorf("text = %q, want %q", in.Text, tc.want)
			}
			if ok && (in.ChatID != "!room:x" || in.UserID != "@a:x" || in.UserName != "a" ||
				in.Platform != Name) {
				t.Errorf("message = %+v", in)
			}
		})
	}
	if !c.encrypted["!room:x"] {
		t.Error("the encrypted event was not noted for its warning")
	}
}

func TestIsJoinOf(t *testing.T) {
	cases := []struct {
		name string
		raw  string
		want bool
	}{
		{"join", `{"type":"m.room.member","state_key":"@bot:x","sender":"@bot:x",
			"content":{"membership":"join"},"unsigned":{"prev_content":{"membership":"invite"}}}`, true},
		{"first join", `{"type":"m.room.member","state_key":"@bot:x","sender":"@bot:x",
			"content":{"membership":"join"}}`, true},
		{"profile change", `{"type":"m.room.member","state_key":"@bot:x","sender":"@bot:x",
			"content":{"membership":"join","displayname":"Bot"},
			"unsigned":{"prev_content":{"membership":"join"}}}`, false},
		{"someone else", `{"type":"m.room.member","state_key":"@a:x","sender":"@a:x",
			"content":{"membership":"join"}}`, false},
		{"invite", `{"type":"m.room.member","state_key":"@bot:x","sender":"@a:x",
			"content":{"membership":"invite"}}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := isJoinOf(parseEvent(t, tc.raw), self); got != tc.want {
				t.Errorf("isJoinOf = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRoomMessagesStartAfterOwnJoin(t *testing.T) {
	c := &conn{
		cli: &mautrix.Client{UserID: self}, log: zap.NewNop(), senders: newSenderCache(),
		encrypted: make(map[id.RoomID]bool), members: map[id.RoomID]int{"!room:x": 3},
	}
	timeline := mautrix.SyncTimeline{SyncEventsList: mautrix.SyncEventsList{Events: []*event.Event{
		parseEvent(t, `{"type":"m.room.message","sender":"@a:x","event_id":"$old",
			"content":{"msgtype":"m.text","body":"before the bot came"}}`),
		parseEvent(t, `{"type":"m.room.member","state_key":"@bot:x","sender":"@bot:x",
			"event_id":"$join","content":{"membership":"join"}}`),
		parseEvent(t, `{"type":"m.room.message","sender":"@a:x","event_id":"$new",
			"content":{"msgtype":"m.text","body":"welcome"}}`),
	}}}
	msgs := c.roomMessages("!room:x", timeline)
	if len(msgs) != 1 || msgs[0].MessageID != "$new" {
		t.Fatalf("messages = %+v, want only $new", msgs)
	}
	if msgs[0].ChatType != messages.ChatGroup {
		t.Errorf("chat type of a room of three = %q, want group", msgs[0].ChatType)
	}
}

func TestInviterOf(t *testing.T) {
	room := &mautrix.SyncInvitedRoom{State: mautrix.SyncEventsList{Events: []*event.Event{
		parseEvent(t, `{"type":"m.room.name","state_key":"","sender":"@a:x","content":{"name":"r"}}`),
		parseEvent(t, `{"type":"m.room.member","state_key":"@a:x","sender":"@a:x",
			"content":{"membership":"join"}}`),
		parseEvent(t, `{"type":"m.room.member","state_key":"@bot:x","sender":"@a:x",
			"content":{"membership":"invite"}}`),
	}}}
	if got := inviterOf(room, self); got != "@a:x" {
		t.Errorf("inviter = %q, want @a:x", got)
	}
	if got := inviterOf(&mautrix.SyncInvitedRoom{}, self); got != "" {
		t.Errorf("inviter without state = %q, want none", got)
	}
}
