package loopback

import "errors"

// ErrNotLoopback is returned for an address or URL whose host is not a
// loopback IP address.
var ErrNotLoopback = errors.New("not a loopback address")
