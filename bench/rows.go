package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	mrand "math/rand/v2"

	"github.com/actorgate/actorgate/messages"
)

// A stored response of a typical size: a short reply with its usage
// block, and the two-turn history that continues it.
var (
	rowBody = json.RawMessage(`{"object":"response","status":"completed","model":` +
		`"bench-model","output":[{"type":"message","role":"assistant","content":[{"type":` +
		`"output_text","text":"Hello! How can I help you today?"}]}],"usage":{"input_tokens":` +
		`12,"output_tokens":9,"total_tokens":21}}`)
	rowHistory = json.RawMessage(`[{"role":"user","content":"Say hello in one short ` +
		`sentence."},{"role":"assistant","content":"Hello! How can I help you today?"}]`)
)

// rowSource makes stored responses with random ids, each the root of a
// new thread, as /v1/responses with store set makes them. It is not safe
// for concurrent use; each writer has its own.
type rowSource struct {
	rng *mrand.ChaCha8
	raw [24]byte
	hex [48]byte
}

func newRowSource() *rowSource {
	var seed [32]byte
	_, _ = rand.Read(seed[:])
	return &rowSource{rng: mrand.NewChaCha8(seed)}
}

// next returns a response with a fresh id: "resp_", a 16-hex thread key
// and 32 random hex digits.
func (s *rowSource) next() messages.StoredResponse {
	_, _ = s.rng.Read(s.raw[:])
	hex.Encode(s.hex[:], s.raw[:])
	return messages.StoredResponse{
		ID:      "resp_" + string(s.hex[:]),
		Status:  messages.ResponseCompleted,
		Body:    rowBody,
		History: rowHistory,
	}
}
