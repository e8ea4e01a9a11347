package h1

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// Limits of the chunked decoder, the same as net/http's (Go 1.26,
// net/http/internal/chunked.go).
const (
	// maxChunkLineBytes bounds a chunk-size line, CRLF included. net/http
	// reads the line from a 4096-byte bufio.Reader and rejects a line that
	// does not fit.
	maxChunkLineBytes = 4096

	// maxChunkOverhead bounds the framing bytes beyond an allowance of 16
	// per chunk plus twice the chunk's data, so that chunk extensions
	// cannot make a body mostly overhead.
	maxChunkOverhead = 16 << 10

	// maxChunkSizeDigits bounds the hex digits of a chunk size, so that it
	// fits in a uint64.
	maxChunkSizeDigits = 16
)

// chunkError is an error the chunked decoder found in the server's bytes.
// Its messages are net/http's.
type chunkError string

func (e chunkError) Error() string { return string(e) }

const (
	errChunkLineTooLong  chunkError = "header line too long"
	errChunkBareLF       chunkError = "chunked line ends with bare LF"
	errChunkInvalidCR    chunkError = "invalid CR in chunked line"
	errChunkMalformed    chunkError = "malformed chunked encoding"
	errChunkOverhead     chunkError = "chunked encoding contains too much non-data"
	errChunkSizeEmpty    chunkError = "empty hex number for chunk length"
	errChunkSizeInvalid  chunkError = "invalid byte in chunk length"
	errChunkSizeTooLarge chunkError = "http chunk length too large"
)

// chunkedReader decodes the chunked transfer coding from its connection's
// read buffer. It accepts and rejects the same bytes as net/http's decoder
// (httputil.NewChunkedReader) with the same messages, which
// FuzzChunkedReader checks. Unlike that decoder it keeps no *bufio.Reader,
// so that its connection can give the buffer back while it waits. Its line
// limit does not depend on the buffer size, and it returns the data it has
// instead of waiting for the rest of a chunk. After Read or wait
// returns an error, the decoder must not be used again, so body keeps the
// error and stops calling it.
type chunkedReader struct {
	c        *conn
	n        uint64 // unread data bytes of the current chunk
	excess   int64  // framing bytes beyond the allowance, see beginChunk
	checkEnd bool   // the CRLF after the current chunk's data is next
}

// Read decodes chunk data into p. It returns io.EOF at the last chunk,
// before its trailer. Once it has data for p, it returns instead of
// waiting for more.
func (cr *chunkedReader) Read(p []byte) (int, error) {
	n := 0
	for {
		if n > 0 && !cr.dataBuffered() {
			return n, nil
		}
		if err := cr.ready(); err != nil || len(p) == 0 {
			return n, err
		}
		// dataBuffered saw the next chunk-size line, but its data may not
		// have arrived yet.
		if n > 0 && cr.c.buffered() == 0 {
			return n, nil
		}
		m, err := cr.readData(p)
		n += m
		p = p[m:]
		if err != nil {
			return n, err
		}
	}
}

// wait blocks until Read can return data, the end or an error without
// waiting on the network, unless a chunk-size line or CRLF arrives in
// pieces. While it waits for data, the connection has no read buffer.
func (cr *chunkedReader) wait() error {
	if err := cr.ready(); err != nil {
		return err
	}
	if cr.c.buffered() > 0 {
		return nil
	}
	return unexpectedEOF(cr.c.await())
}

// dataBuffered reports whether the read buffer contains the framing up to
// the next data byte, so that Read can go on without waiting for it.
func (cr *chunkedReader) dataBuffered() bool {
	buffered := cr.c.buffered()
	if buffered == 0 {
		return false
	}
	if cr.n > 0 && !cr.checkEnd {
		return true
	}
	// A chunk-size line comes next, after the CRLF ending the previous
	// chunk when checkEnd is set.
	next, _ := cr.c.br.Peek(buffered)
	if cr.checkEnd {
		if len(next) < 2 {
			return false
		}
		next = next[2:]
	}
	return bytes.IndexByte(next, '\n') >= 0
}

// ready reads the framing before the next data byte: the CRLF after the
// previous chunk and the next chunk-size line. It returns io.EOF at the
// last chunk.
func (cr *chunkedReader) ready() error {
	if cr.checkEnd {
		crlf, err := cr.c.peek(2)
		if err != nil {
			return unexpectedEOF(err)
		}
		if string(crlf) != "\r\n" {
			return errChunkMalformed
		}
		_, _ = cr.c.br.Discard(2)
		cr.checkEnd = false
	}
	if cr.n == 0 {
		return cr.beginChunk()
	}
	return nil
}

// readData reads data of the current chunk into p.
func (cr *chunkedReader) readData(p []byte) (int, error) {
	if uint64(len(p)) > cr.n {
		p = p[:cr.n]
	}
	n, err := cr.c.read(p)
	cr.n -= uint64(n) //nolint:gosec // G115: n is not negative
	if cr.n == 0 && err == nil {
		cr.checkEnd = true
	}
	return n, unexpectedEOF(err)
}

// beginChunk reads a chunk-size line and sets cr.n. It returns io.EOF for
// the last chunk, whose size is zero.
func (cr *chunkedReader) beginChunk() error {
	line, err := cr.readLine()
	if err != nil {
		return err
	}
	cr.excess += int64(len(line)) + 2 // the line, and the CRLF after the data
	for len(line) > 0 && (line[len(line)-1] == ' ' || line[len(line)-1] == '\t') {
		line = line[:len(line)-1]
	}
	// Chunk extensions are ignored, as net/http ignores them.
	line, _, _ = bytes.Cut(line, []byte(";"))
	if cr.n, err = parseChunkSize(line); err != nil {
		return err
	}
	// The conversion overflows for sizes of 2^63 and more, as in net/http,
	// where those sizes then fail the overhead check.
	cr.excess -= 16 + 2*int64(cr.n) //nolint:gosec // G115: see above
	cr.excess = max(cr.excess, 0)
	if cr.n == 0 {
		return io.EOF
	}
	if cr.excess > maxChunkOverhead {
		return errChunkOverhead
	}
	return nil
}

// readLine returns the next chunk-size line without its CRLF. A line must
// end in CRLF, contain no other CR and fit in maxChunkLineBytes.
func (cr *chunkedReader) readLine() ([]byte, error) {
	if err := cr.c.await(); err != nil {
		return nil, unexpectedEOF(err)
	}
	line, err := cr.c.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		line, err = cr.readLongLine(line)
	}
	switch {
	case err == nil && len(line) > maxChunkLineBytes,
		err != nil && len(line) >= maxChunkLineBytes:
		return nil, errChunkLineTooLong
	case err != nil:
		return nil, unexpectedEOF(err)
	}
	switch i := bytes.IndexByte(line, '\r'); {
	case i < 0:
		return nil, errChunkBareLF
	case i != len(line)-2:
		return nil, errChunkInvalidCR
	}
	return line[:len(line)-2], nil
}

// readLongLine collects a line that filled the read buffer, starting with
// head, until its LF, an error, or maxChunkLineBytes without an LF, which
// it reports as bufio.ErrBufferFull.
func (cr *chunkedReader) readLongLine(head []byte) ([]byte, error) {
	line := append(make([]byte, 0, maxChunkLineBytes), head...)
	for len(line) < maxChunkLineBytes {
		if err := cr.c.await(); err != nil {
			return line, err
		}
		more, err := cr.c.br.ReadSlice('\n')
		line = append(line, more...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return line, err
		}
	}
	return line, bufio.ErrBufferFull
}

// parseChunkSize parses a chunk size of at most 16 hex digits.
func parseChunkSize(v []byte) (uint64, error) {
	if len(v) == 0 {
		return 0, errChunkSizeEmpty
	}
	var n uint64
	for i, b := range v {
		switch {
		case '0' <= b && b <= '9':
			b -= '0'
		case 'a' <= b && b <= 'f':
			b = b - 'a' + 10
		case 'A' <= b && b <= 'F':
			b = b - 'A' + 10
		default:
			return 0, errChunkSizeInvalid
		}
		if i == maxChunkSizeDigits {
			return 0, errChunkSizeTooLarge
		}
		n = n<<4 | uint64(b)
	}
	return n, nil
}

// unexpectedEOF turns io.EOF, which ends no chunked body cleanly, into
// io.ErrUnexpectedEOF.
func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
