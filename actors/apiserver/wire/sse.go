package wire

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
)

// SSEWriter writes server-sent events to an HTTP response. Every call
// writes one whole frame and, unless SetAutoFlush turned that off, flushes
// it, so the client receives each event the moment it is written. After
// the first failed write or flush every call returns an error wrapping
// ErrStreamClosed. An SSEWriter is not safe for concurrent use.
type SSEWriter struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	buf []byte
	err error
	// manual is set when frames wait for Flush instead of being flushed as
	// they are written.
	manual bool
	// pending is set when a frame was written since the last flush.
	pending bool
}

// NewSSEWriter prepares w for an event stream. It sets Content-Type,
// Cache-Control and X-Accel-Buffering (so that nginx does not buffer the
// stream) but writes nothing: the 200 status goes out with the first frame,
// so a handler can still send an error response until then.
func NewSSEWriter(w http.ResponseWriter) *SSEWriter {
	h := w.Header()
	h["Content-Type"] = valueEventStream
	h["Cache-Control"] = valueNoCache
	h["X-Accel-Buffering"] = valueNo
	h.Del("Content-Length")
	return &SSEWriter{
		w:   w,
		rc:  http.NewResponseController(w),
		buf: make([]byte, 0, 512),
	}
}

// Header values of an event stream, shared and read-only.
var (
	valueEventStream = []string{"text/event-stream"}
	valueNoCache     = []string{"no-cache"}
	valueNo          = []string{"no"}
)

// Data writes "data: <data>\n\n". Data must not contain a line break.
func (s *SSEWriter) Data(data []byte) error {
	if hasLineBreak(data) {
		return fmt.Errorf("%w: data contains a line break", ErrInvalidFrame)
	}
	s.buf = append(s.buf[:0], "data: "...)
	s.buf = append(s.buf, data...)
	s.buf = append(s.buf, '\n', '\n')
	return s.flush()
}

// Event writes "event: <name>\ndata: <data>\n\n". The name must be
// non-empty, and neither the name nor the data may contain a line break.
func (s *SSEWriter) Event(name string, data []byte) error {
	if name == "" || strings.ContainsAny(name, "\r\n") {
		return fmt.Errorf("%w: event name %q is empty or contains a line break",
			ErrInvalidFrame, name)
	}
	if hasLineBreak(data) {
		return fmt.Errorf("%w: data of event %q contains a line break", ErrInvalidFrame, name)
	}
	s.buf = append(s.buf[:0], "event: "...)
	s.buf = append(s.buf, name...)
	s.buf = append(s.buf, "\ndata: "...)
	s.buf = append(s.buf, data...)
	s.buf = append(s.buf, '\n', '\n')
	return s.flush()
}

// Comment writes ": <text>\n\n", which clients ignore; it keeps idle
// connections open through proxies. The text must not contain a line break.
func (s *SSEWriter) Comment(text string) error {
	if strings.ContainsAny(text, "\r\n") {
		return fmt.Errorf("%w: comment contains a line break", ErrInvalidFrame)
	}
	s.buf = append(s.buf[:0], ": "...)
	s.buf = append(s.buf, text...)
	s.buf = append(s.buf, '\n', '\n')
	return s.flush()
}

// Done writes "data: [DONE]\n\n", the end marker of a chat completion
// stream.
func (s *SSEWriter) Done() error {
	s.buf = append(s.buf[:0], "data: [DONE]\n\n"...)
	return s.flush()
}

// SetAutoFlush sets whether each frame is flushed as it is written, which
// is the default. With auto flush off, frames collect in the response's
// buffer until Flush, so a caller that expects more frames soon can send
// them in one system call. The response's buffer still sends a frame
// that does not fit in it, together with the status line.
func (s *SSEWriter) SetAutoFlush(on bool) {
	s.manual = !on
}

// Flush sends the frames written since the last flush to the client. It
// does nothing when there are none, so it never commits the status line
// of a response that has no frame yet.
func (s *SSEWriter) Flush() error {
	if s.err != nil {
		return s.err
	}
	if !s.pending {
		return nil
	}
	s.pending = false
	if err := s.rc.Flush(); err != nil {
		s.err = fmt.Errorf("%w: flushing event: %w", ErrStreamClosed, err)
		return s.err
	}
	return nil
}

// Err returns the error that closed the stream, or nil while it is open.
func (s *SSEWriter) Err() error {
	return s.err
}

func (s *SSEWriter) flush() error {
	if s.err != nil {
		return s.err
	}
	if _, err := s.w.Write(s.buf); err != nil {
		s.err = fmt.Errorf("%w: writing event: %w", ErrStreamClosed, err)
		return s.err
	}
	s.pending = true
	if s.manual {
		return nil
	}
	return s.Flush()
}

func hasLineBreak(b []byte) bool {
	return bytes.IndexByte(b, '\n') >= 0 || bytes.IndexByte(b, '\r') >= 0
}
