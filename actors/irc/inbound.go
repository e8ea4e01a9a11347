package irc

import (
	"context"
	"errors"
	"strings"
	"sync"

	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/chat"
	"github.com/actorgate/actorgate/actors/irc/ircconn"
	"github.com/actorgate/actorgate/messages"
)

// inbound hands a message for the bot to the chat core. Nicks are the
// user and chat ids, in lower case, because IRC compares nicks without
// case; the allowlist is lowered the same way.
func (a *Adapter) inbound(in *ircconn.Inbound) {
	nick := strings.ToLower(in.Nick)
	msg := messages.InboundMessage{
		Platform:  Name,
		ChatType:  messages.ChatDM,
		ChatID:    nick,
		UserID:    nick,
		UserName:  in.Nick,
		MessageID: a.nextMessageID(),
		Text:      bangCommand(in.Text),
		Time:      in.Time,
	}
	if in.Channel != "" {
		msg.ChatType = messages.ChatGroup
		msg.ChatID = strings.ToLower(in.Channel)
		a.askers.add(msg.MessageID, in.Nick)
	}

	id := msg.MessageID
	err := a.core.Submit(chat.Job{Message: msg, Done: func(chat.Result) { a.askers.remove(id) }})
	if err != nil {
		a.askers.remove(id)
		a.log.Warn("message dropped", zap.String("chat_id", msg.ChatID),
			zap.String("user_id", msg.UserID), zap.Error(err))
		return
	}
	if a.log.Core().Enabled(zap.DebugLevel) {
		a.log.Debug("message received", zap.String("chat_id", msg.ChatID),
			zap.String("user_id", msg.UserID), zap.String("message_id", id))
	}
}

// bangCommand turns "!new" and "!reset", the IRC way of writing bot
// commands, into "/new" and "/reset": most IRC clients run a line that
// starts with "/" as a client command instead of sending it.
func bangCommand(text string) string {
	word, _, _ := strings.Cut(strings.TrimSpace(text), " ")
	switch strings.ToLower(word) {
	case "!new", "!reset":
		return "/" + strings.TrimSpace(text)[1:]
	}
	return text
}

// send is the chat core's SendFunc: it writes one answer part as PRIVMSG
// lines. The first part of a channel answer starts with "nick: ", so that
// the asker sees it is theirs. IRC has no message ids, so the id is empty.
func (a *Adapter) send(ctx context.Context, out chat.Outgoing) (string, error) {
	conn, err := a.link.connection(ctx)
	if err != nil {
		return "", chat.Permanent(err)
	}
	text := out.Text
	if out.ReplyTo != "" && ircconn.IsChannel(out.ChatID) {
		if nick, ok := a.askers.nick(out.ReplyTo); ok {
			text = nick + ": " + text
		}
	}
	if _, err := conn.Privmsg(ctx, out.ChatID, text); err != nil {
		// A bad target cannot be fixed by a retry, and a connection that
		// ended stays ended: the adapter restarts and reconnects.
		if errors.Is(err, ircconn.ErrInvalidParam) || errors.Is(err, ircconn.ErrInvalidConfig) ||
			conn.Err() != nil {
			return "", chat.Permanent(err)
		}
		return "", err
	}
	return "", nil
}

// askers maps the message ids of channel messages in progress to the
// nick that sent them, for the "nick: " in front of the answer.
type askers struct {
	mu    sync.Mutex
	nicks map[string]string
}

func newAskers() *askers { return &askers{nicks: make(map[string]string)} }

func (k *askers) add(messageID, nick string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.nicks[messageID] = nick
}

func (k *askers) remove(messageID string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.nicks, messageID)
}

func (k *askers) nick(messageID string) (string, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	nick, ok := k.nicks[messageID]
	return nick, ok
}
