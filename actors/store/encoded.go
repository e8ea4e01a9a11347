package store

import "github.com/actorgate/actorgate/messages"

// PutEncodedResponse is a PutResponse whose Response.Body and
// Response.History come from actorgate's own JSON encoders, as the API
// server's /v1/responses handler produces them. The actor treats it like
// a PutResponse and replies with *messages.PutResponseReply, except that
// a transaction holding only such writes skips the json.Valid check of
// those bytes (see stores.WithEncodedJSON). Send a plain PutResponse for
// bytes from any other source.
type PutEncodedResponse struct {
	messages.PutResponse
}
