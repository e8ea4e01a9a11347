package matrix

import (
	"errors"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/actorgate/actorgate/messages"
)

// collect returns the messages of a sync batch that the bot answers, room
// by room in room id order and in timeline order within a room. The first
// sync of an account (initial) only learns the rooms: its timelines are
// history from before the adapter ran, and are not answered.
func (c *conn) collect(resp *mautrix.RespSync, initial bool) []messages.InboundMessage {
	rooms := make([]id.RoomID, 0, len(resp.Rooms.Join))
	for roomID := range resp.Rooms.Join {
		rooms = append(rooms, roomID)
	}
	slices.Sort(rooms)
	var out []messages.InboundMessage
	for _, roomID := range rooms {
		room := resp.Rooms.Join[roomID]
		c.noteMembers(roomID, room)
		if initial {
			continue
		}
		out = append(out, c.roomMessages(roomID, room.Timeline)...)
	}
	return out
}

// roomMessages returns the messages of one room's timeline that come
// after the bot's own join (a room just joined shows some history before
// it) and that the bot answers.
func (c *conn) roomMessages(roomID id.RoomID, timeline mautrix.SyncTimeline) []messages.InboundMessage {
	start := -1
	for i, evt := range timeline.Events {
		if isJoinOf(evt, c.cli.UserID) {
			start = i
		}
	}
	if timeline.Limited && start < 0 {
		// NOTE: the gap before a cut timeline is not fetched with
		// /messages, so more than DefaultTimelineLimit events in one room
		// while the adapter was away lose the oldest ones.
		c.log.Warn("sync cut a room's timeline short; the older messages of the gap are not "+
			"answered", zap.String("room_id", string(roomID)),
			zap.Int("timeline_limit", DefaultTimelineLimit))
	}
	var out []messages.InboundMessage
	chatType := ""
	for _, evt := range timeline.Events[start+1:] {
		in, ok := c.inbound(roomID, evt)
		if !ok {
			continue
		}
		if chatType == "" {
			chatType = c.chatType(roomID)
		}
		in.ChatType = chatType
		out = append(out, in)
	}
	return out
}

// inbound turns a timeline event into a message for the chat core. It
// reports false for anything the bot does not answer: its own messages,
// other event types, edits, and message types other than m.text (notices
// are what bots send, so answering them would start bot loops).
func (c *conn) inbound(roomID id.RoomID, evt *event.Event) (messages.InboundMessage, bool) {
	if evt.Sender == c.cli.UserID {
		return messages.InboundMessage{}, false
	}
	if evt.Type.Type == event.EventEncrypted.Type {
		c.warnEncrypted(roomID)
		return messages.InboundMessage{}, false
	}
	if evt.Type.Type != event.EventMessage.Type {
		return messages.InboundMessage{}, false
	}
	msg, ok := parseMessage(evt)
	if !ok || msg.MsgType != event.MsgText || msg.RelatesTo.GetReplaceID() != "" {
		return messages.InboundMessage{}, false
	}
	text := msg.Body
	if msg.RelatesTo.GetReplyTo() != "" {
		text = event.TrimReplyFallbackText(text)
	}
	if strings.TrimSpace(text) == "" {
		return messages.InboundMessage{}, false
	}
	c.senders.put(evt.ID, evt.Sender)
	return messages.InboundMessage{
		Platform:  Name,
		ChatID:    string(roomID),
		ThreadID:  string(msg.RelatesTo.GetThreadParent()),
		UserID:    string(evt.Sender),
		UserName:  localpart(string(evt.Sender)),
		MessageID: string(evt.ID),
		Text:      text,
		Time:      time.UnixMilli(evt.Timestamp),
	}, true
}

// parseMessage returns the content of an m.room.message event, or false
// when it cannot be read.
func parseMessage(evt *event.Event) (*event.MessageEventContent, bool) {
	if err := evt.Content.ParseRaw(evt.Type); err != nil &&
		!errors.Is(err, event.ErrContentAlreadyParsed) {
		return nil, false
	}
	msg, ok := evt.Content.Parsed.(*event.MessageEventContent)
	return msg, ok && msg != nil
}

// isJoinOf reports whether evt is user's join to the room, not a profile
// change of a member who had joined already.
func isJoinOf(evt *event.Event, user id.UserID) bool {
	if evt.Type.Type != event.StateMember.Type || evt.GetStateKey() != string(user) ||
		membership(evt) != event.MembershipJoin {
		return false
	}
	prev := evt.Unsigned.PrevContent
	if prev == nil {
		return true
	}
	if err := prev.ParseRaw(event.StateMember); err != nil &&
		!errors.Is(err, event.ErrContentAlreadyParsed) {
		return true
	}
	return prev.AsMember().Membership != event.MembershipJoin
}

// noteMembers keeps the joined member count of a room up to date: the
// summary carries it when it changed, and a membership event without a
// summary makes it unknown until chatType asks the homeserver.
func (c *conn) noteMembers(roomID id.RoomID, room *mautrix.SyncJoinedRoom) {
	if n := room.Summary.JoinedMemberCount; n != nil {
		c.members[roomID] = *n
		return
	}
	for _, list := range [][]*event.Event{room.State.Events, room.Timeline.Events} {
		for _, evt := range list {
			if evt.Type.Type == event.StateMember.Type {
				delete(c.members, roomID)
				return
			}
		}
	}
}

// chatType returns dm for a room of two joined members (the bot and one
// user) and group otherwise. When the count is unknown and the
// homeserver cannot be asked, the room counts as a group.
func (c *conn) chatType(roomID id.RoomID) string {
	n, ok := c.members[roomID]
	if !ok {
		ctx, cancel := c.requestContext()
		resp, err := c.cli.JoinedMembers(ctx, roomID)
		cancel()
		if err != nil {
			c.log.Warn("reading a room's members failed; treating it as a group",
				zap.String("room_id", string(roomID)), zap.Error(err))
			return messages.ChatGroup
		}
		n = len(resp.Joined)
		c.members[roomID] = n
	}
	if n == 2 {
		return messages.ChatDM
	}
	return messages.ChatGroup
}

// warnEncrypted logs once per room and conn that encrypted messages are
// not answered.
func (c *conn) warnEncrypted(roomID id.RoomID) {
	if c.encrypted[roomID] {
		return
	}
	c.encrypted[roomID] = true
	c.log.Warn("encrypted message ignored: end-to-end encryption is not supported; use an "+
		"unencrypted room", zap.String("room_id", string(roomID)))
}
