package h1

import (
	"context"
	"errors"
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

	chunks    io.Reader // chunked decoder, or nil
	remaining int64     // bytes left of a Content-Length body, or -1
	keep      bool      // c may be reused after a clean end

	mu       sync.Mutex
	closed   bool
	released bool  // c was returned to the pool or closed
	err      error // io.EOF after a clean end, or the error that ended reading
}

func (b *body) Read(p []byte) (int, error) {
	b.mu.Lock()
	err := b.err
	if b.closed {
		err = ErrBodyClosed
	}
	b.mu.Unlock()
	if err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}

	n, err := b.read(p)
	if err == nil {
		return n, nil
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return n, ErrBodyClosed
	}
	if err == io.EOF {
		b.err = io.EOF
		b.releaseLocked(b.keep)
		return n, io.EOF
	}
	b.err = b.c.explain(b.ctx, "reading response body", err)
	b.releaseLocked(false)
	return n, b.err
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
	case b.chunks != nil:
		return b.readChunked(p)
	case b.remaining >= 0:
		return b.readLength(p)
	}
	return b.c.br.Read(p)
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
	n, err := b.c.br.Read(p)
	b.remaining -= int64(n)
	if b.remaining == 0 {
		return n, io.EOF
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// readChunked reads a chunked body and, after the last chunk, its trailer,
// so that the connection is positioned at the next response.
func (b *body) readChunked(p []byte) (int, error) {
	n, err := b.chunks.Read(p)
	switch {
	case err == io.EOF:
		if err := b.readTrailer(); err != nil {
			return n, err
		}
		return n, io.EOF
	case err == nil, err == io.ErrUnexpectedEOF, b.c.readErr != nil && errors.Is(err, b.c.readErr):
		return n, err
	}
	// The decoder found the error itself, not the network.
	return n, fmt.Errorf("%w: chunked body: %v", ErrMalformedResponse, err)
}

// readTrailer reads the trailer section and adds its fields to
// resp.Trailer.
func (b *body) readTrailer() error {
	b.c.limitReads(MaxHeaderBytes)
	defer b.c.limitReads(math.MaxInt64)

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
