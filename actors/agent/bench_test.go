package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/actorgate/actorgate/messages"
)

// benchRequest is a typical chat request: instructions, a few turns of
// history and two sampling options.
func benchRequest() *messages.AgentRequest {
	return &messages.AgentRequest{
		RequestID:    "bench",
		Model:        "bench-model",
		Instructions: "You are a helpful assistant. Answer briefly.",
		Messages: []messages.ChatMessage{
			{Role: "user", Content: "What is the capital of Norway?"},
			{Role: "assistant", Content: "Oslo."},
			{Role: "user", Content: "And how many people live there, roughly? Give a \"number\"."},
		},
		Options: map[string]json.RawMessage{
			"temperature": json.RawMessage("0.2"),
			"max_tokens":  json.RawMessage("256"),
		},
		Stream: true,
	}
}

func BenchmarkEncodeRequest(b *testing.B) {
	req := benchRequest()
	b.ReportAllocs()
	for b.Loop() {
		body := acquireRequestBody()
		if err := body.encode(req, req.Model); err != nil {
			b.Fatal(err)
		}
		body.release()
	}
}

// benchStream is an upstream SSE body of 64 content chunks, a finish chunk,
// a usage chunk and [DONE].
func benchStream() []byte {
	var buf bytes.Buffer
	for i := range 64 {
		buf.WriteString("data: " + contentChunk("word"+strings.Repeat("s", i%5)+" ") + "\n\n")
	}
	for _, c := range []string{finishChunk("stop"), usageChunk(40, 64), "[DONE]"} {
		buf.WriteString("data: " + c + "\n\n")
	}
	return buf.Bytes()
}

func BenchmarkParseStream(b *testing.B) {
	data := benchStream()
	emit := func(messages.AgentDelta) {}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		reply := messages.AgentReply{RequestID: "bench"}
		_ = readStream(context.Background(), bytes.NewReader(data), &reply, emit)
		if reply.Err != nil {
			b.Fatal(reply.Err)
		}
	}
}

// BenchmarkOpenAIRunStream measures a whole streamed run against a local
// upstream that replays benchStream.
func BenchmarkOpenAIRunStream(b *testing.B) {
	data := benchStream()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = r.Body.Read(make([]byte, 4096))
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write(data)
	}))
	defer srv.Close()
	backend, err := NewOpenAI(OpenAIConfig{BaseURL: srv.URL + "/v1", Timeout: time.Minute}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = backend.Close() }()
	req := benchRequest()
	emit := func(messages.AgentDelta) {}

	b.ReportAllocs()
	for b.Loop() {
		reply := backend.Run(context.Background(), req, emit)
		if reply.Err != nil {
			b.Fatal(reply.Err)
		}
	}
}

// benchCompletion is a non-streamed completion as OpenAI sends it, with
// the fields that readCompletion skips.
const benchCompletion = `{"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",` +
	`"object":"chat.completion","created":1741570283,"model":"bench-model","choices":[{"index":0,"message":{` +
	`"role":"assistant","content":"Oslo has about 720,000 people, and the metropolitan ` +
	`area about 1.6 million.","refusal":null,"annotations":[]},"logprobs":null,` +
	`"finish_reason":"stop"}],"usage":{"prompt_tokens":42,"completion_tokens":19,` +
	`"total_tokens":61,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},` +
	`"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,` +
	`"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},` +
	`"service_tier":"default","system_fingerprint":"fp_06737a9306"}`

func BenchmarkReadCompletion(b *testing.B) {
	data := []byte(benchCompletion)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		reply := messages.AgentReply{RequestID: "bench"}
		_ = readCompletion(context.Background(), bytes.NewReader(data), &reply)
		if reply.Err != nil || reply.Text == "" {
			b.Fatalf("reply = %+v", reply)
		}
	}
}
