package agent

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/actorgate/actorgate/messages"
)

// maxExpansion bounds the decoded text per input byte: JSON decoding turns
// one invalid UTF-8 byte into the three bytes of U+FFFD.
const maxExpansion = 3

// FuzzReadStream feeds arbitrary bytes to the upstream SSE reader. It must
// not panic or hang, must report what it streamed in the reply, and must
// keep the reply in proportion to what the upstream sent.
func FuzzReadStream(f *testing.F) {
	seeds := []string{
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\ndata: [DONE]\n\n",
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},\"finish_reason\":\"stop\"}]}\n\n",
		": keepalive\r\n\r\ndata: {\"choices\":[]}\r\n\r\ndata: [DONE]\r\n\r\n",
		"event: ping\nid: 7\nretry: 10\ndata: {\"choices\":[]}\n\n",
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"c\"," +
			"\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\"\"}}]}}]}\n\n" +
			"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1," +
			"\"function\":{\"arguments\":\":1}\"}}]}}]}\n\ndata: [DONE]\n\n",
		"data: {\"error\":{\"message\":\"overloaded\"}}\n\n",
		"data: {\"choices\":\ndata: []}\n\n",
		"data: {not json\n\n",
		"data: {\"choices\":[]} trailing\n\n",
		"data:{\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}\n\n",
		"data: \"\\u0000\\ud800\"\n\n",
		"data: " + strings.Repeat("x", 40<<10) + "\n\n",
		"",
		"\n\n\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		reply := &messages.AgentReply{RequestID: "run_fuzz"}
		var streamed strings.Builder
		emit := func(d messages.AgentDelta) {
			if d.RequestID != "run_fuzz" {
				t.Fatalf("delta for request %q", d.RequestID)
			}
			streamed.WriteString(d.Text)
		}
		_ = readStream(context.Background(), bytes.NewReader(data), reply, emit)

		if reply.Text != streamed.String() {
			t.Fatalf("reply text %q differs from the streamed text %q", reply.Text, streamed.String())
		}
		if len(reply.Text) > maxExpansion*len(data) {
			t.Fatalf("reply text of %d bytes from %d bytes of input", len(reply.Text), len(data))
		}
		args := 0
		for _, c := range reply.ToolCalls {
			args += len(c.Arguments) + len(c.Name) + len(c.ID)
		}
		if args > maxExpansion*len(data) {
			t.Fatalf("tool calls of %d bytes from %d bytes of input", args, len(data))
		}
		if reply.Err == nil && reply.FinishReason == "" {
			t.Fatal("a stream without an error has no finish reason")
		}
	})
}

// FuzzReadCompletion feeds arbitrary bytes to the reader of a completion
// that is not streamed. It must not panic, and a reply without an error
// must carry a finish reason.
func FuzzReadCompletion(f *testing.F) {
	seeds := []string{
		`{"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"hi"}}]}`,
		`{"choices":[{"message":{"tool_calls":[{"id":"c","type":"function",` +
			`"function":{"name":"f","arguments":"{}"}}]}}],"model":"m"}`,
		`{"error":{"message":"rate limited"}}`,
		`{"error":"plain string"}`,
		`{"choices":[]}`,
		`{"choices":null,"usage":{"prompt_tokens":-1}}`,
		`[1,2,3]`,
		`{"choices":[{"message":{"content":"unterminated`,
		``,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		reply := &messages.AgentReply{RequestID: "run_fuzz"}
		_ = readCompletion(context.Background(), bytes.NewReader(data), reply)
		if len(reply.Text) > maxExpansion*len(data) {
			t.Fatalf("reply text of %d bytes from %d bytes of input", len(reply.Text), len(data))
		}
		if reply.Err == nil && reply.FinishReason == "" {
			t.Fatal("a completion without an error has no finish reason")
		}
		if reply.Err != nil && len(reply.Err.Message) > maxErrorMessageBytes+200 {
			t.Fatalf("error message of %d bytes", len(reply.Err.Message))
		}
	})
}
