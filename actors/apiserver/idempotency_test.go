package apiserver_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
)

// countingBackend replies "run N: TEXT", where N counts its runs, so that
// a replayed response differs from a fresh one. With gate set, each
// run signals started and waits for gate to close.
type countingBackend struct {
	scriptedBackend
	n       atomic.Int64
	started chan struct{}
	gate    chan struct{}
	// fail makes the runs with these numbers fail before any text.
	fail map[int64]bool
}

func newCountingBackend() *countingBackend {
	b := &countingBackend{}
	b.answer = func(_ context.Context, req *messages.AgentRequest,
		_ func(messages.AgentDelta),
	) messages.AgentReply {
		n := b.n.Add(1)
		if b.started != nil {
			b.started <- struct{}{}
		}
		if b.gate != nil {
			<-b.gate
		}
		if b.fail[n] {
			return messages.AgentReply{RequestID: req.RequestID, Err: &messages.AgentError{
				Code: "upstream_error", Message: "the upstream failed",
			}}
		}
		text := req.Messages[len(req.Messages)-1].Content
		return messages.AgentReply{
			RequestID: req.RequestID, Text: fmt.Sprintf("run %d: %s", n, text),
			FinishReason: messages.FinishStop,
		}
	}
	return b
}

func TestIdempotencyReplaysAnswer(t *testing.T) {
	backend := newCountingBackend()
	a := startAPIWith(t, nil, backend.option())
	cases := []struct {
		path string
		body any
	}{
		{"/v1/chat/completions", chatBody("pay once")},
		{"/v1/responses", map[string]any{"input": "pay once"}},
	}
	for i, c := range cases {
		key := fmt.Sprintf("key-%d", i)
		first := a.call(http.MethodPost, c.path, c.body, "Idempotency-Key", key)
		if first.status != http.StatusOK {
			t.Fatalf("%s: status = %d: %s", c.path, first.status, first.body)
		}
		if first.header.Get("Idempotency-Replayed") != "" {
			t.Errorf("%s: the first answer is marked as replayed", c.path)
		}
		runs := backend.n.Load()
		for range 2 {
			again := a.call(http.MethodPost, c.path, c.body, "Idempotency-Key", key)
			if again.status != first.status || !bytes.Equal(again.body, first.body) {
				t.Errorf("%s: replay = %d %s, want %d %s", c.path, again.status, again.body,
					first.status, first.body)
			}
			if again.header.Get("Idempotency-Replayed") != "true" {
				t.Errorf("%s: replay lacks Idempotency-Replayed: true", c.path)
			}
		}
		if n := backend.n.Load(); n != runs {
			t.Errorf("%s: the agent ran %d more times for replays", c.path, n-runs)
		}
	}
}

func TestIdempotencyConcurrentDuplicates(t *testing.T) {
	backend := newCountingBackend()
	backend.started = make(chan struct{}, 16)
	backend.gate = make(chan struct{})
	a := startAPIWith(t, nil, backend.option())

	const clients = 8
	results := make(chan result, clients)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			r, err := a.send(http.MethodPost, "/v1/chat/completions", chatBody("once"),
				"Idempotency-Key", "concurrent")
			if err != nil {
				r.body = []byte(err.Error())
			}
			results <- r
		})
	}
	select {
	case <-backend.started:
	case <-time.After(10 * time.Second):
		t.Fatal("no run started")
	}
	close(backend.gate)
	wg.Wait()
	close(results)

	var first []byte
	replayed := 0
	for r := range results {
		if r.status != http.StatusOK {
			t.Errorf("status = %d: %s", r.status, r.body)
			continue
		}
		if first == nil {
			first = r.body
		}
		if !bytes.Equal(r.body, first) {
			t.Errorf("answers differ:\n%s\n%s", r.body, first)
		}
		if r.header.Get("Idempotency-Replayed") == "true" {
			replayed++
		}
	}
	if n := backend.n.Load(); n != 1 {
		t.Errorf("the agent ran %d times, want once", n)
	}
	if replayed != clients-1 {
		t.Errorf("%d answers marked replayed, want %d", replayed, clients-1)
	}
}

func TestIdempotencyConflict(t *testing.T) {
	a := startAPIWith(t, nil, newCountingBackend().option())
	// Both endpoints accept this body, because each ignores the other's
	// fields, so only the path differs below.
	both := chatBody("one", "input", "one")
	if r := a.call(http.MethodPost, "/v1/chat/completions", both, "Idempotency-Key", "k"); r.status != 200 {
		t.Fatalf("first: %d %s", r.status, r.body)
	}
	cases := []struct {
		name string
		path string
		body any
	}{
		{"other body", "/v1/chat/completions", chatBody("two")},
		{"other path", "/v1/responses", both},
	}
	for _, c := range cases {
		r := a.call(http.MethodPost, c.path, c.body, "Idempotency-Key", "k")
		if r.status != http.StatusConflict {
			t.Errorf("%s: status = %d, want 409: %s", c.name, r.status, r.body)
			continue
		}
		if code := r.errorField(t, "code"); code != "idempotency_key_conflict" {
			t.Errorf("%s: code = %v", c.name, code)
		}
		if p := r.errorField(t, "param"); p != "Idempotency-Key" {
			t.Errorf("%s: param = %v", c.name, p)
		}
	}
}

func TestIdempotencyKeyScopedToSession(t *testing.T) {
	backend := newCountingBackend()
	a := startAPIWith(t, nil, backend.option())
	alice := a.call(http.MethodPost, "/v1/chat/completions", chatBody("hi"),
		"Idempotency-Key", "shared", "X-Session-Key", "alice")
	bob := a.call(http.MethodPost, "/v1/chat/completions", chatBody("hi"),
		"Idempotency-Key", "shared", "X-Session-Key", "bob")
	if bob.status != http.StatusOK || bob.header.Get("Idempotency-Replayed") != "" {
		t.Errorf("another caller got a replay: %d %q", bob.status, bob.header.Get("Idempotency-Replayed"))
	}
	if bytes.Equal(alice.body, bob.body) || backend.n.Load() != 2 {
		t.Errorf("runs = %d, want one per caller", backend.n.Load())
	}
}

func TestIdempotencyFailedRunReleasesKey(t *testing.T) {
	backend := newCountingBackend()
	backend.fail = map[int64]bool{1: true}
	a := startAPIWith(t, nil, backend.option())
	for _, path := range []string{"/v1/chat/completions", "/v1/responses"} {
		backend.n.Store(0)
		body := map[string]any{"input": "retry me"}
		if path == "/v1/chat/completions" {
			body = chatBody("retry me")
		}
		key := "retry" + path
		failed := a.call(http.MethodPost, path, body, "Idempotency-Key", key)
		if failed.status != http.StatusBadGateway {
			t.Fatalf("%s: first: status = %d, want 502: %s", path, failed.status, failed.body)
		}
		retry := a.call(http.MethodPost, path, body, "Idempotency-Key", key)
		if retry.status != http.StatusOK || retry.header.Get("Idempotency-Replayed") != "" {
			t.Errorf("%s: retry = %d replayed=%q, want a fresh 200", path, retry.status,
				retry.header.Get("Idempotency-Replayed"))
		}
		again := a.call(http.MethodPost, path, body, "Idempotency-Key", key)
		if again.header.Get("Idempotency-Replayed") != "true" || !bytes.Equal(again.body, retry.body) {
			t.Errorf("%s: after a success the key does not replay", path)
		}
		if n := backend.n.Load(); n != 2 {
			t.Errorf("%s: agent runs = %d, want 2", path, n)
		}
	}
}

func TestIdempotencyKeyExpires(t *testing.T) {
	backend := newCountingBackend()
	a := startAPIWith(t, func(c *config.Config) {
		c.Platforms.APIServer.IdempotencyTTL = 200 * time.Millisecond
	}, backend.option())
	first := a.call(http.MethodPost, "/v1/chat/completions", chatBody("hi"), "Idempotency-Key", "ttl")
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := a.call(http.MethodPost, "/v1/chat/completions", chatBody("hi"), "Idempotency-Key", "ttl")
		if r.header.Get("Idempotency-Replayed") == "" {
			if bytes.Equal(r.body, first.body) {
				t.Errorf("a fresh run returned the old answer")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the key never expired")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// An expired key may be reused with another body.
	deadline = time.Now().Add(20 * time.Second)
	for {
		r := a.call(http.MethodPost, "/v1/chat/completions", chatBody("other"), "Idempotency-Key", "ttl")
		if r.status == http.StatusOK {
			break
		}
		if r.status != http.StatusConflict || time.Now().After(deadline) {
			t.Fatalf("reuse after expiry: %d %s", r.status, r.body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestIdempotencySurvivesRestart(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "responses.db")
	first := startAPIWith(t, func(c *config.Config) { c.Platforms.APIServer.DBPath = dbPath },
		newCountingBackend().option())
	before := first.call(http.MethodPost, "/v1/responses", map[string]any{"input": "durable"},
		"Idempotency-Key", "restart")
	if before.status != http.StatusOK {
		t.Fatalf("first: %d %s", before.status, before.body)
	}
	first.close()

	backend := newCountingBackend()
	cfg := first.cfg
	cfg.Platforms.APIServer.Port = freePort(t)
	second := launch(t, cfg, backend.option())
	after := second.call(http.MethodPost, "/v1/responses", map[string]any{"input": "durable"},
		"Idempotency-Key", "restart")
	if after.header.Get("Idempotency-Replayed") != "true" || !bytes.Equal(after.body, before.body) {
		t.Errorf("after a restart: %d replayed=%q body %s, want the first answer %s", after.status,
			after.header.Get("Idempotency-Replayed"), after.body, before.body)
	}
	if n := backend.n.Load(); n != 0 {
		t.Errorf("the restarted gateway ran the agent %d times", n)
	}
}

func TestIdempotencyIgnoredForStreams(t *testing.T) {
	backend := newCountingBackend()
	a := startAPIWith(t, nil, backend.option())
	for range 2 {
		s := a.openStream("/v1/chat/completions", chatBody("stream", "stream", true),
			"Idempotency-Key", strings.Repeat("!", 300))
		if s.resp.StatusCode != http.StatusOK || s.resp.Header.Get("Idempotency-Replayed") != "" {
			t.Errorf("stream: status %d replayed=%q", s.resp.StatusCode,
				s.resp.Header.Get("Idempotency-Replayed"))
		}
		s.rest()
	}
	if n := backend.n.Load(); n != 2 {
		t.Errorf("agent runs = %d, want one per stream", n)
	}
}

func TestIdempotencyKeyValidated(t *testing.T) {
	a := startAPIWith(t, nil, newCountingBackend().option())
	for _, key := range []string{strings.Repeat("k", 256), "has space", "ключ"} {
		r := a.call(http.MethodPost, "/v1/chat/completions", chatBody("hi"), "Idempotency-Key", key)
		if r.status != http.StatusBadRequest {
			t.Errorf("key %q: status = %d, want 400", key, r.status)
			continue
		}
		if p := r.errorField(t, "param"); p != "Idempotency-Key" {
			t.Errorf("key %q: param = %v", key, p)
		}
		if code := r.errorField(t, "code"); code != "invalid_idempotency_key" {
			t.Errorf("key %q: code = %v", key, code)
		}
	}
	if r := a.call(http.MethodPost, "/v1/chat/completions", chatBody("hi"),
		"Idempotency-Key", strings.Repeat("k", 255)); r.status != http.StatusOK {
		t.Errorf("255-byte key: status = %d: %s", r.status, r.body)
	}
}
