package matrix

import (
	"errors"

	"github.com/actorgate/actorgate/config"
)

// Codes of the platform errors this adapter escalates. The fatal ones
// need a configuration change and a reload, and the retryable ones make the
// gateway restart the adapter with backoff.
const (
	// CodeConfigInvalid (fatal): a setting is missing or malformed, or
	// the access token belongs to another user than MATRIX_USER_ID.
	CodeConfigInvalid = config.CodeMatrixConfigInvalid
	// CodeTokenInvalid (fatal): the access token is a placeholder, or the
	// homeserver does not accept it.
	CodeTokenInvalid = config.CodeMatrixTokenInvalid
	// CodeLoginFailed (fatal): the homeserver rejected the password.
	CodeLoginFailed = "matrix_login_failed"
	// CodeUnreachable (retryable): the homeserver did not answer, or
	// answered with a server error or a rate limit, during login.
	CodeUnreachable = "matrix_unreachable"
	// CodeSyncFailed (retryable): the sync loop lost its connection to the
	// homeserver, or joining an invited room failed the same way.
	CodeSyncFailed = "matrix_sync_failed"
	// CodeSessionsUnavailable (retryable): the sessions store could not
	// read or write the sync cursor.
	CodeSessionsUnavailable = "matrix_sessions_unavailable"
)

// Sentinel errors. Compare with errors.Is.
var (
	// ErrNotConnected is returned by sends before the adapter has logged
	// in, and the chat sender retries them.
	ErrNotConnected = errors.New("not logged in to the homeserver yet")
	// ErrNoSessions is the cause escalated when the gateway started the
	// adapter without a sessions store.
	ErrNoSessions = errors.New("no sessions store is running")
	// ErrCursor wraps a failed read or write of a sync cursor in the
	// sessions store.
	ErrCursor = errors.New("sync cursor not stored")
)
