package agent

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
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
