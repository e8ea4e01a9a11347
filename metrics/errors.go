package metrics

import "errors"

// ErrRegister is wrapped by New when a collector cannot be registered,
// which happens when an option sets an invalid label name or value.
var ErrRegister = errors.New("registering metrics failed")
