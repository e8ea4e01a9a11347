package h1

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
)

// bufferPool holds the buffers requests are encoded into.
var bufferPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer is the largest buffer capacity returned to bufferPool, so
// that one large body does not stay in memory for good.
const maxPooledBuffer = 1 << 20

func getBuffer() *bytes.Buffer { return bufferPool.Get().(*bytes.Buffer) }

func putBuffer(b *bytes.Buffer) {
	if b.Cap() > maxPooledBuffer {
		return
	}
	b.Reset()
	bufferPool.Put(b)
}

// requestAddr checks req's URL and returns the "host:port" to connect to.
func requestAddr(req *http.Request) (string, error) {
	if req.URL == nil {
		return "", fmt.Errorf("%w: missing URL", ErrInvalidRequest)
	}
	if req.URL.Scheme != "http" {
		return "", fmt.Errorf("%w %q in %q: this transport speaks plain http only,"+
			" use net/http's Transport for other schemes", ErrUnsupportedScheme,
			req.URL.Scheme, req.URL.Redacted())
	}
	host := req.URL.Hostname()
	if host == "" {
		return "", fmt.Errorf("%w: missing host in URL %q", ErrInvalidRequest, req.URL.Redacted())
	}
	if req.URL.Port() != "" {
		return req.URL.Host, nil
	}
	return net.JoinHostPort(host, "80"), nil
}

// encodeRequest returns a pooled buffer holding the whole request: request
// line, Host, req's headers, Content-Length and body. It closes req.Body.
func encodeRequest(req *http.Request) (*bytes.Buffer, error) {
	hasBody := req.Body != nil && req.Body != http.NoBody
	if len(req.Trailer) > 0 {
		closeRequestBody(req)
		return nil, fmt.Errorf("%w: request trailers are not supported, send them as headers",
			ErrInvalidRequest)
	}
	if !hasBody && req.ContentLength > 0 {
		return nil, fmt.Errorf("%w: ContentLength is %d but Body is nil",
			ErrInvalidRequest, req.ContentLength)
	}
	if hasBody && req.ContentLength > MaxRequestBodyBytes {
		closeRequestBody(req)
		return nil, fmt.Errorf("%w: ContentLength is %d, the limit is %d bytes",
			ErrBodyTooLarge, req.ContentLength, MaxRequestBodyBytes)
	}

	buf := getBuffer()
	var err error
	switch {
	case !hasBody:
		err = writeHead(buf, req, 0)
	case req.ContentLength > 0:
		err = encodeKnownLength(buf, req)
	default:
		err = encodeUnknownLength(buf, req)
	}
	if err != nil {
		putBuffer(buf)
		return nil, err
	}
	return buf, nil
}

// encodeKnownLength writes the head with req.ContentLength, then the body
// straight after it.
func encodeKnownLength(buf *bytes.Buffer, req *http.Request) error {
	if err := writeHead(buf, req, req.ContentLength); err != nil {
		closeRequestBody(req)
		return err
	}
	buf.Grow(int(req.ContentLength))
	n, err := readRequestBody(buf, req, req.ContentLength+1)
	if err == nil && n != req.ContentLength {
		err = fmt.Errorf("%w: ContentLength is %d but Body has %d bytes",
			ErrInvalidRequest, req.ContentLength, n)
	}
	return err
}

// encodeUnknownLength reads the body into a second buffer first, because
// its length goes into the head.
func encodeUnknownLength(buf *bytes.Buffer, req *http.Request) error {
	body := getBuffer()
	defer putBuffer(body)

	n, err := readRequestBody(body, req, MaxRequestBodyBytes+1)
	if err != nil {
		return err
	}
	if n > MaxRequestBodyBytes {
		return fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, MaxRequestBodyBytes)
	}
	if err := writeHead(buf, req, n); err != nil {
		return err
	}
	buf.Write(body.Bytes())
	return nil
}

// readRequestBody appends at most limit bytes of req.Body to buf and closes
// it. It returns the number of bytes appended.
func readRequestBody(buf *bytes.Buffer, req *http.Request, limit int64) (int64, error) {
	defer closeRequestBody(req)

	n, err := buf.ReadFrom(io.LimitReader(req.Body, limit))
	if err != nil {
		return n, fmt.Errorf("h1: reading request body: %w", err)
	}
	return n, nil
}

func closeRequestBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// writeHead writes the request line and header section of req to buf,
// checking every field so that no value can inject a line.
func writeHead(buf *bytes.Buffer, req *http.Request, bodyLen int64) error {
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	if !isToken(method) {
		return fmt.Errorf("%w: method %q is not a token", ErrInvalidRequest, method)
	}
	uri := req.URL.RequestURI()
	if !isVisible(uri) {
		return fmt.Errorf("%w: request target %q contains a space or control byte",
			ErrInvalidRequest, uri)
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	if !isVisible(host) {
		return fmt.Errorf("%w: Host %q contains a space or control byte", ErrInvalidRequest, host)
	}

	buf.WriteString(method)
	buf.WriteByte(' ')
	buf.WriteString(uri)
	buf.WriteString(" HTTP/1.1\r\nHost: ")
	buf.WriteString(host)
	buf.WriteString("\r\n")
	if err := writeHeaders(buf, req.Header); err != nil {
		return err
	}
	if req.Close && !hasToken(req.Header["Connection"], "close") {
		buf.WriteString("Connection: close\r\n")
	}
	writeContentLength(buf, method, bodyLen)
	buf.WriteString("\r\n")
	return nil
}

// writeHeaders writes h in canonical form, without the fields the request
// line and body framing set.
func writeHeaders(buf *bytes.Buffer, h http.Header) error {
	for key, values := range h {
		if !isToken(key) {
			return fmt.Errorf("%w: header name %q is not a token", ErrInvalidRequest, key)
		}
		key = http.CanonicalHeaderKey(key)
		switch key {
		case "Host", "Content-Length", "Transfer-Encoding":
			continue
		}
		for _, v := range values {
			if !isFieldValue(v) {
				return fmt.Errorf("%w: value of header %s contains a control byte",
					ErrInvalidRequest, key)
			}
			buf.WriteString(key)
			buf.WriteString(": ")
			buf.WriteString(v)
			buf.WriteString("\r\n")
		}
	}
	return nil
}

// writeContentLength writes the body's length, and a zero length for the
// methods whose servers expect a body, as net/http does.
func writeContentLength(buf *bytes.Buffer, method string, n int64) {
	if n == 0 && method != http.MethodPost && method != http.MethodPut &&
		method != http.MethodPatch {
		return
	}
	buf.WriteString("Content-Length: ")
	var digits [20]byte
	buf.Write(strconv.AppendInt(digits[:0], n, 10))
	buf.WriteString("\r\n")
}

// isToken reports whether s is a non-empty RFC 9110 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c < 0x80 && c > ' ' && c != 0x7f && !isDelimiter(c):
		default:
			return false
		}
	}
	return true
}

func isDelimiter(c byte) bool {
	switch c {
	case '"', '(', ')', ',', '/', ':', ';', '<', '=', '>', '?', '@', '[', '\\', ']', '{', '}':
		return true
	}
	return false
}

// isVisible reports whether s is non-empty and has no space or control byte.
func isVisible(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return false
		}
	}
	return true
}

// isFieldValue reports whether s has no control byte other than tab.
func isFieldValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if (s[i] < ' ' && s[i] != '\t') || s[i] == 0x7f {
			return false
		}
	}
	return true
}
