package apiserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/actorgate/actorgate/config"
)

// upstreamCall is one request the fake upstream received.
type upstreamCall struct {
	// body is the decoded JSON body.
	body map[string]any
	// ended is closed when the request's context ends: the client went
	// away or the handler returned. endedAt is set before.
	ended   chan struct{}
	endedAt time.Time
}

// upstreamHandler responds to one upstream request.
type upstreamHandler func(w http.ResponseWriter, r *http.Request, call *upstreamCall)

// fakeUpstream is an OpenAI-compatible model server on 127.0.0.1 that
// records every request and responds with the handler the test sets.
type fakeUpstream struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	calls  []*upstreamCall
	answer upstreamHandler
}

func newUpstream(t *testing.T, answer upstreamHandler) *fakeUpstream {
	t.Helper()
	u := &fakeUpstream{t: t, answer: answer}
	u.srv = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(u.srv.Close)
	return u
}

// useUpstream points the agent of cfg at u.
func useUpstream(u *fakeUpstream) func(*config.Config) {
	return func(c *config.Config) {
		c.Agent.Backend = config.BackendOpenAI
		c.Agent.BaseURL = u.srv.URL + "/v1"
	}
}

func (u *fakeUpstream) serve(w http.ResponseWriter, r *http.Request) {
	call := &upstreamCall{ended: make(chan struct{})}
	context.AfterFunc(r.Context(), func() {
		call.endedAt = time.Now()
		close(call.ended)
	})
	raw, err := io.ReadAll(r.Body)
	if err == nil {
		err = json.Unmarshal(raw, &call.body)
	}
	if err != nil || r.URL.Path != "/v1/chat/completions" {
		http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
		return
	}
	u.mu.Lock()
	u.calls = append(u.calls, call)
	answer := u.answer
	u.mu.Unlock()
	answer(w, r, call)
}

// call returns the i-th request, failing the test when there is none.
func (u *fakeUpstream) call(i int) *upstreamCall {
	u.t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if i >= len(u.calls) {
		u.t.Fatalf("the upstream received %d requests, want at least %d", len(u.calls), i+1)
	}
	return u.calls[i]
}

func (u *fakeUpstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.calls)
}

// messages returns the messages of a recorded request.
func (c *upstreamCall) messages() []map[string]any {
	list, _ := c.body["messages"].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, m := range list {
		mm, _ := m.(map[string]any)
		out = append(out, mm)
	}
	return out
}

func writeCompletion(w http.ResponseWriter, message map[string]any, finish string) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-up", "object": "chat.completion", "created": 1, "model": "up-model",
		"choices": []any{map[string]any{
			"index": 0, "finish_reason": finish, "message": message,
		}},
		"usage": map[string]int{"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
	})
}

// sseWriter writes an upstream chat completion stream.
type sseWriter struct {
	w http.ResponseWriter
}

func startSSE(w http.ResponseWriter) *sseWriter {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	return &sseWriter{w: w}
}

func (s *sseWriter) raw(text string) {
	_, _ = fmt.Fprint(s.w, text)
	_ = http.NewResponseController(s.w).Flush()
}

func (s *sseWriter) chunk(delta map[string]any, finish any) {
	b, _ := json.Marshal(map[string]any{
		"id": "chatcmpl-up", "object": "chat.completion.chunk", "created": 1, "model": "up-model",
		"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}},
	})
	s.raw("data: " + string(b) + "\n\n")
}

func (s *sseWriter) text(words ...string) {
	for _, w := range words {
		s.chunk(map[string]any{"content": w}, nil)
	}
}

// end writes the finish chunk, the usage chunk and [DONE].
func (s *sseWriter) end(finish string) {
	s.chunk(map[string]any{}, finish)
	b, _ := json.Marshal(map[string]any{
		"id": "chatcmpl-up", "object": "chat.completion.chunk", "created": 1, "model": "up-model",
		"choices": []any{},
		"usage":   map[string]int{"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
	})
	s.raw("data: " + string(b) + "\n\ndata: [DONE]\n\n")
}

// waitGone blocks until the client of r goes away. The bound only keeps a
// broken test from hanging; tests never rely on it.
func waitGone(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(time.Minute):
	}
}

// textAnswer responds to every request with text, streamed word by word when
// the request asks for a stream.
func textAnswer(words ...string) upstreamHandler {
	return func(w http.ResponseWriter, _ *http.Request, call *upstreamCall) {
		if stream, _ := call.body["stream"].(bool); stream {
			s := startSSE(w)
			s.chunk(map[string]any{"role": "assistant", "content": ""}, nil)
			s.text(words...)
			s.end("stop")
			return
		}
		text := ""
		for _, w := range words {
			text += w
		}
		writeCompletion(w, map[string]any{"role": "assistant", "content": text}, "stop")
	}
}
