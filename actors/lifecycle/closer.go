package lifecycle

import "sync"

// Closer runs a release function at most once. An actor that owns a
// resource calls Close from Restarting, Stopping and Stopped; only the
// first call does the work, whatever order the messages arrive in. The
// zero value with no function set is a no-op.
type Closer struct {
	once sync.Once
	fn   func() error
	err  error
}

// NewCloser returns a Closer that runs fn once.
func NewCloser(fn func() error) *Closer {
	return &Closer{fn: fn}
}

// Close runs the release function the first time and returns its error on
// every call. It is safe on a nil Closer.
func (c *Closer) Close() error {
	if c == nil {
		return nil
	}
	c.once.Do(func() {
		if c.fn != nil {
			c.err = c.fn()
		}
	})
	return c.err
}
