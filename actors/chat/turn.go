package chat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/messages"
)

// storeTimeout bounds one request to the sessions store.
const storeTimeout = 30 * time.Second

// agentGrace is added to the agent's deadline for the future's timeout.
// The agent never replies after the deadline, so the future cannot time
// out before a reply that is still on its way (a late reply to a timed-out
// future races inside protoactor-go).
const agentGrace = 5 * time.Second

// Texts the core sends.
const (
	resetText   = "Started a new conversation."
	emptyAnswer = "empty_answer"
)

// handle runs one job and delivers its result, unless the core was
// closed meanwhile: then Done is not called.
func (c *Core) handle(key string, job Job) {
	in := job.Message
	res := c.run(key, in)
	if c.ctx.Err() != nil {
		return
	}
	if !job.Silent && res.Reply != "" {
		ids, err := c.sendParts(c.ctx, Outgoing{
			ChatID: in.ChatID, ThreadID: in.ThreadID, ReplyTo: in.MessageID,
		}, res.Parts)
		if c.ctx.Err() != nil {
			return
		}
		res.MessageIDs = ids
		if err != nil {
			res.Err = errors.Join(res.Err, err)
			c.log.Error("sending reply failed", zap.String("chat_id", in.ChatID),
				zap.String("message_id", in.MessageID), zap.Error(err))
		} else if res.Outcome == Answered && in.MessageID != "" {
			c.markDelivered(key, in.MessageID)
		}
	}
	if c.log.Core().Enabled(zap.DebugLevel) {
		c.log.Debug("message handled", zap.String("chat_id", in.ChatID),
			zap.String("user_id", in.UserID), zap.String("outcome", res.Outcome.String()),
			zap.Int("parts", len(res.Parts)))
	}
	if job.Done != nil {
		job.Done(res)
	}
}

// sendParts sends parts in order as replies to out.ReplyTo (the first part
// only) and stops at the first that fails.
func (c *Core) sendParts(ctx context.Context, out Outgoing, parts []string) ([]string, error) {
	ids := make([]string, 0, len(parts))
	for i, part := range parts {
		o := out
		o.Text = part
		if i > 0 {
			o.ReplyTo = ""
		}
		id, err := c.sender.Send(ctx, o)
		if err != nil {
			return ids, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// run decides what a message gets: a refusal, a command's answer, or the
// agent's answer.
func (c *Core) run(key string, in messages.InboundMessage) Result {
	if !c.cfg.Access.Allowed(in.UserID) {
		return c.refuse(in)
	}
	c.mu.Lock()
	botName := c.botName
	c.mu.Unlock()
	switch ParseCommand(in.Text, botName) {
	case OtherBotCommand:
		return Result{Outcome: Ignored}
	case ResetCommand:
		return c.reset(key)
	}
	if strings.TrimSpace(in.Text) == "" {
		return Result{Outcome: Ignored}
	}
	return c.answer(key, in)
}

func (c *Core) refuse(in messages.InboundMessage) Result {
	res := Result{Outcome: Refused}
	if !c.refused.due(in.UserID, c.cfg.Now()) {
		return res
	}
	c.log.Info("message rejected: user not on the allowlist",
		zap.String("user_id", in.UserID), zap.String("chat_id", in.ChatID))
	setting := c.cfg.Access.Setting
	if setting == "" {
		setting = "the allowlist"
	}
	return c.reply(res, fmt.Sprintf("Sorry, I only talk to approved users. Your user id "+
		"is %s; ask the operator of this bot to add it to %s.", in.UserID, setting))
}

func (c *Core) reset(key string) Result {
	reply, err := ask[*messages.ResetSessionReply](c, c.sessions,
		&messages.ResetSession{RequestID: newRequestID(), Key: key}, storeTimeout)
	if err == nil {
		err = reply.Err
	}
	if err != nil {
		return c.fail(fmt.Errorf("%w: resetting session: %w", ErrSessions, err), "sessions_unavailable")
	}
	return c.reply(Result{Outcome: Reset}, resetText)
}

// answer runs the agent on the session's history and the new message, and
// stores the turn.
func (c *Core) answer(key string, in messages.InboundMessage) Result {
	session, err := ask[*messages.LoadSessionReply](c, c.sessions, &messages.LoadSession{
		RequestID: newRequestID(), Key: key, MaxTurns: c.cfg.HistoryLength, MessageID: in.MessageID,
	}, storeTimeout)
	if err == nil {
		err = session.Err
	}
	if err != nil {
		return c.fail(fmt.Errorf("%w: loading session: %w", ErrSessions, err), "sessions_unavailable")
	}
	if session.Answered {
		return c.replay(in, session)
	}

	user := messages.ChatMessage{Role: "user", Content: c.userContent(in)}
	history := append(session.History, user)
	reply, err := c.runAgent(in, session.SessionID, history)
	if err != nil {
		var aerr *messages.AgentError
		code := "agent_unavailable"
		if errors.As(err, &aerr) {
			code = aerr.Code
		}
		return c.fail(err, code)
	}

	assistant := messages.ChatMessage{Role: "assistant", Content: reply.Text}
	c.storeTurn(key, session.SessionID, in.MessageID, user, assistant)
	return c.reply(Result{Outcome: Answered}, reply.Text)
}

// replay handles a message that came again after a restart stopped its
// first delivery: the stored answer is sent unless it already reached the
// chat, and the agent does not run again.
func (c *Core) replay(in messages.InboundMessage, session *messages.LoadSessionReply) Result {
	fields := []zap.Field{
		zap.String("chat_id", in.ChatID), zap.String("message_id", in.MessageID),
	}
	if session.Delivered {
		c.log.Info("message delivered again; its answer was already sent", fields...)
		return Result{Outcome: Ignored}
	}
	c.log.Info("message delivered again; sending the stored answer", fields...)
	return c.reply(Result{Outcome: Answered}, session.Answer)
}

// userContent is the text of the user's turn. In a group whose session is
// shared by its members, the sender's name is put in front so the agent
// can tell them apart.
func (c *Core) userContent(in messages.InboundMessage) string {
	if in.ChatType == messages.ChatDM || c.cfg.GroupSessionsPerUser {
		return in.Text
	}
	name := in.UserName
	if name == "" {
		name = in.UserID
	}
	return "[" + name + "] " + in.Text
}

// runAgent requests an answer from the agent and returns its reply, or an error
// that is a *messages.AgentError when the run failed.
func (c *Core) runAgent(
	in messages.InboundMessage, sessionID string, history []messages.ChatMessage,
) (*messages.AgentReply, error) {
	if c.agent == nil {
		return nil, fmt.Errorf("%w: no agent is running", ErrAgent)
	}
	req := &messages.AgentRequest{
		RequestID: newRequestID(),
		SessionID: sessionID,
		Messages:  history,
		Deadline:  time.Now().Add(c.cfg.AgentTimeout),
	}
	stopTyping := c.startTyping(in)
	defer stopTyping()
	stopCancel := context.AfterFunc(c.ctx, func() {
		c.root.Send(c.agent, &messages.CancelAgentRequest{RequestID: req.RequestID})
	})
	defer stopCancel()

	reply, err := ask[*messages.AgentReply](c, c.agent, req, c.cfg.AgentTimeout+agentGrace)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrAgent, err)
	case reply.Err != nil:
		return nil, fmt.Errorf("%w: %w", ErrAgent, reply.Err)
	case strings.TrimSpace(reply.Text) == "":
		return nil, fmt.Errorf("%w: %w", ErrAgent, &messages.AgentError{
			Code: emptyAnswer, Message: "the agent returned no text",
		})
	}
	return reply, nil
}

// startTyping calls Config.Typing now and every TypingInterval until the
// returned function is called, and that function waits for the goroutine.
// A call in progress is not cancelled when the agent answers, so that even
// a fast answer is preceded by the indicator. Each call is bounded by the
// interval.
func (c *Core) startTyping(in messages.InboundMessage) func() {
	if c.cfg.Typing == nil {
		return func() {}
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		ticker := time.NewTicker(c.cfg.TypingInterval)
		defer ticker.Stop()
		for {
			ctx, cancel := context.WithTimeout(c.ctx, c.cfg.TypingInterval)
			err := c.cfg.Typing(ctx, in)
			cancel()
			if err != nil && c.ctx.Err() == nil {
				c.log.Debug("typing indicator failed", zap.String("chat_id", in.ChatID),
					zap.Error(err))
			}
			select {
			case <-stop:
				return
			case <-c.ctx.Done():
				return
			case <-ticker.C:
			}
		}
	}()
	return func() {
		close(stop)
		<-done
	}
}

// storeTurn appends the user's message and the answer to the session. A
// failure is logged: the user still gets the answer.
func (c *Core) storeTurn(key, sessionID, messageID string, turns ...messages.ChatMessage) {
	reply, err := ask[*messages.AppendTurnsReply](c, c.sessions, &messages.AppendTurns{
		RequestID: newRequestID(), Key: key, SessionID: sessionID, MessageID: messageID,
		Turns: turns,
	}, storeTimeout)
	if err == nil {
		err = reply.Err
	}
	if err != nil && c.ctx.Err() == nil {
		c.log.Warn("storing the turn failed; the conversation forgets it",
			zap.String("session_id", sessionID), zap.Error(err))
	}
}

// markDelivered records that the answer to messageID reached the chat. A
// failure is logged: at worst the answer is sent again after a restart.
func (c *Core) markDelivered(key, messageID string) {
	reply, err := ask[*messages.MarkDeliveredReply](c, c.sessions, &messages.MarkDelivered{
		RequestID: newRequestID(), Key: key, MessageID: messageID,
	}, storeTimeout)
	if err == nil {
		err = reply.Err
	}
	if err != nil && c.ctx.Err() == nil {
		c.log.Warn("recording the delivery failed; a repeated message may be answered twice",
			zap.String("message_id", messageID), zap.Error(err))
	}
}

// fail returns the apology for a failed message and logs the cause.
func (c *Core) fail(err error, code string) Result {
	if c.ctx.Err() == nil {
		c.log.Warn("message not answered", zap.String("error_code", code), zap.Error(err))
	}
	res := c.reply(Result{Outcome: Failed}, fmt.Sprintf(
		"Sorry, I could not answer that (%s). Please try again in a moment.", code))
	res.Err = err
	return res
}

// reply sets the reply text and its parts.
func (c *Core) reply(res Result, text string) Result {
	res.Reply = text
	res.Parts = Split(text, c.cfg.Limit, c.cfg.Unit)
	return res
}

// ask sends msg to pid and waits for a reply of type T, bounded by
// timeout.
func ask[T any](c *Core, pid *actor.PID, msg any, timeout time.Duration) (T, error) {
	var zero T
	if pid == nil {
		return zero, errors.New("the actor is not running")
	}
	res, err := c.root.RequestFuture(pid, msg, timeout).Result()
	if err != nil {
		return zero, err
	}
	reply, ok := res.(T)
	if !ok {
		return zero, fmt.Errorf("unexpected reply %T to %T", res, msg)
	}
	return reply, nil
}

// newRequestID returns "chat_" and 16 random hex digits.
func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "chat_" + hex.EncodeToString(b[:])
}
