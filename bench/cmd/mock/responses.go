package main

import (
	"encoding/json"
)

// Fixed fields of every response.
const (
	completionID = "chatcmpl-bench"
	created      = 1_700_000_000
	model        = "bench-model"
	replyText    = "Hello! How can I help you today?"
)

func completion() map[string]any {
	return map[string]any{
		"id": completionID, "object": "chat.completion", "created": created, "model": model,
		"choices": []any{map[string]any{
			"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": replyText},
		}},
		"usage": map[string]any{"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21},
	}
}

func chunk(delta map[string]any, finish any) map[string]any {
	return map[string]any{
		"id": completionID, "object": "chat.completion.chunk", "created": created, "model": model,
		"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}},
	}
}

func usageChunk(chunks int) map[string]any {
	return map[string]any{
		"id": completionID, "object": "chat.completion.chunk", "created": created, "model": model,
		"choices": []any{},
		"usage": map[string]any{
			"prompt_tokens": 12, "completion_tokens": chunks, "total_tokens": 12 + chunks,
		},
	}
}

// sseFrame encodes v as one server-sent event.
func sseFrame(v any) []byte {
	b := []byte("data: ")
	b = append(b, mustJSON(v)...)
	return append(b, '\n', '\n')
}

// mustJSON encodes v and panics if encoding fails. The values built in this
// file hold only maps, slices, strings and integers, which encoding/json
// always encodes.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
