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
