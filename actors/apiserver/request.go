package apiserver

import (
	"net/http"

	"github.com/actorgate/actorgate/actors/apiserver/wire"
)

// readRequest reads r's body into the pooled buffer buf, decodes it with
// decode and reads the caller's session key. On failure it writes the
// error response and returns ok false.
func readRequest[T any](w http.ResponseWriter, r *http.Request, buf *[]byte,
	decode func([]byte) (T, *wire.Error),
) (req T, body []byte, session string, ok bool) {
	body, werr := readBody(r, *buf)
	if werr == nil {
		*buf = body[:0]
		req, werr = decode(body)
	}
	if werr == nil {
		session, werr = sessionKey(r)
	}
	if werr != nil {
		wire.WriteError(w, werr)
		return req, nil, "", false
	}
	return req, body, session, true
}
