package sessions

import (
	"context"
	"errors"
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/lifecycle"
	"github.com/actorgate/actorgate/messages"
	"github.com/actorgate/actorgate/stores"
)

// sessionsActor owns one stores.Sessions.
type sessionsActor struct {
	cfg    Config
	logger *zap.Logger

	store     stores.Sessions
	openErr   error
	retryable bool
	retry     lifecycle.OpenRetry
	closed    bool
	failing   bool
}

func newActor(cfg Config, logger *zap.Logger) *sessionsActor {
	return &sessionsActor{cfg: cfg, logger: logger.With(zap.String("db_path", cfg.Path))}
}

// Receive hands each message to a short method.
func (a *sessionsActor) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		a.start(ctx)
	case *actor.Restarting, *actor.Stopping, *actor.Stopped:
		a.close()
	case *lifecycle.Reopen:
		if !a.closed && a.store == nil && a.retry.Due(msg) {
			a.open(ctx)
		}
	case *messages.LoadSession:
		a.load(ctx, msg)
	case *messages.AppendTurns:
		a.append(ctx, msg)
	case *messages.MarkDelivered:
		a.markDelivered(ctx, msg)
	case *messages.ResetSession:
		a.reset(ctx, msg)
	case *messages.GetCursor:
		a.getCursor(ctx, msg)
	case *messages.SetCursor:
		a.setCursor(ctx, msg)
	}
}

func (a *sessionsActor) start(ctx actor.Context) {
	cfg, err := a.cfg.withDefaults()
	if err != nil {
		a.openErr = err
		a.logger.Error("sessions store not started: invalid configuration", zap.Error(err))
		return
	}
	a.cfg = cfg
	a.retryable = true
	a.retry = lifecycle.OpenRetry{
		Interval: cfg.RetryOpen, Name: "sessions store",
		Impact: "chat messages get an apology until it opens", Logger: a.logger,
	}
	a.open(ctx)
}

// open opens the storage, or records why it cannot and schedules a retry.
func (a *sessionsActor) open(ctx actor.Context) {
	s, err := a.cfg.Open(a.cfg.Path, a.logger)
	if err == nil && s == nil {
		err = errors.New("Config.Open returned no storage and no error")
	}
	if err != nil {
		a.openFailed(ctx, err)
		return
	}
	a.store, a.openErr = s, nil
	fields := []zap.Field{
		zap.Duration("idle_timeout", a.cfg.Sessions.IdleTimeout),
		zap.Int("reset_hour", a.cfg.Sessions.ResetHour),
		zap.Int("history_length", a.cfg.Sessions.HistoryLength),
	}
	if n := a.retry.Opened(); n > 0 {
		fields = append(fields, zap.Int("failed_attempts", n))
	}
	a.logger.Info("sessions store opened", fields...)
}

// openFailed records why the storage cannot be opened and schedules the
// next attempt.
func (a *sessionsActor) openFailed(ctx actor.Context, err error) {
	a.openErr = err
	a.retry.Failed(ctx, err)
}

// close stops the retry timer and closes the storage. Only the first call
// does anything, and it never panics: a panic in a lifecycle handler can
// restart a stopping actor or wedge its parent.
func (a *sessionsActor) close() {
	if a.closed {
		return
	}
	a.closed = true
	defer func() {
		if r := recover(); r != nil {
			a.logger.Error("panic while closing sessions store", zap.Any("panic", r))
		}
	}()
	a.retry.Stop()
	if a.store == nil {
		return
	}
	err := a.store.Close()
	a.store = nil
	if err != nil {
		a.logger.Warn("closing sessions store failed", zap.Error(err))
		return
	}
	a.logger.Info("sessions store closed")
}

// unavailable returns the error every request gets while the storage is
// not open.
func (a *sessionsActor) unavailable() error {
	switch {
	case a.closed:
		return fmt.Errorf("%w: the sessions store is stopped", messages.ErrStoreUnavailable)
	case a.openErr == nil:
		return fmt.Errorf("%w: the sessions store is not started", messages.ErrStoreUnavailable)
	case errors.Is(a.openErr, messages.ErrStoreUnavailable):
		return a.openErr
	case !a.retryable:
		return fmt.Errorf("%w: %w", messages.ErrStoreUnavailable, a.openErr)
	}
	return fmt.Errorf("%w: opening %s failed: %w", messages.ErrStoreUnavailable,
		a.cfg.Path, a.openErr)
}

// noteWrite logs the start and the end of a run of failing writes once
// each, so that a full disk does not log one line per message.
func (a *sessionsActor) noteWrite(err error) {
	failing := errors.Is(err, messages.ErrStoreUnavailable)
	switch {
	case failing && !a.failing:
		a.logger.Warn("sessions store write failed; the next write retries", zap.Error(err))
	case !failing && a.failing && err == nil:
		a.logger.Info("sessions store writes succeed again")
	}
	if failing || err == nil {
		a.failing = failing
	}
}

// respond replies to the requester; a request sent without a sender gets
// no reply.
func respond(ctx actor.Context, msg any) {
	if ctx.Sender() != nil {
		ctx.Respond(msg)
	}
}

func (a *sessionsActor) load(ctx actor.Context, msg *messages.LoadSession) {
	reply := &messages.LoadSessionReply{RequestID: msg.RequestID}
	if a.store == nil {
		reply.Err = a.unavailable()
		respond(ctx, reply)
		return
	}
	p := a.cfg.policy(a.cfg.Now(), msg.MaxTurns)
	p.MessageID = msg.MessageID
	h, err := a.store.Load(context.Background(), msg.Key, p)
	a.noteWrite(err)
	reply.SessionID, reply.History, reply.Err = h.SessionID, h.Turns, err
	reply.Fresh, reply.FreshReason = h.Fresh, h.FreshReason
	reply.Answered, reply.Answer, reply.Delivered = h.Answered, h.Answer, h.Delivered
	if h.Fresh && h.FreshReason != messages.SessionNew {
		a.logger.Debug("session expired; started a fresh one",
			zap.String("reason", h.FreshReason), zap.String("session_id", h.SessionID))
	}
	respond(ctx, reply)
}

func (a *sessionsActor) append(ctx actor.Context, msg *messages.AppendTurns) {
	err := a.unavailable()
	if a.store != nil {
		err = a.store.Append(context.Background(), msg.Key, msg.SessionID, msg.MessageID, msg.Turns)
		a.noteWrite(err)
	}
	respond(ctx, &messages.AppendTurnsReply{RequestID: msg.RequestID, Err: err})
}

func (a *sessionsActor) markDelivered(ctx actor.Context, msg *messages.MarkDelivered) {
	err := a.unavailable()
	if a.store != nil {
		err = a.store.MarkDelivered(context.Background(), msg.Key, msg.MessageID)
		a.noteWrite(err)
	}
	respond(ctx, &messages.MarkDeliveredReply{RequestID: msg.RequestID, Err: err})
}

func (a *sessionsActor) reset(ctx actor.Context, msg *messages.ResetSession) {
	reply := &messages.ResetSessionReply{RequestID: msg.RequestID, Err: a.unavailable()}
	if a.store != nil {
		reply.SessionID, reply.Err = a.store.Reset(context.Background(), msg.Key)
		a.noteWrite(reply.Err)
	}
	respond(ctx, reply)
}

func (a *sessionsActor) getCursor(ctx actor.Context, msg *messages.GetCursor) {
	reply := &messages.GetCursorReply{RequestID: msg.RequestID, Err: a.unavailable()}
	if a.store != nil {
		reply.Value, reply.Found, reply.Err = a.store.Cursor(context.Background(),
			msg.Platform, msg.Name)
	}
	respond(ctx, reply)
}

func (a *sessionsActor) setCursor(ctx actor.Context, msg *messages.SetCursor) {
	err := a.unavailable()
	if a.store != nil {
		err = a.store.SetCursor(context.Background(), msg.Platform, msg.Name, msg.Value)
		a.noteWrite(err)
	}
	respond(ctx, &messages.SetCursorReply{RequestID: msg.RequestID, Err: err})
}
