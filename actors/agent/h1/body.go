package h1

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"sync"
)

// body is a response body read from its connection on the caller's
// goroutine. At a clean end it returns the connection to the pool. Close
// before the end closes the connection, so an endless stream is never
// drained. Close may run concurrently with Read and unblocks it.
type body struct {
	t    *Transport
	c    *conn
	ctx  context.Context
	stop func() bool // stops the context watch of c, or nil if there is none
	resp *http.Response

	chunks    chunkedReader // decoder of a chunked body
	remaining int64         // bytes left of a Content-Length body, or -1
	chunked   bool          // the body uses chunks
	keep      bool          // c may be reused after a clean end

	mu       sync.Mutex
	closed   bool
	released bool  // c was returned to the pool or closed
	err      error // io.EOF after a clean end, or the error that ended reading
}

func (b *body) Read(p []byte) (int, error) {
	if err := b.ended(); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	n, err := b.read(p)
	return n, b.finish(err)
}

// WaitReadable blocks until Read can return data, the end of the body or
// an error without waiting for the server, and returns the error Read
// would return then, or nil. A chunk-size line or CRLF that arrives in
// pieces is waited for with the read buffer held. Otherwise the connection
// has no read buffer while WaitReadable waits, so a caller that reads
// the body through a buffer of its own can give that buffer back first.
func (b *body) WaitReadable() error {
	if err := b.ended(); err != nil {
		return err
	}
	return b.finish(b.wait())
}

// ended returns the error that ended reading, or ErrBodyClosed after Close.
func (b *body) ended() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrBodyClosed
	}
	return b.err
}

// finish records err, the end of the body or the failure of a read, and
// releases the connection. It returns the error for the caller.
func (b *body) finish(err error) error {
	if err == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrBodyClosed
	}
	// The read buffer goes back to the pool here, on the goroutine that
	// reads the body, because Close may run on another goroutine. A
	// connection kept for reuse gives it back in putIdle.
	if err == io.EOF {
		b.err = io.EOF
		if !b.keep {
			b.c.putReader()
		}
		b.releaseLocked(b.keep)
		return io.EOF
	}
	b.err = b.c.explain(b.ctx, "reading response body", err)
	b.c.putReader()
	b.releaseLocked(false)
	return b.err
}

// Close ends the body. Before a clean end it closes the connection. Calling
// it again does nothing.
func (b *body) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	b.releaseLocked(false)
	return nil
}

func (b *body) releaseLocked(reuse bool) {
	if b.released {
		return
	}
	b.released = true
	b.t.release(b.c, b.stop, reuse)
}

func (b *body) read(p []byte) (int, error) {
	switch {
	case b.chunked:
		n, err := b.chunks.Read(p)
		return n, b.chunkedError(err)
	case b.remaining >= 0:
		return b.readLength(p)
	}
	return b.c.read(p)
}

// wait is WaitReadable before the error is recorded.
func (b *body) wait() error {
	switch {
	case b.chunked:
		return b.chunkedError(b.chunks.wait())
	case b.remaining == 0:
		return nil
	case b.remaining > 0:
		return unexpectedEOF(b.c.await())
	}
	return b.c.await()
}

// readLength reads a Content-Length body. An EOF before the last byte is
// returned as io.ErrUnexpectedEOF.
func (b *body) readLength(p []byte) (int, error) {
	if b.remaining == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.remaining {
		p = p[:b.remaining]
	}
	n, err := b.c.read(p)
	b.remaining -= int64(n)
	if b.remaining == 0 {
		return n, io.EOF
	}
	return n, unexpectedEOF(err)
}

// chunkedError reads the trailer after the last chunk, so that the
// connection is positioned at the next response, and marks the errors the
// decoder found in the server's bytes as malformed.
func (b *body) chunkedError(err error) error {
	switch err.(type) {
	case nil:
		return nil
	case chunkError:
		return fmt.Errorf("%w: chunked body: %w", ErrMalformedResponse, err)
	}
	if err == io.EOF {
		if err := b.readTrailer(); err != nil {
			return err
		}
	}
	return err
}

// readTrailer reads the trailer section and adds its fields to
// resp.Trailer.
func (b *body) readTrailer() error {
	b.c.limitReads(MaxHeaderBytes)
	defer b.c.limitReads(math.MaxInt64)

	if err := b.c.await(); err != nil {
		return headError("trailer", err)
	}
	h, err := readHeader(b.c, "trailer")
	if err != nil {
		return err
	}
	if len(h) > 0 && b.resp.Trailer == nil {
		b.resp.Trailer = make(http.Header, len(h))
	}
	for key, values := range h {
		b.resp.Trailer[key] = values
	}
	return nil
}
