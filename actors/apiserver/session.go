package apiserver

import (
	"net/http"
	"strings"

	"github.com/actorgate/actorgate/actors/apiserver/wire"
)

// maxSessionKeyLength bounds X-Session-Key, in bytes.
const maxSessionKeyLength = 256

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
		return "", wire.InvalidRequest(name, codeInvalidSessionKey,
			"%s is longer than %d characters", name, maxSessionKeyLength)
	}
	if !visibleASCII(key) {
		return "", wire.InvalidRequest(name, codeInvalidSessionKey,
			"%s must contain only printable ASCII characters without spaces", name)
	}
	return key, nil
}

// visibleASCII reports whether s has only the printable ASCII characters
// from '!' to '~'.
func visibleASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
