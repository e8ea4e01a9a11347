package matrix

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/actorgate/actorgate/actors/chat"
	"github.com/actorgate/actorgate/messages"
)

// typingTimeout is how long the homeserver shows the typing indicator
// after each notice. The chat core renews it every
// chat.DefaultTypingInterval while the agent works, and it lapses soon
// after the answer.
const typingTimeout = 2 * chat.DefaultTypingInterval

// defaultRetryAfter is the wait after a 429 answer that names none.
const defaultRetryAfter = time.Second

// send sends one m.text message for the chat core and returns its event
// id. A retry of a failed send reuses the transaction id of the first
// attempt, so the homeserver stores the message once even when only its
// answer was lost.
func (c *conn) send(ctx context.Context, out chat.Outgoing) (string, error) {
	if !c.ready.Load() {
		return "", ErrNotConnected
	}
	key := txnKey(out)
	txnID := c.txns.get(key)
	rctx, cancel := context.WithTimeout(ctx, c.s.RequestTimeout)
	defer cancel()
	resp, err := c.cli.SendMessageEvent(rctx, id.RoomID(out.ChatID), event.EventMessage,
		c.content(out), mautrix.ReqSendEvent{TransactionID: txnID})
	if err != nil {
		return "", sendError(err)
	}
	c.txns.done(key)
	return string(resp.EventID), nil
}

// content builds the event content of out: a reply to out.ReplyTo that
// mentions its sender, inside the thread out.ThreadID when set.
func (c *conn) content(out chat.Outgoing) *event.MessageEventContent {
	msg := &event.MessageEventContent{
		MsgType:  event.MsgText,
		Body:     stripControls(out.Text),
		Mentions: &event.Mentions{},
	}
	if out.ThreadID == "" && out.ReplyTo == "" {
		return msg
	}
	rel := &event.RelatesTo{}
	if out.ThreadID != "" {
		rel.SetThread(id.EventID(out.ThreadID), "")
	}
	if out.ReplyTo != "" {
		rel.SetReplyTo(id.EventID(out.ReplyTo))
		if sender := c.senders.get(id.EventID(out.ReplyTo)); sender != "" {
			msg.Mentions.UserIDs = []id.UserID{sender}
		}
	}
	msg.RelatesTo = rel
	return msg
}

// typing shows the typing indicator in the room of in.
func (c *conn) typing(ctx context.Context, in messages.InboundMessage) error {
	if !c.ready.Load() {
		return ErrNotConnected
	}
	rctx, cancel := context.WithTimeout(ctx, c.s.RequestTimeout)
	defer cancel()
	_, err := c.cli.UserTyping(rctx, id.RoomID(in.ChatID), true, typingTimeout)
	return err
}

// sendError types a failed send for the chat sender: a rate limit waits
// for the time the homeserver names, network and server errors are
// retried, and any other refusal (not in the room, too large) is
// permanent.
func sendError(err error) error {
	status := httpStatus(err)
	switch {
	case status == http.StatusTooManyRequests:
		return chat.RetryAfter(retryAfter(err), err)
	case transientStatus(status):
		return err
	}
	return chat.Permanent(err)
}

// retryAfter returns the wait a 429 answer asks for: retry_after_ms in
// the body, else the Retry-After header in seconds, else
// defaultRetryAfter.
func retryAfter(err error) time.Duration {
	var herr mautrix.HTTPError
	if !errors.As(err, &herr) {
		return defaultRetryAfter
	}
	if herr.RespError != nil {
		if ms, ok := herr.RespError.ExtraData["retry_after_ms"].(float64); ok && ms >= 0 {
			return time.Duration(ms) * time.Millisecond
		}
	}
	if herr.Response != nil {
		if s, err := strconv.Atoi(herr.Response.Header.Get("Retry-After")); err == nil && s >= 0 {
			return time.Duration(s) * time.Second
		}
	}
	return defaultRetryAfter
}

// stripControls removes the C0 control characters other than newline and
// tab, and DEL. They show as nothing in clients, and JSON writes each as a
// six-byte escape, which could push a part of DefaultLimit bytes past the
// homeserver's event size limit.
func stripControls(s string) string {
	return strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f {
			return -1
		}
		return r
	}, s)
}
