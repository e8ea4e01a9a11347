package agent

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/actorgate/actorgate/messages"
)

// chunkSeeds are chunks in the shapes upstreams send, plus shapes that
// decodeChunk must leave to encoding/json.
var chunkSeeds = []string{
	contentChunk("Hello"),
	contentChunk("line\nbreak \"quoted\" \u00e9\u4e2d \U0001F600"),
	finishChunk("stop"),
	usageChunk(3, 4),
	`{"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},` +
		`"logprobs":null,"finish_reason":null}],"usage":null,"error":null}`,
	`{"choices":[{"index":0,"delta":{"content":"a"}},{"index":1,"delta":{"content":"b"}}]}`,
	`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"x",` +
		`"function":{"name":"f","arguments":"{}"}}]}}]}`,
	`{"error":{"message":"overloaded"}}`,
	`{"usage":{}}`,
	`{"usage":{"prompt_tokens":1,"PROMPT_TOKENS":2}}`,
	`{"usage":{"total_tokens":1,"total_tokens":2}}`,
	`{"usage":{"total_tokens":123456789}}`,
	`{"usage":{"total_tokens":1234567890}}`,
	`{"usage":[]}`,
	`{"error":"plain"}`,
	`{"Model":"m","choices":[]}`,
	`{"model":"a","model":"b"}`,
	`{"mod\u0065l":"m"}`,
	`{"choices":[{"index":0.0,"delta":{"content":"x"}}]}`,
	`{"choices":[{"index":01,"delta":{}}]}`,
	`{"choices":[{"index":-1,"delta":{}}]}`,
	`{"choices":[{"index":1e0,"delta":{}}]}`,
	`{"choices":[{"index":12345678901,"delta":{}}]}`,
	`{"choices":[null]}`,
	`{"choices":null,"model":null}`,
	`{"choices":[{"delta":null,"finish_reason":"length"}]}`,
	`{"choices":[{"delta":{"content":"\ud800"}}]}`,
	"{\"choices\":[{\"delta\":{\"content\":\"\xff\"}}]}",
	"{\"x\":\"\xff\",\"choices\":[]}",
	`{"x":[1,-2.5e+3,true,false,null,{"a":[]},"s\"\\\/\b\f\n\r\t\u00aF"],"choices":[]}`,
	`{"x":01}`,
	`{"x":1.}`,
	`{"x":-}`,
	`{"x":"\x"}`,
	`{"x":"\u12"}`,
	`{"x":nul}`,
	`{"x":nullx}`,
	`{"x":truefalse}`,
	`{"x":[1,]}`,
	`{"x":{"a":1,}}`,
	`{"choices":[]} trailing`,
	`{"choices":[]} {}`,
	` 	{"choices":[]}` + "\r\n",
	`{"choices":[`,
	`{`,
	`{}`,
	`[]`,
	`null`,
	`"text"`,
	``,
	`{"x":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `,"choices":[]}`,
	`{"x":` + strings.Repeat(`{"a":`, 20) + `1` + strings.Repeat("}", 20) + `}`,
}

// TestDecodeChunkMatchesJSON checks decodeChunk against json.Unmarshal on
// each seed, and that it handles the common shapes itself.
func TestDecodeChunkMatchesJSON(t *testing.T) {
	for _, seed := range chunkSeeds {
		checkDecodeChunk(t, []byte(seed))
	}

	common := []string{
		contentChunk("Hello"), contentChunk("a\nb"), finishChunk("stop"), usageChunk(3, 4),
		`{"usage":{"prompt_tokens":9,"completion_tokens":1,"total_tokens":10,` +
			`"prompt_tokens_details":{"cached_tokens":0}}}`,
		`{"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":""},` +
			`"logprobs":null,"finish_reason":null}],"usage":null,"error":null}`,
	}
	for _, chunk := range common {
		var c wireChunk
		if !decodeChunk([]byte(chunk), &c, "") {
			t.Errorf("decodeChunk(%s) = false, want the chunk decoded without encoding/json", chunk)
		}
	}
}

// TestDecodeChunkLeavesToJSON checks the shapes that decodeChunk must
// leave to encoding/json.
func TestDecodeChunkLeavesToJSON(t *testing.T) {
	tests := []struct {
		name  string
		chunk string
	}{
		{"tool calls", `{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0}]}}]}`},
		{"fractional usage", `{"usage":{"prompt_tokens":1.5}}`},
		{"negative usage", `{"usage":{"total_tokens":-1}}`},
		{"error object", `{"error":{"message":"overloaded"}}`},
		{"key differing in case", `{"Model":"m","choices":[]}`},
		{"duplicate key", `{"model":"a","model":"b"}`},
		{"escaped key", `{"mod\u0065l":"m"}`},
		{"fractional index", `{"choices":[{"index":0.0}]}`},
		{"invalid UTF-8", "{\"model\":\"\xff\"}"},
		{"trailing data", `{"choices":[]} trailing`},
		{"invalid JSON", `{"x":nullx}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c wireChunk
			if decodeChunk([]byte(tt.chunk), &c, "") {
				t.Errorf("decodeChunk(%s) = true, want false", tt.chunk)
			}
		})
	}
}

// FuzzDecodeChunk checks that whatever decodeChunk accepts, json.Unmarshal
// accepts too, with the same result.
func FuzzDecodeChunk(f *testing.F) {
	for _, seed := range chunkSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecodeChunk(t, data)
	})
}

func checkDecodeChunk(t *testing.T, data []byte) {
	t.Helper()
	var fast wireChunk
	if !decodeChunk(data, &fast, "up-model") {
		return
	}
	var slow wireChunk
	if err := json.Unmarshal(data, &slow); err != nil {
		t.Fatalf("decodeChunk accepted %q, which json.Unmarshal rejects: %v", data, err)
	}
	normalizeChunk(&fast)
	normalizeChunk(&slow)
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("decodeChunk(%q) = %+v, json.Unmarshal = %+v", data, fast, slow)
	}
}

// normalizeChunk maps the differences that streamState.handle ignores to
// one form: no choices and a null error.
func normalizeChunk(c *wireChunk) {
	if len(c.Choices) == 0 {
		c.Choices = nil
	}
	if string(c.Error) == "null" {
		c.Error = nil
	}
}

// completionSeeds are completions in the shapes upstreams send, plus
// shapes that decodeCompletion must leave to encoding/json.
var completionSeeds = []string{
	benchCompletion,
	`{"model":"up-model","choices":[{"message":{"content":"hi"},"finish_reason":"stop"}]}`,
	`{"choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":null,` +
		`"tool_calls":null},"logprobs":null,"finish_reason":null}],"usage":null,"error":null}`,
	`{"choices":[{"message":{"content":"a"}},{"message":{"content":"b"}}],` +
		`"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`,
	`{"choices":[{"message":{"role":"assistant","content":null,"tool_calls":[{"id":"c",` +
		`"type":"function","function":{"name":"f","arguments":"{}"}}]},` +
		`"finish_reason":"tool_calls"}]}`,
	`{"choices":[{"message":{"content":"no","refusal":"I can't help with that."}}]}`,
	`{"choices":[{"message":{"content":"line\nbreak \"q\" \u00e9 \ud83d\ude00"}}]}`,
	`{"choices":[{"message":{"content":"\ud800"}}]}`,
	"{\"choices\":[{\"message\":{\"content\":\"\xff\"}}]}",
	`{"choices":[{"message":{"tool_calls":[]}}]}`,
	`{"choices":[{"message":null,"finish_reason":"length"}]}`,
	`{"choices":[null]}`,
	`{"choices":[],"model":null}`,
	`{"choices":null}`,
	`{"choices":{}}`,
	`{"choices":[{"Message":{"content":"x"}}]}`,
	`{"choices":[{"message":{"Content":"x"}}]}`,
	`{"choices":[{"message":{"content":"a","content":"b"}}]}`,
	`{"choices":[{"finish_reason":"stop","finish_reason":"length"}]}`,
	`{"choices":[{"message":{"content":1}}]}`,
	`{"error":{"message":"overloaded"},"choices":[]}`,
	`{"error":"plain"}`,
	`{"error":null,"choices":[{"message":{"content":"x"}}]}`,
	`{"usage":{"prompt_tokens":1.5}}`,
	`{"usage":{"total_tokens":123456789,"prompt_tokens_details":{"cached_tokens":0}}}`,
	`{"usage":{"total_tokens":1234567890}}`,
	`{"model":"a","model":"b"}`,
	`{"mod\u0065l":"m"}`,
	`{"x":[1,-2.5e+3,true,false,null,{"a":[]},"s\"\\\/\b\f\n\r\t\u00aF"],"choices":[]}`,
	`{"x":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `,"choices":[]}`,
	`{"choices":[]} trailing`,
	` {"choices":[]}` + "\r\n",
	`{"choices":[`,
	`null`,
	`[]`,
	``,
}

// TestDecodeCompletionMatchesJSON checks decodeCompletion against
// json.Unmarshal on each seed, and that it handles the common shapes
// itself.
func TestDecodeCompletionMatchesJSON(t *testing.T) {
	for _, seed := range completionSeeds {
		checkDecodeCompletion(t, []byte(seed))
	}

	common := []string{
		benchCompletion,
		`{"model":"up-model","choices":[{"message":{"content":"hi"},"finish_reason":"stop"}]}`,
		`{"choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":null,` +
			`"tool_calls":null},"logprobs":null,"finish_reason":null}],"usage":null,"error":null}`,
		`{"choices":[{"message":{"content":"line\nbreak"}}]}`,
	}
	for _, completion := range common {
		var c wireCompletion
		if !decodeCompletion([]byte(completion), &c, "") {
			t.Errorf("decodeCompletion(%s) = false, want it decoded without encoding/json",
				completion)
		}
	}
}

// TestDecodeCompletionLeavesToJSON checks the shapes that decodeCompletion
// must leave to encoding/json.
func TestDecodeCompletionLeavesToJSON(t *testing.T) {
	tests := []struct {
		name       string
		completion string
	}{
		{"tool calls", `{"choices":[{"message":{"tool_calls":[{"id":"c"}]}}]}`},
		{"empty tool calls", `{"choices":[{"message":{"tool_calls":[]}}]}`},
		{"error object", `{"error":{"message":"overloaded"}}`},
		{"error string", `{"error":"plain"}`},
		{"null choice", `{"choices":[null]}`},
		{"key differing in case", `{"choices":[{"message":{"Content":"x"}}]}`},
		{"duplicate key", `{"choices":[{"message":{"content":"a","content":"b"}}]}`},
		{"escaped key", `{"mod\u0065l":"m"}`},
		{"content not a string", `{"choices":[{"message":{"content":1}}]}`},
		{"fractional usage", `{"usage":{"prompt_tokens":1.5}}`},
		{"invalid UTF-8", "{\"choices\":[{\"message\":{\"content\":\"\xff\"}}]}"},
		{"trailing data", `{"choices":[]} trailing`},
		{"top-level null", `null`},
		{"truncated", `{"choices":[`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c wireCompletion
			if decodeCompletion([]byte(tt.completion), &c, "") {
				t.Errorf("decodeCompletion(%s) = true, want false", tt.completion)
			}
		})
	}
}

// TestReadCompletionPaths checks the reply that readCompletion builds from
// a completion that decodeCompletion reads and from ones it leaves to
// encoding/json.
func TestReadCompletionPaths(t *testing.T) {
	tests := []struct {
		name       string
		completion string
		wantText   string
		wantCalls  int
		wantFinish string
		wantErr    string
	}{
		{"common shape", benchCompletion, "Oslo has about 720,000 people, and the " +
			"metropolitan area about 1.6 million.", 0, "stop", ""},
		{
			"tool calls",
			`{"choices":[{"message":{"content":null,"tool_calls":[{"id":"c","type":"function",` +
				`"function":{"name":"f","arguments":"{}"}}]}}]}`,
			"", 1, messages.FinishToolCalls, "",
		},
		{"escaped content", `{"choices":[{"message":{"content":"a\u0062"}}]}`, "ab", 0, "stop", ""},
		{"error", `{"error":{"message":"overloaded"}}`, "", 0, "", "overloaded"},
		{"no choices", `{"choices":[]}`, "", 0, "", "no choices"},
		{"invalid JSON", `{"choices":[`, "", 0, "", "not valid JSON: unexpected end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply := messages.AgentReply{RequestID: "r", Model: "up-model"}
			_ = readCompletion(context.Background(), strings.NewReader(tt.completion), &reply)

			if tt.wantErr != "" {
				if reply.Err == nil || !strings.Contains(reply.Err.Message, tt.wantErr) {
					t.Fatalf("reply error = %+v, want a message containing %q",
						reply.Err, tt.wantErr)
				}
				return
			}
			if reply.Err != nil {
				t.Fatalf("reply error = %+v", reply.Err)
			}
			if reply.Text != tt.wantText {
				t.Errorf("text = %q, want %q", reply.Text, tt.wantText)
			}
			if len(reply.ToolCalls) != tt.wantCalls {
				t.Errorf("tool calls = %+v, want %d", reply.ToolCalls, tt.wantCalls)
			}
			if reply.FinishReason != tt.wantFinish {
				t.Errorf("finish reason = %q, want %q", reply.FinishReason, tt.wantFinish)
			}
		})
	}
}

// FuzzDecodeCompletion checks that whatever decodeCompletion accepts,
// json.Unmarshal accepts too, with the same result.
func FuzzDecodeCompletion(f *testing.F) {
	for _, seed := range completionSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecodeCompletion(t, data)
	})
}

func checkDecodeCompletion(t *testing.T, data []byte) {
	t.Helper()
	var fast wireCompletion
	if !decodeCompletion(data, &fast, "up-model") {
		return
	}
	var slow wireCompletion
	if err := json.Unmarshal(data, &slow); err != nil {
		t.Fatalf("decodeCompletion accepted %q, which json.Unmarshal rejects: %v", data, err)
	}
	normalizeCompletion(&fast)
	normalizeCompletion(&slow)
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("decodeCompletion(%q) = %+v, json.Unmarshal = %+v", data, fast, slow)
	}
}

// normalizeCompletion maps the differences that readCompletion ignores to
// one form: no choices and a null error.
func normalizeCompletion(c *wireCompletion) {
	if len(c.Choices) == 0 {
		c.Choices = nil
	}
	if string(c.Error) == "null" {
		c.Error = nil
	}
}
