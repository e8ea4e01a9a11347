package apiserver

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/apiserver/wire"
)

// Header names the API defines.
const (
	headerRequestID       = "X-Request-Id"
	headerSessionKey      = "X-Session-Key"
	headerHermesSession   = "X-Hermes-Session-Key"
	headerHermesSessionID = "X-Hermes-Session-Id"
	headerIdempotencyKey  = "Idempotency-Key"
	maxSessionKeyLength   = 256
)

// statusRecorder remembers the status and size of a response for the log
// line, and passes flushes through to the connection.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// requestIDs makes request ids: a random per-process prefix and a counter,
// so that a new id costs no system call.
type requestIDs struct {
	prefix string
	n      atomic.Uint64
}

var ids = func() *requestIDs {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &requestIDs{prefix: "req_" + hex.EncodeToString(b[:])}
}()

func (g *requestIDs) next() string {
	return g.prefix + strconv.FormatUint(g.n.Add(1), 16)
}

// validRequestID accepts a client's X-Request-Id when it is short and
// made of safe characters; anything else is replaced.
func validRequestID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// observe sets the request id and the security headers on every response
// and logs one line per request.
func (s *server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(headerRequestID)
		if !validRequestID(id) {
			id = ids.next()
		}
		h := w.Header()
		h.Set(headerRequestID, id)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		rec := &statusRecorder{ResponseWriter: w}
		r = r.WithContext(withRequestID(r.Context(), id))
		next.ServeHTTP(rec, r)
		if ce := s.log.Check(zap.InfoLevel, "request"); ce != nil {
			ce.Write(zap.String("request_id", id), zap.String("method", r.Method),
				zap.String("path", r.URL.Path), zap.Int("status", rec.status),
				zap.Int("bytes", rec.bytes), zap.Duration("duration", time.Since(start)))
		}
	})
}

// limitBody rejects a body whose declared length is over the limit, and
// caps the bytes actually read, so that a chunked body is cut off too.
func (s *server) limitBody(next http.Handler) http.Handler {
	max := s.settings.API.MaxRequestBytes
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			wire.WriteError(w, errBodyTooLarge(max))
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, max)
		}
		next.ServeHTTP(w, r)
	})
}

func errBodyTooLarge(max int64) *wire.Error {
	return wire.NewError(http.StatusRequestEntityTooLarge, "invalid_request_error", "",
		"body_too_large", "request body is larger than %d bytes; send a smaller request", max)
}

// readBody reads the whole request body into buf, mapping an oversized
// body to 413.
func readBody(r *http.Request, buf []byte) ([]byte, *wire.Error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == nil {
			continue
		}
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			return nil, errBodyTooLarge(tooLarge.Limit)
		case errors.Is(err, io.EOF):
			return buf, nil
		default:
			return nil, wire.InvalidRequest("", "invalid_body", "reading the request body failed: %v", err)
		}
	}
}

// authenticator checks bearer keys in constant time. It compares SHA-256
// digests, so that the comparison time does not depend on the key's length
// either.
type authenticator struct {
	digest [32]byte
}

func newAuthenticator(key string) *authenticator {
	return &authenticator{digest: sha256.Sum256([]byte(strings.TrimSpace(key)))}
}

// check accepts "Bearer KEY" with the scheme in any letter case (RFC 9110
// makes the scheme case-insensitive) and ignores spaces around the key.
func (a *authenticator) check(header string) bool {
	header = strings.TrimSpace(header)
	const scheme = "bearer "
	if len(header) < len(scheme) || !strings.EqualFold(header[:len(scheme)], scheme) {
		return false
	}
	token := strings.TrimSpace(header[len(scheme):])
	if token == "" {
		return false
	}
	got := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(got[:], a.digest[:]) == 1
}

func (s *server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.auth.check(r.Header.Get("Authorization")) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="actorgate"`)
			wire.WriteError(w, wire.NewError(http.StatusUnauthorized, "invalid_request_error", "",
				"invalid_api_key", "invalid API key; send the key from API_SERVER_KEY as "+
					"'Authorization: Bearer KEY'"))
			return
		}
		h(w, r)
	}
}

// sessionKey returns the caller's session key from X-Session-Key (or the
// X-Hermes-Session-Key name that clients of other gateways send).
func sessionKey(r *http.Request) (string, *wire.Error) {
	key := r.Header.Get(headerSessionKey)
	name := headerSessionKey
	if key == "" {
		key = r.Header.Get(headerHermesSession)
		name = headerHermesSession
	}
	key = strings.TrimSpace(key)
	if len(key) > maxSessionKeyLength {
		return "", wire.InvalidRequest(name, "invalid_session_key",
			"%s is longer than %d characters", name, maxSessionKeyLength)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return "", wire.InvalidRequest(name, "invalid_session_key",
				"%s must contain only printable ASCII characters without spaces", name)
		}
	}
	return key, nil
}
