package apiserver

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/apiserver/wire"
	"github.com/actorgate/actorgate/actors/store"
	"github.com/actorgate/actorgate/messages"
)

// maxIdempotencyKeyLength bounds an Idempotency-Key, in bytes. The store
// rejects longer keys too.
const maxIdempotencyKeyLength = 255

// idempotent runs serve once per Idempotency-Key and caller, and responds
// to every request with that key with the response of that run.
//
// The request claims the key through the store actor. The first claim
// runs serve, stores the status and body it wrote, and only then responds.
// A concurrent request with the same key is parked by the store until the
// first finishes and then gets the stored response, as does any later one
// within IdempotencyTTL. Replays carry Idempotency-Replayed: true. The
// same key with a different method, path, session key or body is 409.
// A 5xx or 429 response releases the key, so that serve runs again for
// the next request with it. So does the end of the TTL, and a restart that
// interrupted the run.
func (s *server) idempotent(w http.ResponseWriter, r *http.Request, key, session string,
	body []byte, serve func(http.ResponseWriter),
) {
	if werr := checkIdempotencyKey(key); werr != nil {
		wire.WriteError(w, werr)
		return
	}
	begin := &messages.BeginIdempotent{
		RequestID: requestID(r.Context()), SessionKey: session, Key: key,
		Fingerprint: fingerprintRequest(r.Method, r.URL.Path, session, body),
		TTL:         s.settings.API.IdempotencyTTL,
	}
	// A parked claim waits for the run that holds the key, so it may take
	// as long as an agent run.
	wait := s.settings.AgentTimeout + lateReplyMargin + storeTimeout
	// The store drops a parked claim at its deadline, before this request's
	// future times out, so no reply can reach a future that gave up.
	begin.Deadline = time.Now().Add(wait - lateReplyMargin)
	res, werr := s.ask(r.Context(), s.store, begin, wait)
	if werr != nil {
		wire.WriteError(w, werr)
		return
	}
	reply, _ := res.(*messages.BeginIdempotentReply)
	switch {
	case reply == nil:
		wire.WriteError(w, errUnavailable("the response store returned no reply"))
	case reply.Err != nil:
		wire.WriteError(w, idempotencyError(key, reply.Err))
	case reply.State == messages.IdempotencyDone:
		w.Header().Set(headerReplayed, "true")
		writeJSON(w, reply.Status, reply.Body)
	default:
		s.serveOnce(w, r, begin, serve)
	}
}

// serveOnce runs serve for the request that owns the key, records its
// response in the store, and then writes it to the client. A panic in serve
// releases the key before it goes on.
func (s *server) serveOnce(w http.ResponseWriter, r *http.Request,
	begin *messages.BeginIdempotent, serve func(http.ResponseWriter),
) {
	rec := &bufferedResponse{header: w.Header()}
	finish := &messages.FinishIdempotent{
		RequestID: begin.RequestID, SessionKey: begin.SessionKey, Key: begin.Key, Abandon: true,
	}
	defer func() {
		if finish.Abandon {
			s.finishIdempotent(r, finish)
		}
	}()
	serve(rec)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if retryable := rec.status >= http.StatusInternalServerError ||
		rec.status == http.StatusTooManyRequests; !retryable {
		finish.Abandon, finish.Status, finish.Body = false, rec.status, rec.body
		s.finishIdempotent(r, finish)
	}
	w.WriteHeader(rec.status)
	_, _ = w.Write(rec.body)
}

// finishIdempotent records or releases a key. It runs even when the
// client went away, because other requests may be parked on the key.
func (s *server) finishIdempotent(r *http.Request, msg *messages.FinishIdempotent) {
	res, werr := s.ask(r.Context(), s.store, msg, storeTimeout)
	var err error
	switch reply, _ := res.(*messages.FinishIdempotentReply); {
	case werr != nil:
		err = werr
	case reply == nil:
		err = errors.New("the response store returned no reply")
	default:
		err = reply.Err
	}
	if err != nil {
		s.log.Warn("recording an idempotency key failed; a retry will run the request again",
			zap.String("request_id", msg.RequestID), zap.Bool("abandon", msg.Abandon),
			zap.Error(err))
	}
}

// checkIdempotencyKey accepts 1 to 255 printable ASCII characters.
func checkIdempotencyKey(key string) *wire.Error {
	if len(key) > maxIdempotencyKeyLength {
		return wire.InvalidRequest(headerIdempotencyKey, codeInvalidIdempotencyKey,
			"%s is %d bytes long; send at most %d printable ASCII characters, for example a UUID",
			headerIdempotencyKey, len(key), maxIdempotencyKeyLength)
	}
	if !visibleASCII(key) {
		return wire.InvalidRequest(headerIdempotencyKey, codeInvalidIdempotencyKey,
			"%s must contain only printable ASCII characters without spaces, for example a UUID",
			headerIdempotencyKey)
	}
	return nil
}

// idempotencyError maps the store's refusal of a key to the client's error.
func idempotencyError(key string, err error) *wire.Error {
	switch {
	case errors.Is(err, messages.ErrIdempotencyConflict):
		return wire.NewError(http.StatusConflict, wire.TypeInvalidRequest, headerIdempotencyKey,
			codeIdempotencyConflict, "%s %q was already used with a different request; "+
				"send a new key for a new request", headerIdempotencyKey, key)
	case errors.Is(err, store.ErrIdempotencyPending):
		return wire.NewError(http.StatusConflict, wire.TypeInvalidRequest, headerIdempotencyKey,
			codeIdempotencyKeyInUse, "too many requests with %s %q are waiting for the first "+
				"one; retry later", headerIdempotencyKey, key)
	case errors.Is(err, store.ErrInvalidArgument):
		return wire.InvalidRequest(headerIdempotencyKey, codeInvalidIdempotencyKey,
			"%s %q is invalid: %v", headerIdempotencyKey, key, err)
	case errors.Is(err, messages.ErrStoreUnavailable):
		return wire.NewError(http.StatusServiceUnavailable, wire.TypeServer, "",
			codeStoreUnavailable, "the response store is unavailable (%v), so %s cannot be "+
				"honoured; retry later, or send the request without the header", err,
			headerIdempotencyKey)
	}
	return storeError(err)
}

// fingerprintRequest is the hex SHA-256 of the method, path, session key
// and body, each followed by a zero byte so that no two requests collide
// by moving bytes between fields.
func fingerprintRequest(method, path, session string, body []byte) string {
	h := sha256.New()
	for _, part := range []string{method, path, session} {
		writeField(h, []byte(part))
	}
	writeField(h, body)
	return hex.EncodeToString(h.Sum(nil))
}

func writeField(h hash.Hash, b []byte) {
	_, _ = h.Write(b)
	_, _ = h.Write([]byte{0})
}

// bufferedResponse keeps what a handler writes, so that the response is
// stored before the client gets it. Headers go to the real response.
type bufferedResponse struct {
	header http.Header
	status int
	body   []byte
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	b.body = append(b.body, p...)
	return len(p), nil
}
