package sessions

import "errors"

// ErrInvalidConfig is the cause in every reply when Config cannot work
// (no path, an invalid reset hour). The actor does not retry; fix the
// configuration and restart.
var ErrInvalidConfig = errors.New("invalid sessions store configuration")
