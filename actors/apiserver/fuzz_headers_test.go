package apiserver

import (
	"net/http"
	"strings"
	"testing"
)

// fuzzAPIKey is the key the Authorization fuzz target checks against.
const fuzzAPIKey = "fuzz-key-0123456789abcdef"

// FuzzAuthorizationHeader checks the bearer parser against arbitrary
// header values: it must not panic, and it may accept a value only when
// the value is the Bearer scheme, in any letter case, and the key.
func FuzzAuthorizationHeader(f *testing.F) {
	for _, s := range []string{
		"Bearer " + fuzzAPIKey, "bearer\t" + fuzzAPIKey + " ", "BEARER  " + fuzzAPIKey,
		"Basic " + fuzzAPIKey, "Bearer" + fuzzAPIKey, "Bearer", "", " ", fuzzAPIKey,
		"Bearer " + fuzzAPIKey + "\x00", "Bearer \u00a0" + fuzzAPIKey, "Bearer\u2028" + fuzzAPIKey,
	} {
		f.Add(s)
	}
	auth := newAuthenticator(fuzzAPIKey)
	f.Fuzz(func(t *testing.T, header string) {
		if !auth.check(header) {
			return
		}
		trimmed := strings.TrimSpace(header)
		if len(trimmed) < len("bearer")+1 || !strings.EqualFold(trimmed[:len("bearer")], "bearer") {
			t.Fatalf("accepted %q without the Bearer scheme", header)
		}
		if strings.TrimSpace(trimmed[len("bearer"):]) != fuzzAPIKey {
			t.Fatalf("accepted %q, whose token is not the key", header)
		}
	})
}

// FuzzSessionKeyHeader checks X-Session-Key parsing: it must not panic,
// must accept exactly the values of up to 256 printable ASCII characters
// (after trimming), and must name the header in its error.
func FuzzSessionKeyHeader(f *testing.F) {
	for _, s := range []string{
		"", "alice", " alice ", "a b", "caf\u00e9", "\x00", strings.Repeat("k", 256),
		strings.Repeat("k", 257), "\t\r\n",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, value string, hermes bool) {
		r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1/v1/responses", nil)
		if err != nil {
			t.Fatal(err)
		}
		name := headerSessionKey
		if hermes {
			name = headerHermesSession
		}
		r.Header[name] = []string{value}

		got, werr := sessionKey(r)
		trimmed := strings.TrimSpace(value)
		valid := len(trimmed) <= maxSessionKeyLength && visibleASCII(trimmed)
		switch {
		case valid && werr != nil:
			t.Fatalf("rejected the valid %s %q: %v", name, value, werr.Message)
		case !valid && werr == nil:
			t.Fatalf("accepted the invalid %s %q as %q", name, value, got)
		case werr != nil && werr.Param != name:
			t.Fatalf("error names %q, want %q", werr.Param, name)
		case werr == nil && got != trimmed:
			t.Fatalf("session key %q, want %q", got, trimmed)
		}
	})
}

// FuzzIdempotencyKeyHeader checks the Idempotency-Key check: 1 to 255
// printable ASCII characters, nothing else.
func FuzzIdempotencyKeyHeader(f *testing.F) {
	for _, s := range []string{
		"4f1c2b3a-0000-4000-8000-000000000000", "k", "has space", strings.Repeat("i", 255),
		strings.Repeat("i", 256), "\x7f", "\u00ff", "tab\t",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		werr := checkIdempotencyKey(key)
		valid := len(key) <= maxIdempotencyKeyLength && visibleASCII(key)
		if valid != (werr == nil) {
			t.Fatalf("checkIdempotencyKey(%q) = %v, want valid=%v", key, werr, valid)
		}
		if werr != nil && werr.Param != headerIdempotencyKey {
			t.Fatalf("error names %q, want %q", werr.Param, headerIdempotencyKey)
		}
	})
}
