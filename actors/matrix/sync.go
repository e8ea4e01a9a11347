package matrix

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"
	"maunium.net/go/mautrix"

	"github.com/actorgate/actorgate/messages"
)

// syncFilter is the inline filter of every sync: the timelines of the
// rooms, up to DefaultTimelineLimit events each, and none of the
// presence, typing, receipt or account data events the adapter ignores.
// An empty types list matches no event type.
var syncFilter = fmt.Sprintf(`{"room":{"timeline":{"limit":%d},"ephemeral":{"types":[]},`+
	`"account_data":{"types":[]}},"presence":{"types":[]},"account_data":{"types":[]}}`,
	DefaultTimelineLimit)

// maxRateLimitWait bounds how long the loop waits when the homeserver
// rate-limits /sync. A longer wait fails the connection instead.
const maxRateLimitWait = 5 * time.Minute

// syncResult is one outcome of the fetch goroutine: a batch, or the error
// that ended it.
type syncResult struct {
	resp *mautrix.RespSync
	// initial is set for a sync without a since token, whose timelines
	// are history and are not answered.
	initial bool
	err     *messages.PlatformError
}

// syncLoop runs the fetch goroutine, which keeps syncing, and hands each
// batch to the tracker, which answers the messages and stores the cursor
// (see tracker). Syncing goes on while the agent works, so a lost
// connection is noticed at once, and a slow answer in one room does not
// hold up the others. It returns when the conn is stopped (nil) or fails.
func (c *conn) syncLoop(cur cursor) *messages.PlatformError {
	if cur.nextBatch == "" {
		c.log.Info("no sync cursor stored; skipping the history of the joined rooms")
	}
	ctx, stopFetch := context.WithCancel(c.ctx)
	results := make(chan syncResult)
	fetched := make(chan struct{})
	go func() {
		defer close(fetched)
		c.fetch(ctx, cur.nextBatch, results)
	}()
	defer func() {
		stopFetch()
		<-fetched
	}()
	c.tracker = newTracker(cur)
	return c.track(c.tracker, results)
}

// fetch syncs from since until ctx ends or a sync fails in a way it
// cannot handle, and sends each batch, then the error, to out.
func (c *conn) fetch(ctx context.Context, since string, out chan<- syncResult) {
	for ctx.Err() == nil {
		resp, err := c.syncOnce(ctx, since)
		if ctx.Err() != nil {
			return
		}
		res := syncResult{resp: resp, initial: since == ""}
		if err != nil {
			var perr *messages.PlatformError
			if since, perr = c.syncFailed(ctx, since, err); perr == nil {
				continue
			}
			res = syncResult{err: perr}
		}
		select {
		case out <- res:
		case <-ctx.Done():
			return
		}
		if res.err != nil {
			return
		}
		since = resp.NextBatch
	}
}

// syncOnce sends one /sync request. The first sync of an account returns
// at once, and later ones wait up to SyncTimeout for new events.
func (c *conn) syncOnce(ctx context.Context, since string) (*mautrix.RespSync, error) {
	wait := c.s.SyncTimeout
	if since == "" {
		wait = 0
	}
	ctx, cancel := context.WithTimeout(ctx, wait+c.s.RequestTimeout)
	defer cancel()
	return c.cli.FullSyncRequest(ctx, mautrix.ReqSync{
		Timeout: int(wait.Milliseconds()), Since: since, FilterID: syncFilter,
	})
}

// syncFailed decides what a failed sync means. It returns the token to
// sync from next and nil to go on, or the error to escalate.
func (c *conn) syncFailed(
	ctx context.Context, since string, err error,
) (string, *messages.PlatformError) {
	status := httpStatus(err)
	switch {
	case status == http.StatusTooManyRequests && retryAfter(err) <= maxRateLimitWait:
		wait := retryAfter(err)
		c.log.Warn("homeserver rate-limited the sync; waiting", zap.Duration("retry_in", wait))
		sleep(ctx, wait)
		return since, nil
	case status == http.StatusUnauthorized:
		return since, c.tokenRevoked(err)
	case status >= 400 && status < 500 && since != "":
		// The homeserver no longer knows the token, for example after its
		// database was reset. Starting over skips what happened meanwhile.
		c.log.Warn("homeserver rejected the sync cursor; starting a fresh sync, messages "+
			"sent while the adapter was away will not be answered",
			zap.Int("status", status), zap.String("error_code", errCode(err, status)))
		return "", nil
	}
	return since, &messages.PlatformError{
		Platform: Name, Code: CodeSyncFailed, Retryable: true, Cause: err,
		Message: "syncing with the homeserver at " + c.s.Matrix.Homeserver + " failed",
	}
}

// tokenRevoked is the error for a 401 during sync: fatal for a configured
// access token, retryable after a password login (the restart logs in
// again).
func (c *conn) tokenRevoked(err error) *messages.PlatformError {
	if strings.TrimSpace(c.s.Matrix.AccessToken) == "" {
		return &messages.PlatformError{
			Platform: Name, Code: CodeSyncFailed, Retryable: true, Cause: err,
			Message: "the homeserver ended the login session; logging in again",
		}
	}
	return invalid(CodeTokenInvalid, "the homeserver no longer accepts MATRIX_ACCESS_TOKEN "+
		"(platforms.matrix.access_token), for example because the device was logged out; set "+
		"a new access token of "+c.s.Matrix.UserID)
}

// sleep waits for d, or less when ctx ends first.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
