package chat

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Compare with errors.Is.
var (
	// ErrClosed is returned by Submit and Send after Close.
	ErrClosed = errors.New("chat core is closed")
	// ErrSendFailed wraps the last error of a message that could not be
	// sent: a permanent error, or a transient one that outlasted the
	// retries.
	ErrSendFailed = errors.New("sending message failed")
	// ErrCloseTimeout is returned by Close when the cancelled turns did
	// not end within DefaultCloseWait.
	ErrCloseTimeout = errors.New("chat turns did not stop in time")
	// ErrAgent wraps the failure of an agent run, or of the request to the
	// agent actor.
	ErrAgent = errors.New("agent failed")
	// ErrSessions wraps a failed request to the sessions store.
	ErrSessions = errors.New("sessions store failed")
	// ErrPermanent marks a send error that a retry cannot fix, such as a
	// chat the bot was removed from. Wrap one with Permanent.
	ErrPermanent = errors.New("permanent send error")
)

// Permanent marks err as a send error that must not be retried.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrPermanent, err)
}

// RetryAfterError is a send error with the delay the platform asked for
// before the next attempt, such as Telegram's 429 retry_after.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("retry after %s: %v", e.After, e.Err)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryAfter marks err as a send error to retry after d.
func RetryAfter(d time.Duration, err error) error {
	return &RetryAfterError{After: d, Err: err}
}
