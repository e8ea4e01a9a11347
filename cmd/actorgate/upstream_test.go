package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeUpstream is an OpenAI-compatible model server on 127.0.0.1 that
// stands in for a model provider. It answers "upstream saw N messages:
// LAST" and streams that answer word by word in the real chunk format.
type fakeUpstream struct {
	*httptest.Server
	requests atomic.Int64
	// chunkDelay slows each streamed chunk down.
	chunkDelay time.Duration
	// cancelled counts streamed requests whose client went away.
	cancelled atomic.Int64
}

type upstreamMessage struct {
	Role    string `json:"role"`
	Content any    `json:"content"`
}

func newFakeUpstream(t *testing.T) *fakeUpstream {
	t.Helper()
	u := &fakeUpstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(u.Close)
	return u
}

func (u *fakeUpstream) serve(w http.ResponseWriter, r *http.Request) {
	u.requests.Add(1)
	if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost {
		http.Error(w, `{"error":{"message":"not found"}}`, http.StatusNotFound)
		return
	}
	var req struct {
		Model    string            `json:"model"`
		Messages []upstreamMessage `json:"messages"`
		Stream   bool              `json:"stream"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, `{"error":{"message":"bad json"}}`, http.StatusBadRequest)
		return
	}
	last := ""
	users := 0
	for _, m := range req.Messages {
		if m.Role == "user" {
			users++
			if s, ok := m.Content.(string); ok {
				last = s
			}
		}
	}
	answer := fmt.Sprintf("upstream saw %d user turns: %s", users, last)
	words := strings.SplitAfter(answer, " ")
	usage := map[string]int{"prompt_tokens": 7, "completion_tokens": len(words), "total_tokens": 7 + len(words)}
	if !req.Stream {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-up", "object": "chat.completion", "created": 1, "model": req.Model,
			"choices": []any{map[string]any{
				"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": answer},
			}},
			"usage": usage,
		})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	flusher := w.(http.Flusher)
	send := func(v any) bool {
		b, _ := json.Marshal(v)
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return false
		}
		flusher.Flush()
		return true
	}
	chunk := func(delta map[string]any, finish any) map[string]any {
		return map[string]any{
			"id": "chatcmpl-up", "object": "chat.completion.chunk", "created": 1, "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}},
		}
	}
	send(chunk(map[string]any{"role": "assistant", "content": ""}, nil))
	for _, word := range words {
		if u.chunkDelay > 0 {
			select {
			case <-time.After(u.chunkDelay):
			case <-r.Context().Done():
				u.cancelled.Add(1)
				return
			}
		}
		if !send(chunk(map[string]any{"content": word}, nil)) {
			u.cancelled.Add(1)
			return
		}
	}
	send(chunk(map[string]any{}, "stop"))
	send(map[string]any{
		"id": "chatcmpl-up", "object": "chat.completion.chunk", "created": 1, "model": req.Model,
		"choices": []any{}, "usage": usage,
	})
	fmt.Fprint(w, "data: [DONE]\n\n")
	flusher.Flush()
}

func upstreamAnswer(turns []string) string {
	return fmt.Sprintf("upstream saw %d user turns: %s", len(turns), turns[len(turns)-1])
}

func TestUpstreamEndToEnd(t *testing.T) {
	up := newFakeUpstream(t)
	p := startGateway(t, map[string]string{
		"AGENT_BACKEND":  "openai",
		"AGENT_BASE_URL": up.URL + "/v1",
		"AGENT_MODEL":    "local-model",
	})
	exerciseAPI(t, p, upstreamAnswer)
	if up.requests.Load() == 0 {
		t.Error("the upstream saw no request")
	}
}
