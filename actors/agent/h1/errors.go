package h1

import "errors"

// Sentinel errors of the h1 package. Compare with errors.Is. The wrapping
// error names the value at fault.
var (
	// ErrUnsupportedScheme is returned by RoundTrip for a URL whose scheme
	// is not "http". Send https requests through net/http's Transport.
	ErrUnsupportedScheme = errors.New("h1: unsupported URL scheme")

	// ErrInvalidRequest is returned by RoundTrip when the request cannot be
	// written, for example a header value that contains a line break or a
	// body shorter than the request's ContentLength.
	ErrInvalidRequest = errors.New("h1: invalid request")

	// ErrBodyTooLarge is returned by RoundTrip when the request body is
	// larger than MaxRequestBodyBytes.
	ErrBodyTooLarge = errors.New("h1: request body too large")

	// ErrMalformedResponse is wrapped by RoundTrip and by the response
	// body's Read when the server's bytes break HTTP/1.1: a bad status
	// line, header line, chunk size or Content-Length.
	ErrMalformedResponse = errors.New("h1: malformed response")

	// ErrHeaderTooLarge is wrapped when the status line and headers of a
	// response, or the trailer of a chunked body, exceed MaxHeaderBytes or
	// MaxHeaderCount.
	ErrHeaderTooLarge = errors.New("h1: response header too large")

	// ErrUnsupportedResponse is wrapped when a response is valid HTTP/1.1
	// that this package does not handle, such as 101 Switching Protocols or
	// a transfer coding other than chunked.
	ErrUnsupportedResponse = errors.New("h1: unsupported response")

	// ErrBodyClosed is returned by Read on a response body after Close.
	ErrBodyClosed = errors.New("h1: read on closed response body")

	// ErrResponseHeaderTimeout is wrapped by RoundTrip when the status line
	// and headers did not arrive within Config.ResponseHeaderTimeout. It
	// implements net.Error with Timeout() true, as net/http's error for the
	// same case does in Go 1.26.
	ErrResponseHeaderTimeout error = timeoutError("h1: timed out waiting for response headers")
)

// timeoutError is a net.Error that reports a timeout.
type timeoutError string

func (e timeoutError) Error() string   { return string(e) }
func (e timeoutError) Timeout() bool   { return true }
func (e timeoutError) Temporary() bool { return true }
