package telegram

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/actorgate/actorgate/actors/chat"
	"github.com/actorgate/actorgate/messages"
)

// inbound turns an update into a message for the chat core. It reports
// false for updates the bot does not answer: anything but a text message
// from a person, and group messages not addressed to the bot (neither a
// command, nor a reply to the bot, nor a mention of @botname).
func (a *Adapter) inbound(u models.Update) (messages.InboundMessage, bool) {
	m := u.Message
	if m == nil || m.From == nil || m.From.IsBot || strings.TrimSpace(m.Text) == "" {
		return messages.InboundMessage{}, false
	}
	in := messages.InboundMessage{
		Platform:  Name,
		ChatID:    strconv.FormatInt(m.Chat.ID, 10),
		UserID:    strconv.FormatInt(m.From.ID, 10),
		UserName:  userName(m.From),
		MessageID: strconv.Itoa(m.ID),
		Text:      m.Text,
		Time:      time.Unix(int64(m.Date), 0),
	}
	if m.IsTopicMessage && m.MessageThreadID != 0 {
		in.ThreadID = strconv.Itoa(m.MessageThreadID)
	}
	switch m.Chat.Type {
	case models.ChatTypePrivate:
		in.ChatType = messages.ChatDM
		return in, true
	case models.ChatTypeGroup, models.ChatTypeSupergroup:
		in.ChatType = messages.ChatGroup
	default:
		return messages.InboundMessage{}, false
	}
	text, addressed := a.addressed(m)
	in.Text = text
	return in, addressed
}

// addressed reports whether a group message is meant for the bot, and
// returns its text without the @botname mention.
func (a *Adapter) addressed(m *models.Message) (string, bool) {
	text := m.Text
	if strings.HasPrefix(strings.TrimSpace(text), "/") {
		return text, true
	}
	if a.me == nil {
		return text, false
	}
	if r := m.ReplyToMessage; r != nil && r.From != nil && r.From.ID == a.me.ID {
		return text, true
	}
	if a.me.Username == "" {
		return text, false
	}
	mention := regexp.MustCompile(`(?i)@` + regexp.QuoteMeta(a.me.Username) + `\b`)
	if !mention.MatchString(text) {
		return text, false
	}
	return strings.TrimSpace(mention.ReplaceAllString(text, "")), true
}

func userName(u *models.User) string {
	if u.Username != "" {
		return u.Username
	}
	return strings.TrimSpace(u.FirstName + " " + u.LastName)
}

// send is the core's SendFunc: one sendMessage, in the thread, replying
// to out.ReplyTo when set.
func (a *Adapter) send(ctx context.Context, out chat.Outgoing) (string, error) {
	params := &bot.SendMessageParams{ChatID: chatID(out.ChatID), Text: out.Text}
	if thread, err := strconv.Atoi(out.ThreadID); err == nil {
		params.MessageThreadID = thread
	}
	if reply, err := strconv.Atoi(out.ReplyTo); err == nil {
		params.ReplyParameters = &models.ReplyParameters{
			MessageID: reply, AllowSendingWithoutReply: true,
		}
	}
	msg, err := a.bot.SendMessage(ctx, params)
	if err != nil {
		return "", sendError(err)
	}
	return strconv.Itoa(msg.ID), nil
}

// typing shows the typing indicator in the message's chat and thread.
func (a *Adapter) typing(ctx context.Context, in messages.InboundMessage) error {
	params := &bot.SendChatActionParams{ChatID: chatID(in.ChatID), Action: models.ChatActionTyping}
	if thread, err := strconv.Atoi(in.ThreadID); err == nil {
		params.MessageThreadID = thread
	}
	_, err := a.bot.SendChatAction(ctx, params)
	return err
}

// chatID passes a numeric chat id as a number and anything else, such as
// @channelname, as text.
func chatID(id string) any {
	if n, err := strconv.ParseInt(id, 10, 64); err == nil {
		return n
	}
	return id
}

// sendError classifies a sendMessage error for the chat sender: 429 waits
// retry_after, client errors are permanent, the rest is retried.
func sendError(err error) error {
	var tooMany *bot.TooManyRequestsError
	var migrate *bot.MigrateError
	switch {
	case errors.As(err, &tooMany):
		return chat.RetryAfter(time.Duration(tooMany.RetryAfter)*time.Second, err)
	case errors.As(err, &migrate),
		errors.Is(err, bot.ErrorBadRequest), errors.Is(err, bot.ErrorForbidden),
		errors.Is(err, bot.ErrorUnauthorized), errors.Is(err, bot.ErrorNotFound):
		return chat.Permanent(err)
	}
	return err
}
