package h1

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/textproto"
	"os"
	"strconv"
	"strings"
)

// readHead reads the status line and headers of the final response,
// skipping 1xx responses, within ResponseHeaderTimeout and MaxHeaderBytes.
func (t *Transport) readHead(c *conn) (*http.Response, error) {
	d := t.cfg.ResponseHeaderTimeout
	if d > 0 {
		c.setHeaderDeadline(d)
		defer c.setHeaderDeadline(0)
	}
	c.limitReads(MaxHeaderBytes)
	defer c.limitReads(math.MaxInt64)

	for skipped := 0; ; skipped++ {
		resp, err := readOneHead(c)
		if d > 0 && errors.Is(err, os.ErrDeadlineExceeded) && !c.wasCanceled() {
			return nil, fmt.Errorf("%w after %s", ErrResponseHeaderTimeout, d)
		}
		if err != nil {
			return nil, err
		}
		switch {
		case resp.StatusCode == http.StatusSwitchingProtocols:
			return nil, fmt.Errorf("%w: status %q, protocol upgrades are not supported",
				ErrUnsupportedResponse, resp.Status)
		case resp.StatusCode >= 200:
			return resp, nil
		case skipped == maxInformational:
			return nil, fmt.Errorf("%w: more than %d 1xx responses",
				ErrMalformedResponse, maxInformational)
		}
	}
}

// readOneHead reads one status line and the header section after it.
func readOneHead(c *conn) (*http.Response, error) {
	if err := c.await(); err != nil {
		return nil, headError("status line", err)
	}
	line, err := c.tp.ReadLine()
	if err != nil {
		return nil, headError("status line", err)
	}
	resp, err := parseStatusLine(line)
	if err != nil {
		return nil, err
	}
	h, err := readHeader(c, "header")
	if err != nil {
		return nil, err
	}
	resp.Header = h
	return resp, nil
}

// readHeader reads a header or trailer section through its blank line.
func readHeader(c *conn, section string) (http.Header, error) {
	h, err := c.tp.ReadMIMEHeader()
	if err != nil {
		return nil, headError(section, err)
	}
	count := 0
	for key, values := range h {
		// textproto accepts some names that are not tokens, such as
		// "Bad Name".
		if !isToken(key) {
			return nil, fmt.Errorf("%w: %s field name %q is not a token",
				ErrMalformedResponse, section, clip(key))
		}
		count += len(values)
	}
	if count > MaxHeaderCount {
		return nil, fmt.Errorf("%w: %s has %d fields, the limit is %d",
			ErrHeaderTooLarge, section, count, MaxHeaderCount)
	}
	return http.Header(h), nil
}

// headError names the malformed part of a response head, or returns a
// network error unchanged.
func headError(section string, err error) error {
	var protoErr textproto.ProtocolError
	switch {
	case errors.As(err, &protoErr):
		return fmt.Errorf("%w: %s: %v", ErrMalformedResponse, section, err)
	case errors.Is(err, ErrHeaderTooLarge):
		return fmt.Errorf("%w: %s longer than %d bytes", ErrHeaderTooLarge, section, MaxHeaderBytes)
	}
	return err
}

// parseStatusLine parses "HTTP/1.x code reason", where the reason may be
// empty.
func parseStatusLine(line string) (*http.Response, error) {
	proto, status, ok := strings.Cut(line, " ")
	major, minor, okVersion := http.ParseHTTPVersion(proto)
	if !ok || !okVersion || major != 1 {
		return nil, fmt.Errorf("%w: status line %q does not start with HTTP/1.0 or HTTP/1.1",
			ErrMalformedResponse, clip(line))
	}
	status = strings.TrimLeft(status, " ")
	code, _, _ := strings.Cut(status, " ")
	if len(code) != 3 || code[0] < '1' || code[0] > '9' || !isDigits(code) {
		return nil, fmt.Errorf("%w: status code %q in status line %q is not three digits",
			ErrMalformedResponse, clip(code), clip(line))
	}
	n, _ := strconv.Atoi(code)
	return &http.Response{
		Status:     status,
		StatusCode: n,
		Proto:      proto,
		ProtoMajor: major,
		ProtoMinor: minor,
	}, nil
}

// attachBody sets resp's framing fields and Body from its headers. A body
// takes over c and stop. Without a body, c returns to the pool at once.
func (t *Transport) attachBody(
	ctx context.Context, c *conn, stop func() bool, req *http.Request, resp *http.Response,
) error {
	resp.Request = req
	resp.Close = shouldClose(req, resp)
	b := &body{t: t, c: c, ctx: ctx, stop: stop, resp: resp, remaining: -1}
	lengths := resp.Header["Content-Length"]
	codings := resp.Header["Transfer-Encoding"]

	switch {
	case req.Method == http.MethodHead || resp.StatusCode == http.StatusNoContent ||
		resp.StatusCode == http.StatusNotModified:
		return t.attachNoBody(c, stop, req, resp, lengths)
	case len(codings) > 0:
		if len(codings) != 1 || !strings.EqualFold(strings.TrimSpace(codings[0]), "chunked") {
			return fmt.Errorf("%w: Transfer-Encoding %q, only chunked is supported",
				ErrUnsupportedResponse, clip(strings.Join(codings, ", ")))
		}
		resp.Header.Del("Content-Length")
		resp.TransferEncoding = []string{"chunked"}
		resp.ContentLength = -1
		b.chunked = true
		b.chunks.c = c
	case len(lengths) > 0:
		n, err := parseContentLength(lengths)
		if err != nil {
			return err
		}
		if n == 0 {
			return t.attachNoBody(c, stop, req, resp, lengths)
		}
		resp.ContentLength = n
		b.remaining = n
	default:
		// The body ends when the server closes the connection.
		resp.ContentLength = -1
		resp.Close = true
	}
	b.keep = !resp.Close
	resp.Body = b
	return nil
}

// attachNoBody finishes a response that has no body and releases c.
func (t *Transport) attachNoBody(
	c *conn, stop func() bool, req *http.Request, resp *http.Response, lengths []string,
) error {
	resp.ContentLength = 0
	if req.Method == http.MethodHead {
		resp.ContentLength = -1
		if n, err := parseContentLength(lengths); err == nil {
			resp.ContentLength = n
		}
	}
	resp.Body = http.NoBody
	if resp.Close {
		c.putReader()
	}
	t.release(c, stop, !resp.Close)
	return nil
}

// release returns c to the pool when reuse is set and the request's context
// never cut it off, and closes it otherwise.
func (t *Transport) release(c *conn, stop func() bool, reuse bool) {
	fired := stop != nil && !stop()
	if reuse && !fired && !c.wasCanceled() {
		t.putIdle(c)
		return
	}
	c.close()
}

// parseContentLength returns the value of the Content-Length field lines,
// which must agree.
func parseContentLength(values []string) (int64, error) {
	if len(values) == 0 {
		return -1, nil
	}
	v := strings.TrimSpace(values[0])
	for _, other := range values[1:] {
		if strings.TrimSpace(other) != v {
			return 0, fmt.Errorf("%w: conflicting Content-Length values %q and %q",
				ErrMalformedResponse, clip(v), clip(other))
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || !isDigits(v) {
		return 0, fmt.Errorf("%w: Content-Length %q is not a non-negative integer",
			ErrMalformedResponse, clip(v))
	}
	return n, nil
}

// shouldClose reports whether the connection must close after resp.
func shouldClose(req *http.Request, resp *http.Response) bool {
	if req.Close || hasToken(req.Header["Connection"], "close") {
		return true
	}
	connection := resp.Header["Connection"]
	if hasToken(connection, "close") {
		return true
	}
	return resp.ProtoMinor == 0 && !hasToken(connection, "keep-alive")
}

// hasToken reports whether the comma-separated values contain token,
// ignoring case.
func hasToken(values []string, token string) bool {
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), token) {
				return true
			}
		}
	}
	return false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// clip shortens s for an error message.
func clip(s string) string {
	const limit = 64
	if len(s) > limit {
		return s[:limit] + "..."
	}
	return s
}
