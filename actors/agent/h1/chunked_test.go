package h1

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http/httputil"
	"strings"
	"sync"
	"testing"
	"time"
)

// pieceConn is a net.Conn whose Read returns input at most piece bytes at a
// time, so that a test can split chunk framing across reads and buffers.
type pieceConn struct {
	input []byte
	piece int
}

func (c *pieceConn) Read(p []byte) (int, error) {
	if len(c.input) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.piece)], c.input)
	c.input = c.input[n:]
	return n, nil
}

func (c *pieceConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *pieceConn) Close() error                     { return nil }
func (c *pieceConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *pieceConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *pieceConn) SetDeadline(time.Time) error      { return nil }
func (c *pieceConn) SetReadDeadline(time.Time) error  { return nil }
func (c *pieceConn) SetWriteDeadline(time.Time) error { return nil }

// decodeChunked decodes input with this package's decoder, reading it
// from the network piece bytes at a time through bufSize-byte buffers and
// into readSize-byte reads. It returns the data and the error that ended
// decoding.
func decodeChunked(input []byte, piece, bufSize, readSize int) ([]byte, error) {
	readers := &sync.Pool{New: func() any { return bufio.NewReaderSize(nil, bufSize) }}
	c := newConn(&pieceConn{input: input, piece: piece}, "test", readers, bufSize)
	return readUntilError(&chunkedReader{c: c}, readSize)
}

// decodeNetHTTP decodes input with net/http's decoder.
func decodeNetHTTP(input []byte, readSize int) ([]byte, error) {
	return readUntilError(httputil.NewChunkedReader(bytes.NewReader(input)), readSize)
}

func readUntilError(r io.Reader, readSize int) ([]byte, error) {
	var out []byte
	buf := make([]byte, readSize)
	for {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			return out, err
		}
	}
}

// compareDecoders fails the test when the decoders return different data
// or errors for input.
func compareDecoders(t *testing.T, input []byte, piece, bufSize, readSize int) {
	t.Helper()
	want, wantErr := decodeNetHTTP(input, readSize)
	got, err := decodeChunked(input, piece, bufSize, readSize)
	if !bytes.Equal(got, want) {
		t.Errorf("input %q (piece %d, buffer %d, read %d): data = %q, net/http returns %q",
			clip(string(input)), piece, bufSize, readSize, clip(string(got)), clip(string(want)))
	}
	if err.Error() != wantErr.Error() {
		t.Errorf("input %q (piece %d, buffer %d, read %d): error = %q, net/http returns %q",
			clip(string(input)), piece, bufSize, readSize, err, wantErr)
	}
	var malformed chunkError
	wantMalformed := wantErr != io.EOF && wantErr != io.ErrUnexpectedEOF
	if errors.As(err, &malformed) != wantMalformed {
		t.Errorf("input %q: error %v is a chunkError: %v, want %v",
			clip(string(input)), err, !wantMalformed, wantMalformed)
	}
}

func TestChunkedReaderMatchesNetHTTP(t *testing.T) {
	longExtension := "1;" + strings.Repeat("e", 4091) // 4094 bytes before CRLF
	tests := []struct {
		name  string
		input string
	}{
		{"one chunk", "5\r\nhello\r\n0\r\n\r\n"},
		{"two chunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"},
		{"upper and lower hex", "A\r\n0123456789\r\na\r\n0123456789\r\n0\r\n"},
		{"leading zeros", "0005\r\nhello\r\n00\r\n"},
		{"extension", "5;name=value\r\nhello\r\n0;last\r\n\r\n"},
		{"quoted extension", "5;name=\"a;b\"\r\nhello\r\n0\r\n"},
		{"trailing whitespace", "5 \t\r\nhello\r\n0\r\n"},
		{"trailer left unread", "0\r\nX-Trailer: 1\r\n\r\n"},
		{"empty body", ""},
		{"end in size line", "5"},
		{"end after size line", "5\r\n"},
		{"end in data", "5\r\nhel"},
		{"end before CRLF", "5\r\nhello"},
		{"end inside CRLF", "5\r\nhello\r"},
		{"end before last chunk", "5\r\nhello\r\n"},
		{"bare LF after size", "5\nhello\r\n0\r\n"},
		{"CR inside size line", "5\r;x\r\nhello\r\n0\r\n"},
		{"missing CRLF after data", "5\r\nhelloXX0\r\n"},
		{"LF only after data", "5\r\nhello\n0\r\n"},
		{"empty size", "\r\nhello\r\n"},
		{"space before size", " 5\r\nhello\r\n0\r\n"},
		{"invalid size byte", "5g\r\nhello\r\n"},
		{"negative size", "-5\r\nhello\r\n"},
		{"sixteen hex digits", "000000000000000F\r\n0123456789abcdef\r\n0\r\n"},
		{"seventeen hex digits", "0000000000000000F\r\n0123456789abcdef\r\n0\r\n"},
		{"size beyond int64", "ffffffffffffffff\r\nabc"},
		{"line at the limit", longExtension + "\r\nx\r\n0\r\n"},
		{"line over the limit", longExtension + "e\r\nx\r\n0\r\n"},
		{"unterminated long line", strings.Repeat("1", 5000)},
		{"short unterminated line", strings.Repeat("1", 100)},
		{"too much non-data", strings.Repeat("1;"+strings.Repeat("e", 200)+"\r\nx\r\n", 100)},
		{"overhead ends at last chunk", strings.Repeat("1;"+strings.Repeat("e", 200)+"\r\nx\r\n", 80) +
			"0;" + strings.Repeat("e", 2000) + "\r\n"},
	}
	splits := []struct{ piece, bufSize, readSize int }{
		{1 << 20, 4096, 4096},
		{1, 256, 1},
		{7, 256, 3},
		{300, 256, 4096},
		{1 << 20, 8192, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, s := range splits {
				compareDecoders(t, []byte(tt.input), s.piece, s.bufSize, s.readSize)
			}
		})
	}
}

// FuzzChunkedReader checks that the chunked decoder returns the same data
// and error as net/http's for any input, split into reads and buffers of
// any size.
func FuzzChunkedReader(f *testing.F) {
	seeds := []string{
		"5\r\nhello\r\n0\r\n\r\n",
		"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n",
		"5\nhello\r\n",
		"5\r\nhelloXX",
		"ffffffffffffffff\r\n",
		"1;" + strings.Repeat("e", 4092) + "\r\n",
		strings.Repeat("1;"+strings.Repeat("e", 300)+"\r\nx\r\n", 60),
	}
	for _, s := range seeds {
		f.Add([]byte(s), uint16(8191), uint16(3840), uint16(4095))
		f.Add([]byte(s), uint16(0), uint16(0), uint16(0))
	}
	f.Fuzz(func(t *testing.T, input []byte, piece, bufSize, readSize uint16) {
		compareDecoders(t, input, 1+int(piece)%8192, 256+int(bufSize)%8192, 1+int(readSize)%8192)
	})
}
