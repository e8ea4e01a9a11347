package messages

import (
	"encoding/json"
	"errors"
	"time"
)

// Errors carried in store replies. Compare with errors.Is.
var (
	// ErrNotFound: no record with that id or name exists for the caller.
	ErrNotFound = errors.New("not found")
	// ErrStoreUnavailable: the database cannot be opened or written now
	// (read-only directory, full disk). The store retries by itself.
	ErrStoreUnavailable = errors.New("store unavailable")
	// ErrIdempotencyConflict: the idempotency key was used with another
	// request body.
	ErrIdempotencyConflict = errors.New("idempotency key reused with a different request")
)

// Response statuses, as in the OpenAI Responses API.
const (
	ResponseCompleted  = "completed"
	ResponseIncomplete = "incomplete"
	ResponseFailed     = "failed"
	ResponseInProgress = "in_progress"
	ResponseCancelled  = "cancelled"
)

// StoredResponse is one response of the Responses API as the store keeps it.
type StoredResponse struct {
	// ID is "resp_" followed by a 16-hex thread key and 32 random hex
	// digits. A response chained to another copies its thread key.
	ID string
	// SessionKey scopes the response to one caller; empty is the default
	// caller.
	SessionKey string
	// PreviousID is the response this one continues, if any.
	PreviousID string
	// Conversation is the conversation name that points at this response,
	// if any.
	Conversation string
	Instructions string
	Status       string
	// Body is the response object exactly as GET /v1/responses/{id}
	// returns it.
	Body json.RawMessage
	// History is the conversation up to and including this response's
	// output, as a JSON array of chat messages, used to continue the chain.
	History   json.RawMessage
	CreatedAt time.Time
}

// PutResponse stores a response, replacing one with the same ID. When
// Conversation is set, the conversation name is pointed at it.
type PutResponse struct {
	RequestID string
	Response  StoredResponse
}

// PutResponseReply answers PutResponse. Err is nil once the response is
// durable.
type PutResponseReply struct {
	RequestID string
	Err       error
}

// GetResponse reads a response and marks it recently used.
type GetResponse struct {
	RequestID  string
	ID         string
	SessionKey string
}

// GetResponseReply answers GetResponse; Err is ErrNotFound when the caller
// owns no response with that id.
type GetResponseReply struct {
	RequestID string
	Response  *StoredResponse
	Err       error
}

// DeleteResponse deletes a response and the conversation names that point
// at it.
type DeleteResponse struct {
	RequestID  string
	ID         string
	SessionKey string
}

// DeleteResponseReply answers DeleteResponse; Err is ErrNotFound when the
// caller owns no response with that id.
type DeleteResponseReply struct {
	RequestID string
	Err       error
}

// GetConversation resolves a conversation name to the latest response in it.
type GetConversation struct {
	RequestID  string
	Name       string
	SessionKey string
}

// GetConversationReply answers GetConversation; Err is ErrNotFound when the
// name points at nothing.
type GetConversationReply struct {
	RequestID  string
	ResponseID string
	Err        error
}

// IdempotencyState is the outcome of BeginIdempotent.
type IdempotencyState string

// Idempotency states.
const (
	// IdempotencyNew: the caller owns the key now and must send
	// FinishIdempotent when done.
	IdempotencyNew IdempotencyState = "new"
	// IdempotencyDone: an earlier request with the key finished; Status
	// and Body are its answer.
	IdempotencyDone IdempotencyState = "done"
)

// BeginIdempotent claims an idempotency key for a request. If another
// request with the same key is running, the reply waits until it finishes.
type BeginIdempotent struct {
	RequestID  string
	SessionKey string
	Key        string
	// Fingerprint is a hash of the request body; the same key with another
	// fingerprint is rejected with ErrIdempotencyConflict.
	Fingerprint string
	// TTL is how long a finished answer is kept.
	TTL time.Duration
	// Deadline is when the requester stops waiting. A request parked
	// behind a running duplicate is dropped without a reply once it passes,
	// so the requester must wait a little longer than Deadline.
	Deadline time.Time
}

// BeginIdempotentReply answers BeginIdempotent.
type BeginIdempotentReply struct {
	RequestID string
	State     IdempotencyState
	// Status and Body are the stored answer when State is IdempotencyDone.
	Status int
	Body   []byte
	Err    error
}

// FinishIdempotent records the answer of a request that owns a key. With
// Abandon set, the key is released instead so that a retry runs again.
type FinishIdempotent struct {
	RequestID  string
	SessionKey string
	Key        string
	Status     int
	Body       []byte
	Abandon    bool
}

// FinishIdempotentReply answers FinishIdempotent.
type FinishIdempotentReply struct {
	RequestID string
	Err       error
}
