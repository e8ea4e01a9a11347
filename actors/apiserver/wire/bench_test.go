package wire

import (
	"net/http"
	"testing"

	"github.com/actorgate/actorgate/messages"
)

// typicalChatBody is the shape Open WebUI sends: a system prompt, a few
// turns, streaming with usage, and a temperature.
var typicalChatBody = []byte(`{"model":"actorgate","stream":true,` +
	`"stream_options":{"include_usage":true},"temperature":0.7,"messages":[` +
	`{"role":"system","content":"You are a helpful assistant. Answer briefly."},` +
	`{"role":"user","content":"What is the capital of Norway?"},` +
	`{"role":"assistant","content":"Oslo is the capital of Norway."},` +
	`{"role":"user","content":[{"type":"text","text":"And its population?"}]}]}`)

func BenchmarkDecodeChatRequest(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(typicalChatBody)))
	for b.Loop() {
		if _, e := DecodeChatRequest(typicalChatBody); e != nil {
			b.Fatal(e)
		}
	}
}

func BenchmarkDecodeResponsesRequest(b *testing.B) {
	body := []byte(`{"model":"actorgate","stream":true,"instructions":"be brief",` +
		`"previous_response_id":"resp_00112233445566778899aabbccddeeff0011223344556677",` +
		`"input":[{"role":"user","content":[{"type":"input_text","text":"And its population?"}]}]}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, e := DecodeResponsesRequest(body); e != nil {
			b.Fatal(e)
		}
	}
}

func BenchmarkAppendChatChunkDelta(b *testing.B) {
	d := &messages.AgentDelta{Text: "Oslo has about 700,000 inhabitants"}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendChatChunkDelta(buf[:0], testChatID, testCreated, testModel, d)
	}
}

func BenchmarkSSEWriterEvent(b *testing.B) {
	s := NewSSEWriter(discardFlusher{http.Header{}})
	data := AppendChatChunkDelta(nil, testChatID, testCreated, testModel,
		&messages.AgentDelta{Text: "Oslo has about 700,000 inhabitants"})
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := s.Data(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResponseStreamDelta(b *testing.B) {
	s := NewResponseStream(NewResponseObject(testParams(nil)))
	w := NewSSEWriter(discardFlusher{http.Header{}})
	d := &messages.AgentDelta{Text: "word "}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Delta(w, d); err != nil {
			b.Fatal(err)
		}
	}
}
