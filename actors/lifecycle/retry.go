package lifecycle

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"
)

// Reopen is the message an OpenRetry sends to its actor when the next
// attempt to open the resource is due. The actor passes it to Due.
type Reopen struct{ token *openToken }

// openToken ties a Reopen to one scheduled attempt.
type openToken struct{}

// OpenRetry paces an actor's attempts to open a resource that failed to
// open, such as a database, and logs the failures without flooding the log.
// It belongs to one actor instance and is used from its Receive only.
type OpenRetry struct {
	// Interval is the delay before the next attempt.
	Interval time.Duration
	// Name names the resource in log lines, such as "response store".
	Name string
	// Impact describes what callers get until the resource opens, for the first
	// error line, such as "requests get store_unavailable until it opens".
	Impact string
	Logger *zap.Logger

	attempts int
	timer    *time.Timer
	token    *openToken
}

// Failed records a failed attempt and logs it: the first as an error, then
// one warning each time the count of attempts doubles. It sends Reopen to
// the actor after Interval from a timer, not with SetReceiveTimeout, whose
// timer races in the pinned protoactor-go version.
func (r *OpenRetry) Failed(ctx actor.Context, err error) {
	r.attempts++
	switch {
	case r.attempts == 1:
		r.Logger.Error("cannot open "+r.Name+"; "+r.Impact,
			zap.Error(err), zap.Duration("retry_in", r.Interval))
	case r.attempts&(r.attempts-1) == 0:
		r.Logger.Warn(r.Name+" still cannot be opened",
			zap.Error(err), zap.Int("attempts", r.attempts))
	}

	token := &openToken{}
	r.token = token
	root, self := ctx.ActorSystem().Root, ctx.Self()
	r.timer = time.AfterFunc(r.Interval, func() { root.Send(self, &Reopen{token: token}) })
}

// Due reports whether msg is the Reopen of the attempt scheduled last. A
// Reopen from an earlier instance's timer, or one that arrives after Stop,
// is not due.
func (r *OpenRetry) Due(msg *Reopen) bool {
	if r.token == nil || msg.token != r.token {
		return false
	}
	r.token, r.timer = nil, nil
	return true
}

// Opened resets the count after a successful open and returns the number
// of failed attempts before it.
func (r *OpenRetry) Opened() int {
	n := r.attempts
	r.attempts = 0
	return n
}

// Stop cancels the scheduled attempt, if any.
func (r *OpenRetry) Stop() {
	if r.timer != nil {
		r.timer.Stop()
	}
	r.token, r.timer = nil, nil
}
