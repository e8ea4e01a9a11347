package webhook

import "errors"

// Errors of request verification. Compare with errors.Is.
var (
	// ErrUnsigned: the request lacks the timestamp or signature header.
	ErrUnsigned = errors.New("request is not signed")
	// ErrBadSignature: a header is malformed or the signature does not
	// match.
	ErrBadSignature = errors.New("invalid signature")
	// ErrStale: the timestamp is outside the replay window.
	ErrStale = errors.New("request timestamp outside the replay window")
	// ErrReplayed: the signature was used before, within the window.
	ErrReplayed = errors.New("request replayed")
	// ErrCallbackNotAllowed: callback_url's origin is not on the
	// allowlist.
	ErrCallbackNotAllowed = errors.New("callback URL not allowed")
	// ErrCallbackFailed: the callback endpoint answered with a status
	// other than 2xx.
	ErrCallbackFailed = errors.New("callback failed")
)

// Stable codes of the PlatformError the adapter escalates.
const (
	CodeSecretInvalid = "webhook_secret_invalid"
	CodePortInUse     = "webhook_port_in_use"
	CodeConfigInvalid = "webhook_config_invalid"
	CodeListenFailed  = "webhook_listen_failed"
	CodeServeFailed   = "webhook_serve_failed"
)
