package store

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

// storeActor owns one stores.Responses.
type storeActor struct {
	cfg Config
	// logger carries the db_path field. openLogger is the same logger
	// without it, for Config.Open, which adds its own.
	logger     *zap.Logger
	openLogger *zap.Logger

	store stores.Responses
	// openErr is the error of the last failed start or open attempt, and
	// nil while the storage is open.
	openErr error
	// retryable is false when openErr is a configuration error.
	retryable bool
	retry     lifecycle.OpenRetry
	closed    bool

	batch  []pendingPut
	parked map[keyID][]parkedBegin

	writeFailing bool
	transactions int
	written      int
}

// pendingPut is a PutResponse waiting for the next group commit. encoded
// is set when it came as a PutEncodedResponse.
type pendingPut struct {
	sender  *actor.PID
	msg     *messages.PutResponse
	encoded bool
}

func newStoreActor(cfg Config, logger *zap.Logger) *storeActor {
	return &storeActor{
		cfg:        cfg,
		logger:     logger.With(zap.String("db_path", cfg.Path)),
		openLogger: logger,
	}
}

// Receive hands each message to a short method.
func (a *storeActor) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		a.start(ctx)
	case *actor.Restarting, *actor.Stopping, *actor.Stopped:
		a.close(ctx)
	case *lifecycle.Reopen:
		if !a.closed && a.store == nil && a.retry.Due(msg) {
			a.open(ctx)
		}
	case *flush:
		a.commit(ctx, msg)
	case *messages.PutResponse:
		a.enqueue(ctx, msg, false)
	case *PutEncodedResponse:
		a.enqueue(ctx, &msg.PutResponse, true)
	default:
		a.flush(ctx)
		a.handleRequest(ctx, msg)
	}
}

// handleRequest serves every request except PutResponse and
// PutEncodedResponse.
func (a *storeActor) handleRequest(ctx actor.Context, msg any) {
	switch msg := msg.(type) {
	case *messages.GetResponse:
		a.get(ctx, msg)
	case *messages.DeleteResponse:
		a.delete(ctx, msg)
	case *messages.GetConversation:
		a.conversation(ctx, msg)
	case *messages.BeginIdempotent:
		a.begin(ctx, msg)
	case *messages.FinishIdempotent:
		a.finish(ctx, msg)
	}
}

func (a *storeActor) start(ctx actor.Context) {
	cfg, err := a.cfg.withDefaults()
	if err != nil {
		a.openErr = err
		a.logger.Error("response store not started: invalid configuration", zap.Error(err))
		return
	}
	a.cfg = cfg
	a.retryable = true
	a.retry = lifecycle.OpenRetry{
		Interval: cfg.RetryOpen, Name: "response store",
		Impact: "requests get store_unavailable until it opens", Logger: a.logger,
	}
	a.open(ctx)
}

// open opens the storage, or records why it cannot and schedules a retry.
func (a *storeActor) open(ctx actor.Context) {
	s, err := a.cfg.Open(a.cfg.Path, a.cfg.MaxResponses, a.openLogger)
	if err == nil && s == nil {
		err = errors.New("Config.Open returned no storage and no error")
	}
	if err != nil {
		a.openFailed(ctx, err)
		return
	}

	a.store = s
	a.openErr = nil
	fields := []zap.Field{zap.Int("max_responses", a.cfg.MaxResponses)}
	if n, err := s.Count(context.Background()); err == nil {
		fields = append(fields, zap.Int("responses", n))
	}
	if j, ok := s.(interface{ JournalMode() stores.JournalMode }); ok {
		fields = append(fields, zap.String("journal_mode", string(j.JournalMode())))
	}
	if n := a.retry.Opened(); n > 0 {
		fields = append(fields, zap.Int("failed_attempts", n))
	}
	a.logger.Info("response store opened", fields...)
}

// openFailed records why the storage cannot be opened and schedules the
// next attempt.
func (a *storeActor) openFailed(ctx actor.Context, err error) {
	a.openErr = err
	a.retry.Failed(ctx, err)
}

// close writes the pending batch, replies to the parked requests, stops the
// retry timer and closes the storage. Only the first call does anything,
// and it never panics, because a panic in a lifecycle handler can restart
// a stopping actor or wedge its parent.
func (a *storeActor) close(ctx actor.Context) {
	if a.closed {
		return
	}
	a.closed = true
	defer func() {
		if r := recover(); r != nil {
			a.logger.Error("panic while closing response store", zap.Any("panic", r))
		}
	}()

	a.retry.Stop()
	a.flush(ctx)
	a.releaseParked(ctx)
	if a.store == nil {
		return
	}
	err := a.store.Close()
	a.store = nil
	if err != nil {
		a.logger.Warn("closing response store failed", zap.Error(err))
		return
	}
	a.logger.Info("response store closed",
		zap.Int("transactions", a.transactions), zap.Int("written", a.written))
}

// unavailable returns the error every request gets while the storage is
// not open.
func (a *storeActor) unavailable() error {
	switch {
	case a.closed:
		return fmt.Errorf("%w: the response store is stopped", messages.ErrStoreUnavailable)
	case a.openErr == nil:
		return fmt.Errorf("%w: the response store is not started", messages.ErrStoreUnavailable)
	case errors.Is(a.openErr, messages.ErrStoreUnavailable):
		return a.openErr
	case !a.retryable:
		return fmt.Errorf("%w: %w", messages.ErrStoreUnavailable, a.openErr)
	}
	return fmt.Errorf("%w: opening %s failed: %w", messages.ErrStoreUnavailable,
		a.cfg.Path, a.openErr)
}

// reply sends msg to the requester. A request sent without a sender gets
// no reply.
func (a *storeActor) reply(ctx actor.Context, to *actor.PID, msg any) {
	if to == nil {
		return
	}
	ctx.Send(to, msg)
}
