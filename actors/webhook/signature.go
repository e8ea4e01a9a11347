package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Headers of a signed request or callback.
const (
	// HeaderTimestamp holds the unix time in seconds when the request was
	// signed.
	HeaderTimestamp = "X-Actorgate-Timestamp"
	// HeaderSignature holds "sha256=" and the hex HMAC-SHA256, keyed with
	// the shared secret, of the timestamp, a dot, and the raw body.
	HeaderSignature = "X-Actorgate-Signature"
	signaturePrefix = "sha256="
)

// Sign returns the values of HeaderTimestamp and HeaderSignature for body
// sent at t.
func Sign(secret string, t time.Time, body []byte) (timestamp, signature string) {
	timestamp = strconv.FormatInt(t.Unix(), 10)
	return timestamp, signaturePrefix + hex.EncodeToString(mac(secret, timestamp, body))
}

func mac(secret, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(timestamp))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// verifier checks signatures and remembers the ones it accepted for the
// replay window, so that a captured request cannot be sent again.
type verifier struct {
	secret string
	window time.Duration
	now    func() time.Time

	mu   sync.Mutex
	seen map[string]time.Time
}

func newVerifier(secret string, window time.Duration, now func() time.Time) *verifier {
	return &verifier{secret: secret, window: window, now: now, seen: make(map[string]time.Time)}
}

// verify returns nil when signature is a valid, unused signature of body
// at timestamp, within the replay window of now, and records it as used.
// The error text is safe to show to the caller: it never contains the
// expected signature.
func (v *verifier) verify(timestamp, signature string, body []byte) error {
	if timestamp == "" || signature == "" {
		return fmt.Errorf("%w: set the %s and %s headers", ErrUnsigned, HeaderTimestamp,
			HeaderSignature)
	}
	secs, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s is not unix seconds", ErrBadSignature, HeaderTimestamp)
	}
	now := v.now()
	if d := now.Sub(time.Unix(secs, 0)).Abs(); d > v.window {
		return fmt.Errorf("%w: %s is %s away from the gateway's clock, outside the %s "+
			"replay window; sign with the current time", ErrStale, HeaderTimestamp,
			d.Truncate(time.Second), v.window)
	}
	given, err := hex.DecodeString(strings.TrimPrefix(signature, signaturePrefix))
	if err != nil || !strings.HasPrefix(signature, signaturePrefix) {
		return fmt.Errorf("%w: %s must be sha256= followed by hex digits", ErrBadSignature,
			HeaderSignature)
	}
	if !hmac.Equal(given, mac(v.secret, timestamp, body)) {
		return fmt.Errorf("%w: the signature does not match the body and timestamp; "+
			"sign timestamp + \".\" + body with the shared secret", ErrBadSignature)
	}
	return v.remember(signature, now)
}

// remember records an accepted signature, or reports a replay.
func (v *verifier) remember(signature string, now time.Time) error {
	key := strings.ToLower(signature)
	v.mu.Lock()
	defer v.mu.Unlock()
	for s, expires := range v.seen {
		if now.After(expires) {
			delete(v.seen, s)
		}
	}
	if _, used := v.seen[key]; used {
		return fmt.Errorf("%w: this signature was already used; sign each request anew",
			ErrReplayed)
	}
	// A timestamp is accepted up to one window from now in either
	// direction, so the signature is kept for two windows.
	v.seen[key] = now.Add(2 * v.window)
	return nil
}
