package apiserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/apiserver/wire"
)

// Header names the API defines.
const (
	headerRequestID      = "X-Request-Id"
	headerSessionKey     = "X-Session-Key"
	headerHermesSession  = "X-Hermes-Session-Key"
	headerIdempotencyKey = "Idempotency-Key"
	headerReplayed       = "Idempotency-Replayed"
)

// statusRecorder remembers the status and size of a response for the log
// line. Unwrap lets http.ResponseController reach the connection, so that
// stream flushes pass through.
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

// idGenerator makes request ids: a random per-process prefix and a
// counter, so that a new id costs no system call.
type idGenerator struct {
	prefix string
	n      atomic.Uint64
}

var ids = func() *idGenerator {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &idGenerator{prefix: "req_" + hex.EncodeToString(b[:])}
}()

func (g *idGenerator) next() string {
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
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') &&
			c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

// requestIDs are the ids of one HTTP request. public is the X-Request-Id
// of the response: the client's own when it sent a valid one. run is
// always generated here and names the agent run, because two requests
// that carry the same client id must not cancel each other's runs.
type requestIDs struct {
	public string
	run    string
}

type requestIDsKey struct{}

func requestID(ctx context.Context) string {
	if v, ok := ctx.Value(requestIDsKey{}).(*requestIDs); ok {
		return v.public
	}
	return ""
}

func runIDFrom(ctx context.Context) string {
	if v, ok := ctx.Value(requestIDsKey{}).(*requestIDs); ok {
		return v.run
	}
	return ids.next()
}

// observe sets the request id and the security headers on every response
// and logs one line per request.
func (s *server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rid := &requestIDs{run: ids.next()}
		rid.public = rid.run
		if id := r.Header.Get(headerRequestID); validRequestID(id) {
			rid.public = id
		}
		setCommonHeaders(w.Header(), rid.public)
		rec := &statusRecorder{ResponseWriter: w}
		r = r.WithContext(context.WithValue(r.Context(), requestIDsKey{}, rid))
		next.ServeHTTP(rec, r)
		if ce := s.log.Check(zap.InfoLevel, "request"); ce != nil {
			fields := make([]zap.Field, 0, 7)
			fields = append(fields,
				zap.String("request_id", rid.public), zap.String("method", r.Method),
				zap.String("path", r.URL.Path), zap.Int("status", rec.status),
				zap.Int("bytes", rec.bytes), zap.Duration("duration", time.Since(start)))
			if rid.run != rid.public {
				fields = append(fields, zap.String("run_id", rid.run))
			}
			ce.Write(fields...)
		}
	})
}

// setCommonHeaders sets the headers every response carries.
func setCommonHeaders(h http.Header, requestID string) {
	h.Set(headerRequestID, requestID)
	// Shared, read-only values: a handler that changes one replaces it
	// with Set, which allocates a new slice.
	h["X-Content-Type-Options"] = valueNoSniff
	h["Referrer-Policy"] = valueNoReferrer
}

// Values of the headers that every response carries.
var (
	valueNoSniff    = []string{"nosniff"}
	valueNoReferrer = []string{"no-referrer"}
)

// limitBody rejects a body whose declared length is over the limit, and
// caps the bytes actually read, so that a chunked body is cut off after
// the limit rather than buffered.
func (s *server) limitBody(next http.Handler) http.Handler {
	limit := s.settings.API.MaxRequestBytes
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			wire.WriteError(w, errBodyTooLarge(limit))
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}

func errBodyTooLarge(limit int64) *wire.Error {
	return wire.NewError(http.StatusRequestEntityTooLarge, wire.TypeInvalidRequest, "",
		codeBodyTooLarge, "request body is larger than %d bytes; send a smaller request", limit)
}

// readBody reads the whole request body into buf, mapping an oversized
// body to 413. The reader set by limitBody stops after the limit.
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
			return nil, wire.InvalidRequest("", codeInvalidBody,
				"reading the request body failed: %v", err)
		}
	}
}
