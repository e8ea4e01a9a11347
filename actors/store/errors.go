package store

import (
	"errors"

	"github.com/actorgate/actorgate/stores"
)

// Errors carried in replies besides those in the messages package.
// Compare with errors.Is.
var (
	// ErrInvalidConfig is the cause in every reply when Config cannot
	// work (no path, a negative limit). The actor does not retry, so fix
	// the configuration and restart the store.
	ErrInvalidConfig = errors.New("invalid response store configuration")

	// ErrIdempotencyPending is the error in a BeginIdempotentReply when
	// too many requests already wait for the same key. The caller may
	// retry later, and an HTTP server usually responds with 409.
	ErrIdempotencyPending = stores.ErrIdempotencyPending

	// ErrInvalidArgument is the error in a reply to a request that failed
	// validation (a malformed response, an empty idempotency key). Its
	// text names the field.
	ErrInvalidArgument = stores.ErrInvalidArgument
)
