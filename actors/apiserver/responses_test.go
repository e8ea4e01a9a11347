package apiserver_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/actorgate/actorgate/config"
)

func TestConversationAndPreviousTogether(t *testing.T) {
	a := startAPI(t, nil)
	id, _ := a.respond(map[string]any{"input": "hi"})
	r := a.call(http.MethodPost, "/v1/responses", map[string]any{
		"input": "again", "conversation": "a", "previous_response_id": id,
	})
	if r.status != http.StatusBadRequest {
		t.Fatalf("status = %d, want 400: %s", r.status, r.body)
	}
	msg, _ := r.errorField(t, "message").(string)
	if !strings.Contains(msg, "conversation") || !strings.Contains(msg, "previous_response_id") {
		t.Errorf("message does not name both fields: %q", msg)
	}
}

func TestConversationAfterDeleteStartsNewChain(t *testing.T) {
	a := startAPI(t, nil)
	id, text := a.respond(map[string]any{"input": "one", "conversation": "a"})
	if text != "turn 1: one" {
		t.Fatalf("first text = %q", text)
	}
	_, text = a.respond(map[string]any{"input": "two", "conversation": "a"})
	if text != "turn 2: two" {
		t.Fatalf("second text = %q, want the chain to continue", text)
	}
	if r := a.call(http.MethodDelete, "/v1/responses/"+id, nil); r.status != http.StatusOK {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	// Deleting the first response does not touch the name, which points at
	// the second.
	_, text = a.respond(map[string]any{"input": "three", "conversation": "a"})
	if text != "turn 3: three" {
		t.Fatalf("third text = %q", text)
	}
	latest, _ := a.respond(map[string]any{"input": "four", "conversation": "a"})
	if r := a.call(http.MethodDelete, "/v1/responses/"+latest, nil); r.status != http.StatusOK {
		t.Fatalf("delete latest: %d %s", r.status, r.body)
	}
	newID, text := a.respond(map[string]any{"input": "fresh", "conversation": "a"})
	if text != "turn 1: fresh" {
		t.Errorf("after deleting the latest response, text = %q, want a new chain", text)
	}
	if newID[:21] == latest[:21] {
		t.Errorf("new chain %q reuses the old thread key of %q", newID, latest)
	}
}

func TestConversationAfterEvictionStartsNewChain(t *testing.T) {
	a := startAPI(t, func(c *config.Config) { c.Platforms.APIServer.MaxResponses = 2 })
	a.respond(map[string]any{"input": "one", "conversation": "a"})
	a.respond(map[string]any{"input": "x"})
	a.respond(map[string]any{"input": "y"})
	_, text := a.respond(map[string]any{"input": "again", "conversation": "a"})
	if text != "turn 1: again" {
		t.Errorf("text = %q, want a new chain after eviction", text)
	}
}

func TestPreviousResponseNotFound(t *testing.T) {
	a := startAPI(t, nil)
	missing := "resp_" + strings.Repeat("a", 16) + strings.Repeat("b", 32)
	for _, id := range []string{missing, "resp_nothex", "../../etc/passwd"} {
		r := a.call(http.MethodPost, "/v1/responses", map[string]any{
			"input": "hi", "previous_response_id": id,
		})
		if r.status != http.StatusNotFound {
			t.Errorf("%q: status = %d, want 404: %s", id, r.status, r.body)
			continue
		}
		if msg, _ := r.errorField(t, "message").(string); !strings.Contains(msg, id) {
			t.Errorf("%q: message does not name the id: %q", id, msg)
		}
		if p := r.errorField(t, "param"); p != "previous_response_id" {
			t.Errorf("%q: param = %v", id, p)
		}
	}
}

func TestStoreLimitEvictsLeastRecentlyUsed(t *testing.T) {
	a := startAPI(t, func(c *config.Config) { c.Platforms.APIServer.MaxResponses = 100 })
	ids := make([]string, 0, 101)
	for i := 0; i < 100; i++ {
		id, _ := a.respond(map[string]any{"input": fmt.Sprint("n", i)})
		ids = append(ids, id)
	}
	// Reading the oldest refreshes it, so the second and third oldest go
	// instead: the eviction frees the excess and a headroom of 1% of the
	// limit.
	if r := a.call(http.MethodGet, "/v1/responses/"+ids[0], nil); r.status != http.StatusOK {
		t.Fatalf("get oldest: %d", r.status)
	}
	id, _ := a.respond(map[string]any{"input": "n100"})
	ids = append(ids, id)
	for _, i := range []int{1, 2} {
		if r := a.call(http.MethodGet, "/v1/responses/"+ids[i], nil); r.status != http.StatusNotFound {
			t.Errorf("least recently used response %d: status = %d, want 404", i, r.status)
		}
	}
	for _, i := range []int{0, 3, 100} {
		if r := a.call(http.MethodGet, "/v1/responses/"+ids[i], nil); r.status != http.StatusOK {
			t.Errorf("response %d: status = %d, want 200", i, r.status)
		}
	}
}

func TestStoreFalsePersistsNothing(t *testing.T) {
	a := startAPI(t, nil)
	id, text := a.respond(map[string]any{"input": "ephemeral", "store": false})
	if !strings.HasPrefix(id, "resp_") || len(id) != 53 {
		t.Errorf("id = %q, want a response id", id)
	}
	if text != "turn 1: ephemeral" {
		t.Errorf("text = %q", text)
	}
	if r := a.call(http.MethodGet, "/v1/responses/"+id, nil); r.status != http.StatusNotFound {
		t.Errorf("get of an unstored response: status = %d, want 404", r.status)
	}
}

func TestSessionKeysKeepCallersApart(t *testing.T) {
	a := startAPI(t, nil)
	id, _ := a.respond(map[string]any{"input": "mine"}, "X-Session-Key", "alice")
	if r := a.call(http.MethodGet, "/v1/responses/"+id, nil, "X-Session-Key", "bob"); r.status != http.StatusNotFound {
		t.Errorf("another caller read the response: status %d", r.status)
	}
	if r := a.call(http.MethodDelete, "/v1/responses/"+id, nil, "X-Hermes-Session-Key", "bob"); r.status != http.StatusNotFound {
		t.Errorf("another caller deleted the response: status %d", r.status)
	}
	if r := a.call(http.MethodGet, "/v1/responses/"+id, nil, "X-Hermes-Session-Key", "alice"); r.status != http.StatusOK {
		t.Errorf("the owner could not read the response: status %d", r.status)
	}
	r := a.call(http.MethodPost, "/v1/responses", map[string]any{
		"input": "steal", "previous_response_id": id,
	}, "X-Session-Key", "bob")
	if r.status != http.StatusNotFound {
		t.Errorf("another caller chained to the response: status %d", r.status)
	}
	// Conversation names are scoped too.
	a.respond(map[string]any{"input": "a1", "conversation": "c"}, "X-Session-Key", "alice")
	_, text := a.respond(map[string]any{"input": "b1", "conversation": "c"}, "X-Session-Key", "bob")
	if text != "turn 1: b1" {
		t.Errorf("bob continued alice's conversation: %q", text)
	}
}

func TestInstructionsInheritedAlongChain(t *testing.T) {
	a := startAPI(t, nil)
	first := a.call(http.MethodPost, "/v1/responses", map[string]any{
		"input": "hi", "instructions": "be brief",
	})
	id := first.json(t)["id"].(string)
	second := a.call(http.MethodPost, "/v1/responses", map[string]any{
		"input": "again", "previous_response_id": id,
	})
	if got := second.json(t)["instructions"]; got != "be brief" {
		t.Errorf("instructions = %v, want inherited", got)
	}
}

// An explicit conversation_history replaces the stored history of the
// chain, and the new response stays in the chain's thread.
func TestHistoryWithPreviousKeepsChain(t *testing.T) {
	a := startAPI(t, nil)
	id, _ := a.respond(map[string]any{"input": "stored turn"})
	next, text := a.respond(map[string]any{
		"input": "next", "previous_response_id": id,
		"conversation_history": []any{
			map[string]any{"role": "user", "content": "other"},
			map[string]any{"role": "assistant", "content": "ok"},
			map[string]any{"role": "user", "content": "more"},
		},
	})
	if text != "turn 3: next" {
		t.Errorf("text = %q, want turn 3 from the two user turns of the sent history", text)
	}
	// A response id is resp_, the 16-hex thread key, then random digits.
	if thread := id[:len("resp_")+16]; !strings.HasPrefix(next, thread) {
		t.Errorf("id = %s, want it in the thread of %s", next, id)
	}
}

func TestStoredBodyMatchesCreateResponse(t *testing.T) {
	a := startAPI(t, nil)
	created := a.call(http.MethodPost, "/v1/responses", map[string]any{"input": "hello"})
	if created.status != http.StatusOK {
		t.Fatalf("create: status = %d: %s", created.status, created.body)
	}
	id, _ := created.json(t)["id"].(string)

	got := a.call(http.MethodGet, "/v1/responses/"+id, nil)
	if got.status != http.StatusOK {
		t.Fatalf("get: status = %d: %s", got.status, got.body)
	}
	if string(got.body) != string(created.body) {
		t.Errorf("stored body differs from the created response:\ncreated %s\nstored  %s",
			created.body, got.body)
	}
}
