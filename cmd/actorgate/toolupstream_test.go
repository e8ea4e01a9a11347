package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// toolRequest is what the tool upstream records of a request.
type toolRequest struct {
	Stream   bool `json:"stream"`
	Messages []struct {
		Role       string `json:"role"`
		Content    any    `json:"content"`
		ToolCallID string `json:"tool_call_id"`
		ToolCalls  []struct {
			ID       string `json:"id"`
			Function struct {
				Name      string `json:"name"`
				Arguments string `json:"arguments"`
			} `json:"function"`
		} `json:"tool_calls"`
	} `json:"messages"`
	Tools []struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	} `json:"tools"`
}

// toolUpstream is an OpenAI-compatible model server on 127.0.0.1 that
// calls get_weather for Lyon, and responds "It is 18C" once the last
// message is the tool's result. It records every request.
type toolUpstream struct {
	*httptest.Server
	mu       sync.Mutex
	requests []toolRequest
}

func newToolUpstream(t *testing.T) *toolUpstream {
	t.Helper()
	u := &toolUpstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(u.Close)
	return u
}

// last returns the latest request, failing the test when there is none.
func (u *toolUpstream) last(t *testing.T) toolRequest {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.requests) == 0 {
		t.Fatal("the upstream received no request")
	}
	return u.requests[len(u.requests)-1]
}

func (u *toolUpstream) serve(w http.ResponseWriter, r *http.Request) {
	var req toolRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) == 0 {
		http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
		return
	}
	u.mu.Lock()
	u.requests = append(u.requests, req)
	u.mu.Unlock()

	answered := req.Messages[len(req.Messages)-1].Role == "tool"
	switch {
	case !req.Stream && answered:
		writeToolCompletion(w, map[string]any{"role": "assistant", "content": "It is 18C"}, "stop")
	case !req.Stream:
		writeToolCompletion(w, map[string]any{
			"role": "assistant", "content": nil,
			"tool_calls": []any{map[string]any{
				"id": "call_xyz", "type": "function",
				"function": map[string]any{"name": "get_weather", "arguments": `{"city":"Lyon"}`},
			}},
		}, "tool_calls")
	case answered:
		streamChunks(w, "stop", map[string]any{"content": "It is "}, map[string]any{"content": "18C"})
	default:
		streamChunks(w, "tool_calls",
			map[string]any{"tool_calls": []any{map[string]any{
				"index": 0, "id": "call_xyz", "type": "function",
				"function": map[string]any{"name": "get_weather", "arguments": ""},
			}}},
			map[string]any{"tool_calls": []any{map[string]any{
				"index": 0, "function": map[string]any{"arguments": `{"city":`},
			}}},
			map[string]any{"tool_calls": []any{map[string]any{
				"index": 0, "function": map[string]any{"arguments": `"Lyon"}`},
			}}})
	}
}

var toolUsage = map[string]int{"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13}

func writeToolCompletion(w http.ResponseWriter, message map[string]any, finish string) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-tool", "object": "chat.completion", "created": 1, "model": "tool-model",
		"choices": []any{map[string]any{"index": 0, "finish_reason": finish, "message": message}},
		"usage":   toolUsage,
	})
}

// streamChunks streams the role chunk, one chunk per delta, the finish
// chunk, the usage chunk and [DONE].
func streamChunks(w http.ResponseWriter, finish string, deltas ...map[string]any) {
	w.Header().Set("Content-Type", "text/event-stream")
	chunk := func(choices []any, usage any) {
		b, _ := json.Marshal(map[string]any{
			"id": "chatcmpl-tool", "object": "chat.completion.chunk", "created": 1,
			"model": "tool-model", "choices": choices, "usage": usage,
		})
		fmt.Fprintf(w, "data: %s\n\n", b)
	}
	choice := func(delta map[string]any, reason any) []any {
		return []any{map[string]any{"index": 0, "delta": delta, "finish_reason": reason}}
	}
	chunk(choice(map[string]any{"role": "assistant", "content": ""}, nil), nil)
	for _, d := range deltas {
		chunk(choice(d, nil), nil)
	}
	chunk(choice(map[string]any{}, finish), nil)
	chunk([]any{}, toolUsage)
	fmt.Fprint(w, "data: [DONE]\n\n")
}
