package apiserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/actorgate/actorgate/actors/apiserver/wire"
)

// authenticator checks bearer keys in constant time. It compares SHA-256
// digests, so that the comparison time does not depend on the key's length
// either.
type authenticator struct {
	digest [32]byte
}

func newAuthenticator(key string) *authenticator {
	return &authenticator{digest: sha256.Sum256([]byte(strings.TrimSpace(key)))}
}

// check accepts "Bearer KEY" with the scheme in any letter case, because
// RFC 9110 section 11.1 makes the scheme case-insensitive. Spaces and tabs
// around the header value, and between the scheme and the key, are
// ignored.
func (a *authenticator) check(header string) bool {
	header = strings.TrimSpace(header)
	const scheme = "bearer"
	if len(header) <= len(scheme) || !strings.EqualFold(header[:len(scheme)], scheme) {
		return false
	}
	if c := header[len(scheme)]; c != ' ' && c != '\t' {
		return false
	}
	token := strings.TrimSpace(header[len(scheme):])
	if token == "" {
		return false
	}
	got := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(got[:], a.digest[:]) == 1
}

// authed wraps a route that needs the API key.
func (s *server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.auth.check(r.Header.Get("Authorization")) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="actorgate"`)
			wire.WriteError(w, errInvalidAPIKey(r.Header.Get("Authorization") == ""))
			return
		}
		h(w, r)
	}
}

func errInvalidAPIKey(missing bool) *wire.Error {
	if missing {
		return wire.NewError(http.StatusUnauthorized, wire.TypeInvalidRequest, "", codeInvalidAPIKey,
			"missing API key; send the key from API_SERVER_KEY as 'Authorization: Bearer KEY'")
	}
	return wire.NewError(http.StatusUnauthorized, wire.TypeInvalidRequest, "", codeInvalidAPIKey,
		"invalid API key; send the key from API_SERVER_KEY as 'Authorization: Bearer KEY'")
}
