package apiserver

import "errors"

// Codes of the platform errors this adapter escalates.
const (
	CodeKeyInvalid    = "api_server_key_invalid"
	CodePortInUse     = "api_server_port_in_use"
	CodeConfigInvalid = "api_server_config_invalid"
	CodeListenFailed  = "api_server_listen_failed"
	CodeServeFailed   = "api_server_serve_failed"
)

// ErrServeStopped is the cause escalated when the HTTP server stops
// serving without being asked to.
var ErrServeStopped = errors.New("http server stopped serving")

// errServerStopping is the cause with which the adapter ends the contexts
// of the requests still running when its grace period is over.
var errServerStopping = errors.New("the server is shutting down")

// Codes of the OpenAI error envelopes this server writes, the "code"
// field. The wire package adds the codes of request validation.
const (
	codeInvalidAPIKey         = "invalid_api_key"
	codeOriginNotAllowed      = "origin_not_allowed"
	codeBodyTooLarge          = "body_too_large"
	codeInvalidBody           = "invalid_body"
	codeInvalidSessionKey     = "invalid_session_key"
	codeInvalidIdempotencyKey = "invalid_idempotency_key"
	codeIdempotencyConflict   = "idempotency_key_conflict"
	codeIdempotencyKeyInUse   = "idempotency_key_in_use"
	codeAgentIncomplete       = "agent_incomplete"
	codeRateLimitExceeded     = "rate_limit_exceeded"
	codeShuttingDown          = "server_shutting_down"
	codeUnknownRoute          = "unknown_route"
	codeMethodNotAllowed      = "method_not_allowed"
	codeMalformedHTTPRequest  = "malformed_http_request"
	codeResponseNotFound      = "response_not_found"
	codeModelNotFound         = "model_not_found"
	codeTimeout               = "timeout"
	codeServiceUnavailable    = "service_unavailable"
	codeStoreUnavailable      = "store_unavailable"
	codeInternal              = "internal_error"
)
