package stores

import (
	"errors"
	"fmt"
	"strings"

	"github.com/actorgate/actorgate/messages"
)

// Sentinel errors. Compare with errors.Is, because the errors returned wrap
// them with the value at fault. Store failures also use messages.ErrNotFound,
// messages.ErrStoreUnavailable and messages.ErrIdempotencyConflict.
var (
	// ErrInvalidArgument is returned when a path, limit, response or
	// idempotency request fails validation. The message names the field.
	ErrInvalidArgument = errors.New("invalid argument")

	// ErrIDInUse is returned by Put for a response whose id is already
	// stored under another session key. The stored response is unchanged.
	ErrIDInUse = errors.New("response id is in use by another session")

	// ErrIdempotencyPending is returned by BeginIdempotent when a running
	// request holds the key. The caller waits for that request's
	// FinishIdempotent and then calls BeginIdempotent again.
	ErrIdempotencyPending = errors.New("idempotency key is held by a running request")

	// ErrSchemaTooNew is matched by a [*SchemaVersionError]: the database
	// was written by a newer actorgate.
	ErrSchemaTooNew = errors.New("database schema is newer than this actorgate supports")

	// ErrClosed is returned by every method called after Close.
	ErrClosed = errors.New("response store is closed")

	// ErrCorrupt is returned by IntegrityCheck for a database that fails
	// SQLite's integrity or foreign key check. The message lists the
	// problems.
	ErrCorrupt = errors.New("database failed its integrity check")
)

// SchemaVersionError reports a database whose PRAGMA user_version is newer
// than the newest migration in this build.
type SchemaVersionError struct {
	// Found is the user_version stored in the database.
	Found int
	// Supported is the newest schema version this build supports.
	Supported int
}

func (e *SchemaVersionError) Error() string {
	return fmt.Sprintf(
		"database schema version %d is newer than this actorgate supports (%d); upgrade actorgate",
		e.Found, e.Supported)
}

// Is reports whether target is ErrSchemaTooNew.
func (e *SchemaVersionError) Is(target error) bool { return target == ErrSchemaTooNew }

// BatchError reports the responses of one Put call that were rejected.
// The other responses of the batch were stored and committed.
type BatchError struct {
	// Errs has one entry per response passed to Put, in the same order:
	// nil for a stored response, the reason for a rejected one.
	Errs []error
}

func (e *BatchError) Error() string {
	var failed []string
	for i, err := range e.Errs {
		if err != nil {
			failed = append(failed, fmt.Sprintf("response %d: %v", i, err))
		}
	}
	return fmt.Sprintf("%d of %d responses rejected: %s",
		len(failed), len(e.Errs), strings.Join(failed, "; "))
}

// Unwrap returns the reasons of the rejected responses.
func (e *BatchError) Unwrap() []error {
	var errs []error
	for _, err := range e.Errs {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// unavailableError is a failure caused by the disk or file system. It
// matches messages.ErrStoreUnavailable and the underlying error.
type unavailableError struct {
	cause string
	err   error
}

func (e *unavailableError) Error() string {
	return fmt.Sprintf("%v: %s: %v", messages.ErrStoreUnavailable, e.cause, e.err)
}

func (e *unavailableError) Unwrap() []error {
	return []error{messages.ErrStoreUnavailable, e.err}
}

func invalidArgument(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidArgument, fmt.Sprintf(format, args...))
}
