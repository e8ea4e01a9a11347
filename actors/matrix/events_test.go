package matrix_test

import (
	"testing"

	"maunium.net/go/mautrix/event"

	"github.com/actorgate/actorgate/messages"
)

func TestIgnoredEventsNotAnswered(t *testing.T) {
	w := newWorld(t)
	r := startGateway(t, t.TempDir(), w.settings(), nil)
	room := w.alice.createRoom(w.bot.UserID)
	w.alice.waitMember(room, w.bot.UserID)

	original := w.alice.say(room, "original")
	w.alice.waitText(room, w.bot.UserID, "turn 1: original")

	ctx, cancel := w.alice.ctx()
	defer cancel()
	edit := &event.MessageEventContent{
		MsgType: event.MsgText, Body: "* edited",
		NewContent: &event.MessageEventContent{MsgType: event.MsgText, Body: "edited"},
		RelatesTo:  (&event.RelatesTo{}).SetReplace(original),
	}
	notice := &event.MessageEventContent{MsgType: event.MsgNotice, Body: "a notice"}
	encrypted := map[string]any{
		"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AwgAEn", "device_id": "ALICE",
		"sender_key": "abc", "session_id": "def",
	}
	for _, send := range []struct {
		typ     event.Type
		content any
	}{
		{event.EventMessage, edit},
		{event.EventMessage, notice},
		{event.EventEncrypted, encrypted},
	} {
		if _, err := w.alice.cli.SendMessageEvent(ctx, room, send.typ, send.content); err != nil {
			t.Fatalf("sending %s: %v", send.typ.Type, err)
		}
	}

	// Messages of one room are handled in order, so once the plain
	// message is answered the three before it have been passed over.
	w.alice.say(room, "plain")
	w.alice.waitText(room, w.bot.UserID, "turn 2: plain")
	checkTexts(t, "room", texts(w.alice.messagesFrom(room, w.bot.UserID)),
		"turn 1: original", "turn 2: plain")
	if !r.logged("encrypted message ignored: end-to-end encryption is not supported; " +
		"use an unencrypted room") {
		t.Error("the encrypted message was not logged")
	}
}

func TestThreadAnsweredInThread(t *testing.T) {
	w := newWorld(t)
	r := startGateway(t, t.TempDir(), w.settings(), nil)
	room := w.alice.createRoom(w.bot.UserID)
	w.alice.waitMember(room, w.bot.UserID)

	root := w.alice.say(room, "root")
	w.alice.waitText(room, w.bot.UserID, "turn 1: root")

	ctx, cancel := w.alice.ctx()
	defer cancel()
	resp, err := w.alice.cli.SendMessageEvent(ctx, room, event.EventMessage,
		&event.MessageEventContent{
			MsgType: event.MsgText, Body: "in the thread",
			RelatesTo: (&event.RelatesTo{}).SetThread(root, root),
		})
	if err != nil {
		t.Fatalf("sending to the thread: %v", err)
	}

	// A thread is its own conversation: its first message is turn 1.
	answer := w.alice.waitText(room, w.bot.UserID, "turn 1: in the thread")
	rel := messageContent(t, answer).RelatesTo
	if got := rel.GetThreadParent(); got != root {
		t.Errorf("answer is in thread %q, want %q", got, root)
	}
	if got := rel.GetReplyTo(); got != resp.EventID {
		t.Errorf("answer replies to %q, want %q", got, resp.EventID)
	}

	var threaded *messages.InboundMessage
	for _, in := range r.inboundCopy() {
		if in.MessageID == string(resp.EventID) {
			threaded = &in
		}
	}
	if threaded == nil || threaded.ThreadID != string(root) {
		t.Errorf("inbound message of the thread = %+v, want thread id %s", threaded, root)
	}
}
