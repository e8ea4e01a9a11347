package agent

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/actorgate/actorgate/actors/agent/h1"
)

// maxRetryAfter bounds the wait taken from an upstream's Retry-After or
// retry-after-ms header. A day covers a daily quota, so a longer value is
// taken for a broken header and ignored.
const maxRetryAfter = 24 * time.Hour

// failureNote receives the Go error behind a failed run. That error may
// name the upstream's host, port or URL, so it goes to the gateway log and
// never into the reply, whose message reaches API clients and chat users.
type failureNote struct {
	cause error
}

// failureNoteKey is the context key of a run's *failureNote.
type failureNoteKey struct{}

// withFailureNote returns ctx carrying note, for a backend of this
// package to fill in.
func withFailureNote(ctx context.Context, note *failureNote) context.Context {
	return context.WithValue(ctx, failureNoteKey{}, note)
}

// reportCause hands the cause of a failed run to the run's failure note,
// which the runner logs with the run's failure. A run that was called
// without one, as when a host calls Backend.Run itself, logs the cause
// here instead.
func (b *openAIBackend) reportCause(ctx context.Context, requestID string, cause error) {
	if note, ok := ctx.Value(failureNoteKey{}).(*failureNote); ok {
		note.cause = cause
		return
	}
	b.failures.Warn("upstream request failed", zap.String("request_id", requestID),
		zap.Error(cause))
}

// sampled returns logger with a sampler, so that an upstream outage logs
// the first 10 lines with the same message each second and then every
// 100th.
func sampled(logger *zap.Logger) *zap.Logger {
	return logger.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		return zapcore.NewSamplerWithOptions(c, time.Second, 10, 100)
	}))
}

// Patterns of what hideAddresses replaces in an upstream's error text.
var (
	// urlPattern matches an absolute URL, up to white space or a quote.
	urlPattern = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>]+`)
	// addressPattern matches a bracketed IPv6 address, an IPv4 address or
	// localhost, each with an optional port, and a dotted host name with a
	// port. A bare word before a colon and digits ("line 1:23") does not
	// match.
	addressPattern = regexp.MustCompile(`\[[0-9A-Fa-f:.%]+\](:\d{1,5})?` +
		`|\b\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?\b` +
		`|\blocalhost(:\d{1,5})?\b` +
		`|\b[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+:\d{1,5}\b`)
)

// hideAddresses replaces the URLs and network addresses in text, an
// error message that the upstream wrote, with placeholders. The message
// reaches API clients, and an upstream behind the gateway may name its
// own address or other internal hosts in it.
func hideAddresses(text string) string {
	text = urlPattern.ReplaceAllString(text, "[URL]")
	return addressPattern.ReplaceAllString(text, "[address]")
}

// transportReason returns why a connection to the upstream, or a read
// from it, failed, in words that name no host, port or URL. Go's network
// errors name the address ("dial tcp 10.0.0.5:8000: connect: connection
// refused"), and operators put internal model servers behind the gateway.
func transportReason(err error) string {
	if reason := tlsReason(err); reason != "" {
		return "TLS failure: " + reason
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		if dnsErr.IsNotFound {
			return "DNS lookup failed: host name not found"
		}
		return "DNS lookup failed"
	}
	if reason := socketReason(err); reason != "" {
		return reason
	}
	switch {
	case isTimeout(err):
		return "timed out"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the upstream closed the connection"
	case errors.Is(err, h1.ErrMalformedResponse):
		return "the upstream's response is not valid HTTP/1.1"
	case errors.Is(err, h1.ErrHeaderTooLarge):
		return "the upstream's response header is too large"
	case errors.Is(err, h1.ErrUnsupportedResponse):
		return "the upstream's response uses an HTTP feature that the gateway does not support"
	case errors.Is(err, ErrBackendClosed):
		return ErrBackendClosed.Error()
	}
	return "connection failed"
}

// socketReason names a failure that the operating system reported for
// the connection, or returns "".
func socketReason(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by the upstream"
	case errors.Is(err, syscall.ECONNABORTED):
		return "connection aborted"
	case errors.Is(err, syscall.EPIPE):
		return "the upstream closed the connection while the request was sent"
	case errors.Is(err, syscall.ENETUNREACH):
		return "network unreachable"
	case errors.Is(err, syscall.EHOSTUNREACH):
		return "host unreachable"
	}
	return ""
}

// tlsReason names a TLS failure, or returns "" for any other error. Only
// fixed words are used, because x509's messages name host names.
func tlsReason(err error) string {
	var (
		hostname  x509.HostnameError
		authority x509.UnknownAuthorityError
		invalid   x509.CertificateInvalidError
		verify    *tls.CertificateVerificationError
		record    tls.RecordHeaderError
		opErr     *net.OpError
	)
	switch {
	case errors.As(err, &hostname):
		return "the upstream's certificate is not valid for its host name"
	case errors.As(err, &authority):
		return "the upstream's certificate is signed by an unknown authority"
	case errors.As(err, &invalid):
		return "the upstream's certificate is invalid or expired"
	case errors.As(err, &verify):
		return "the upstream's certificate could not be verified"
	case errors.As(err, &record):
		return "the upstream did not answer with TLS"
	case errors.As(err, &opErr) && opErr.Op == "remote error":
		// crypto/tls reports a TLS alert from the peer this way, and the
		// alert's own text ("tls: handshake failure") names no address.
		return "the upstream rejected the handshake (" + opErr.Err.Error() + ")"
	case errors.Is(err, http.ErrSchemeMismatch):
		// http.Client returns this in place of the RecordHeaderError when
		// a host passes a transport that goes through one.
		return "the upstream answered with plain HTTP"
	}
	return ""
}

// timeoutReason names the wait that timed out for a request that got no
// response.
func timeoutReason(err error) string {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return "connecting timed out"
	}
	return "no response header arrived before the timeout"
}

// retryAfter returns the wait that an upstream's error response requests:
// retry-after-ms (milliseconds, which the OpenAI SDKs read first) when
// valid, else Retry-After (seconds or an HTTP date). It returns zero
// unless one of them is present, parses, is positive and is at most
// maxRetryAfter. Decimal values are accepted, as the OpenAI SDKs accept
// them.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if d := parseDelay(h.Get("Retry-After-Ms"), time.Millisecond); d > 0 {
		return d
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if d := parseDelay(v, time.Second); d > 0 {
		return d
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 && d <= maxRetryAfter {
			return d
		}
	}
	return 0
}

// parseDelay parses a non-negative decimal number of units, and returns
// zero for anything else and for a delay above maxRetryAfter.
func parseDelay(v string, unit time.Duration) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" || strings.ContainsAny(v, "eExXpP_") {
		// Plain decimals only: no exponent, hex or digit separators.
		return 0
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(n) || n <= 0 || n > float64(maxRetryAfter/unit) {
		return 0
	}
	return time.Duration(math.Ceil(n * float64(unit)))
}
