package apiserver

import (
	"bytes"
	"net"
	"strconv"

	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/apiserver/wire"
)

// net/http responds to a request it cannot parse (a malformed Content-Length,
// a bad header line, headers over MaxHeaderBytes, an unknown
// Transfer-Encoding) itself, before any handler runs, with a text/plain
// body and none of the headers this API sets. These constants match that
// response as net/http in Go 1.26 writes it (net/http/server.go, conn.serve): one Write of the status line,
// these headers, and a short text.
var (
	stdlibErrorHeaders = []byte("\r\nContent-Type: text/plain; charset=utf-8\r\n" +
		"Connection: close\r\n\r\n")
	statusLinePrefix = []byte("HTTP/1.1 ")
	requestIDHeader  = []byte("\r\n" + headerRequestID + ":")
)

// errorRewritingListener wraps the API's listener so that those responses
// reach the client as OpenAI error envelopes with the usual headers.
type errorRewritingListener struct {
	net.Listener
	s *server
}

func (l *errorRewritingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &errorRewritingConn{Conn: c, s: l.s}, nil
}

// errorRewritingConn rewrites the error responses of net/http described
// above and passes every other write through unchanged.
type errorRewritingConn struct {
	net.Conn
	s *server
}

func (c *errorRewritingConn) Write(p []byte) (int, error) {
	if !isStdlibError(p) {
		return c.Conn.Write(p)
	}
	if _, err := c.Conn.Write(c.s.rewriteStdlibError(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// CloseWrite half-closes the connection, as net/http does after an
// answer to headers that are too large.
func (c *errorRewritingConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// isStdlibError reports whether p is a whole 4xx or 5xx response written
// by net/http itself. Responses of the handlers always carry X-Request-Id.
func isStdlibError(p []byte) bool {
	if len(p) < len(statusLinePrefix)+3 || !bytes.HasPrefix(p, statusLinePrefix) {
		return false
	}
	if c := p[len(statusLinePrefix)]; c != '4' && c != '5' {
		return false
	}
	return bytes.Contains(p, stdlibErrorHeaders) && !bytes.Contains(p, requestIDHeader)
}

// rewriteStdlibError builds the OpenAI-style response to a request that
// net/http could not parse, and logs it as the request line of a request
// without method or path.
func (s *server) rewriteStdlibError(p []byte) []byte {
	status, err := strconv.Atoi(string(p[len(statusLinePrefix) : len(statusLinePrefix)+3]))
	if err != nil {
		status = 400
	}
	head, text, _ := bytes.Cut(p, stdlibErrorHeaders)
	statusLine := head
	if i := bytes.IndexByte(head, ':'); i > 0 {
		statusLine = head[:i]
	}
	werr := wire.NewError(status, wire.TypeInvalidRequest, "", codeMalformedHTTPRequest,
		"the HTTP request could not be parsed (%s); check the request line and headers, "+
			"including Content-Length and Transfer-Encoding", text)
	body := werr.AppendJSON(nil)
	id := ids.next()

	out := make([]byte, 0, 256+len(body))
	out = append(out, statusLine...)
	out = append(out, "\r\nContent-Type: application/json\r\nConnection: close\r\n"...)
	out = append(out, headerRequestID+": "...)
	out = append(out, id...)
	out = append(out, "\r\nX-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n"...)
	out = append(out, "Content-Length: "...)
	out = strconv.AppendInt(out, int64(len(body)), 10)
	out = append(out, "\r\n\r\n"...)
	out = append(out, body...)
	s.log.Info("request", zap.String("request_id", id), zap.Int("status", status),
		zap.ByteString("error", text))
	return out
}
