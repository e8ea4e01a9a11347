package matrix

import (
	"errors"
	"slices"

	"go.uber.org/zap"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// acceptInvites joins the rooms that an allowed user invited the bot to,
// in room id order, and ignores the other invites. It returns the error
// of a join that may work later. A join that the homeserver refused is
// logged and skipped.
func (c *conn) acceptInvites(invites map[id.RoomID]*mautrix.SyncInvitedRoom) error {
	rooms := make([]id.RoomID, 0, len(invites))
	for roomID := range invites {
		rooms = append(rooms, roomID)
	}
	slices.Sort(rooms)
	for _, roomID := range rooms {
		inviter := inviterOf(invites[roomID], c.cli.UserID)
		if !c.access.Allowed(string(inviter)) {
			c.log.Info("invite from a user not on the allowlist ignored",
				zap.String("room_id", string(roomID)), zap.String("user_id", string(inviter)))
			continue
		}
		if err := c.join(roomID, inviter); err != nil {
			return err
		}
	}
	return nil
}

func (c *conn) join(roomID id.RoomID, inviter id.UserID) error {
	ctx, cancel := c.requestContext()
	defer cancel()
	_, err := c.cli.JoinRoomByID(ctx, roomID)
	status := httpStatus(err)
	switch {
	case err == nil:
		delete(c.members, roomID)
		c.log.Info("joined room on invite", zap.String("room_id", string(roomID)),
			zap.String("user_id", string(inviter)))
		return nil
	case transientStatus(status):
		return err
	}
	c.log.Warn("homeserver refused to join an invited room; ignoring the invite",
		zap.String("room_id", string(roomID)), zap.String("user_id", string(inviter)),
		zap.Int("status", status), zap.String("error_code", errCode(err, status)))
	return nil
}

// inviterOf returns the sender of the invite of self, found in the room's
// stripped invite state, or "" when it is missing.
func inviterOf(room *mautrix.SyncInvitedRoom, self id.UserID) id.UserID {
	if room == nil {
		return ""
	}
	for _, evt := range room.State.Events {
		if evt.Type.Type != event.StateMember.Type || evt.GetStateKey() != string(self) {
			continue
		}
		if membership(evt) == event.MembershipInvite {
			return evt.Sender
		}
	}
	return ""
}

// membership returns the membership of a member event, or "" when its
// content cannot be read.
func membership(evt *event.Event) event.Membership {
	if err := evt.Content.ParseRaw(evt.Type); err != nil &&
		!errors.Is(err, event.ErrContentAlreadyParsed) {
		return ""
	}
	return evt.Content.AsMember().Membership
}
