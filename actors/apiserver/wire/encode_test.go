package wire

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"

	"github.com/actorgate/actorgate/messages"
)

const (
	testCreated = 1_700_000_000
	testChatID  = "chatcmpl-0123456789abcdef0123456789abcdef"
	testModel   = "actorgate"
	testRespID  = "resp_00112233445566778899aabbccddeeff0011223344556677"
)

// normaliseIDs replaces the random item and call ids in out with numbered
// placeholders of the same shape, in order of first appearance, so that
// golden files stay stable while equal ids stay equal.
func normaliseIDs(out []byte) []byte {
	re := regexp.MustCompile(`(msg|fc|call)_[0-9a-f]{32}`)
	seen := map[string]string{}
	return re.ReplaceAllFunc(out, func(id []byte) []byte {
		if r, ok := seen[string(id)]; ok {
			return []byte(r)
		}
		prefix := string(id[:bytes.IndexByte(id, '_')+1])
		n := strconv.Itoa(len(seen) + 1)
		r := prefix + string(bytes.Repeat([]byte("0"), 32-len(n))) + n
		seen[string(id)] = r
		return []byte(r)
	})
}

func textReply() *messages.AgentReply {
	return &messages.AgentReply{
		Text:         "Hello \"world\"\n<ok>",
		FinishReason: messages.FinishStop,
		Usage:        messages.Usage{PromptTokens: 12, CompletionTokens: 5, TotalTokens: 17},
		Model:        testModel,
	}
}

func toolReply() *messages.AgentReply {
	return &messages.AgentReply{
		ToolCalls: []messages.ToolCall{
			{ID: "call_a", Type: "function", Name: "get_weather", Arguments: `{"city":"Oslo"}`},
			{ID: "call_b", Type: "function", Name: "get_time", Arguments: `{}`},
		},
		FinishReason: messages.FinishToolCalls,
		Usage:        messages.Usage{PromptTokens: 30, CompletionTokens: 9},
	}
}

func TestChatGolden(t *testing.T) {
	delta := &messages.AgentDelta{Text: "Hel"}
	toolDelta := &messages.AgentDelta{ToolCalls: []messages.ToolCallDelta{
		{Index: 0, ID: "call_a", Type: "function", Name: "get_weather", Arguments: `{"ci`},
		{Index: 1, Arguments: `{}`},
	}}
	cases := []struct {
		name string
		out  []byte
	}{
		{"chat_completion.json", AppendChatCompletion(nil, testChatID, testCreated, testModel,
			textReply())},
		{"chat_completion_tool_calls.json", AppendChatCompletion(nil, testChatID, testCreated,
			testModel, toolReply())},
		{"chat_chunk_role.json", AppendChatChunkRole(nil, testChatID, testCreated, testModel)},
		{"chat_chunk_text.json", AppendChatChunkDelta(nil, testChatID, testCreated, testModel,
			delta)},
		{"chat_chunk_tool_calls.json", AppendChatChunkDelta(nil, testChatID, testCreated,
			testModel, toolDelta)},
		{"chat_chunk_finish.json", AppendChatChunkFinish(nil, testChatID, testCreated, testModel,
			messages.FinishLength)},
		{"chat_chunk_usage.json", AppendChatChunkUsage(nil, testChatID, testCreated, testModel,
			messages.Usage{PromptTokens: 3, CompletionTokens: 4})},
		{"model_list.json", AppendModelList(nil, []string{"actorgate", "gpt-4o"}, testCreated,
			"actorgate")},
		{"model_list_empty.json", AppendModelList(nil, nil, testCreated, "actorgate")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkGolden(t, tc.name, tc.out)
		})
	}
}

func TestAppendChatCompletionShape(t *testing.T) {
	cases := []struct {
		name        string
		reply       *messages.AgentReply
		wantContent any
		wantFinish  string
		wantTotal   float64
	}{
		{"text", textReply(), "Hello \"world\"\n<ok>", "stop", 17},
		{"tools only", toolReply(), nil, "tool_calls", 39},
		{"empty", &messages.AgentReply{}, "", "stop", 0},
		{
			"tools without reason", &messages.AgentReply{ToolCalls: toolReply().ToolCalls},
			nil, "tool_calls", 0,
		},
		{
			"text and tools", &messages.AgentReply{Text: "t", ToolCalls: toolReply().ToolCalls},
			"t", "tool_calls", 0,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := AppendChatCompletion([]byte("prefix"), "id", 1, "m", tc.reply)
			if !bytes.HasPrefix(out, []byte("prefix{")) {
				t.Fatalf("output does not append to dst: %s", out)
			}
			var v struct {
				Object  string `json:"object"`
				Choices []struct {
					Message      map[string]any `json:"message"`
					FinishReason string         `json:"finish_reason"`
				} `json:"choices"`
				Usage map[string]float64 `json:"usage"`
			}
			mustUnmarshal(t, out[len("prefix"):], &v)
			if v.Object != "chat.completion" {
				t.Errorf("object = %q", v.Object)
			}
			if len(v.Choices) != 1 {
				t.Fatalf("choices = %d, want 1", len(v.Choices))
			}
			msg := v.Choices[0].Message
			if content, ok := msg["content"]; !ok || content != tc.wantContent {
				t.Errorf("content = %#v (present %v), want %#v", content, ok, tc.wantContent)
			}
			_, hasTools := msg["tool_calls"]
			if hasTools != (len(tc.reply.ToolCalls) > 0) {
				t.Errorf("tool_calls present = %v, want %v", hasTools, len(tc.reply.ToolCalls) > 0)
			}
			if v.Choices[0].FinishReason != tc.wantFinish {
				t.Errorf("finish_reason = %q, want %q", v.Choices[0].FinishReason, tc.wantFinish)
			}
			if v.Usage["total_tokens"] != tc.wantTotal {
				t.Errorf("total_tokens = %v, want %v", v.Usage["total_tokens"], tc.wantTotal)
			}
		})
	}
}

func TestAppendChatChunkDeltaShape(t *testing.T) {
	cases := []struct {
		name string
		d    messages.AgentDelta
		want string
	}{
		{"text", messages.AgentDelta{Text: "a"}, `{"content":"a"}`},
		{"empty", messages.AgentDelta{}, `{"content":""}`},
		{"tool first fragment", messages.AgentDelta{ToolCalls: []messages.ToolCallDelta{
			{Index: 2, ID: "c", Name: "f"},
		}}, `{"tool_calls":[{"index":2,"id":"c","type":"function","function":{"name":"f",` +
			`"arguments":""}}]}`},
		{"tool later fragment", messages.AgentDelta{ToolCalls: []messages.ToolCallDelta{
			{Index: 0, Arguments: `"}`},
		}}, `{"tool_calls":[{"index":0,"function":{"arguments":"\"}"}}]}`},
		{"text and tool", messages.AgentDelta{Text: "t", ToolCalls: []messages.ToolCallDelta{
			{Index: 0, Type: "function", Arguments: "x"},
		}}, `{"content":"t","tool_calls":[{"index":0,"type":"function","function":` +
			`{"arguments":"x"}}]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := AppendChatChunkDelta(nil, "id", 1, "m", &tc.d)
			var v struct {
				Choices []struct {
					Delta json.RawMessage `json:"delta"`
				} `json:"choices"`
			}
			mustUnmarshal(t, out, &v)
			if len(v.Choices) != 1 || string(v.Choices[0].Delta) != tc.want {
				t.Errorf("delta = %s, want %s", out, tc.want)
			}
		})
	}
}

func TestAppendChatChunkFinishDefault(t *testing.T) {
	out := AppendChatChunkFinish(nil, "id", 1, "m", "")
	if !bytes.Contains(out, []byte(`"delta":{},"logprobs":null,"finish_reason":"stop"`)) {
		t.Errorf("finish chunk = %s, want an empty delta and finish_reason stop", out)
	}
}

func TestAppendNullUsage(t *testing.T) {
	chunks := map[string][]byte{
		"role":   AppendChatChunkRole(nil, "id", 1, "m"),
		"delta":  AppendChatChunkDelta(nil, "id", 1, "m", &messages.AgentDelta{Text: "hi"}),
		"finish": AppendChatChunkFinish(nil, "id", 1, "m", "stop"),
	}
	for name, chunk := range chunks {
		t.Run(name, func(t *testing.T) {
			out := AppendNullUsage(bytes.Clone(chunk))
			var got map[string]json.RawMessage
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("not a JSON object: %v: %s", err, out)
			}
			if u, ok := got["usage"]; !ok || string(u) != "null" {
				t.Errorf("usage = %q (present %t), want null: %s", u, ok, out)
			}
			if !bytes.HasPrefix(out, chunk[:len(chunk)-1]) {
				t.Errorf("fields before usage changed: %s, was %s", out, chunk)
			}
		})
	}
	for _, in := range []string{"", "data", "[1]"} {
		if out := AppendNullUsage([]byte(in)); string(out) != in {
			t.Errorf("AppendNullUsage(%q) = %q, want it unchanged", in, out)
		}
	}
}

func TestErrorGolden(t *testing.T) {
	cases := []struct {
		name string
		err  *Error
	}{
		{"error_invalid_request.json", InvalidRequest("messages[0].role", CodeInvalidValue,
			"messages[0].role %q is not supported", "robot")},
		{"error_null_param.json", InvalidRequest("", "", "request body must be a JSON object")},
		{"error_not_found.json", NotFound("previous_response_id",
			"response %q not found", "resp_x")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			WriteError(rec, tc.err)
			if rec.Code != tc.err.Status {
				t.Errorf("status = %d, want %d", rec.Code, tc.err.Status)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			checkGolden(t, tc.name, rec.Body.Bytes())
		})
	}
}

func TestWriteErrorEnvelope(t *testing.T) {
	cases := []struct {
		name       string
		err        *Error
		wantStatus int
		wantParam  any
		wantCode   any
	}{
		{"nil error", nil, 500, nil, nil},
		{"bad status", &Error{Status: 200, Message: "m", Type: TypeServer}, 500, nil, nil},
		{
			"param and code", InvalidRequest("n", CodeUnsupported, "n must be 1"), 400, "n",
			CodeUnsupported,
		},
		{"custom", NewError(http.StatusTooManyRequests, TypeRateLimit, "", "rate_limit_exceeded",
			"slow down"), 429, nil, "rate_limit_exceeded"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			WriteError(rec, tc.err)
			if rec.Code != tc.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tc.wantStatus)
			}
			var env struct {
				Error map[string]any `json:"error"`
			}
			mustUnmarshal(t, rec.Body.Bytes(), &env)
			for _, key := range []string{"message", "type", "param", "code"} {
				if _, ok := env.Error[key]; !ok {
					t.Errorf("envelope has no %q: %s", key, rec.Body.Bytes())
				}
			}
			if env.Error["param"] != tc.wantParam {
				t.Errorf("param = %#v, want %#v", env.Error["param"], tc.wantParam)
			}
			if env.Error["code"] != tc.wantCode {
				t.Errorf("code = %#v, want %#v", env.Error["code"], tc.wantCode)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	e := InvalidRequest("stream", CodeInvalidType, "stream must be a boolean")
	if got := e.Error(); got != "stream must be a boolean" {
		t.Errorf("Error() = %q", got)
	}
}
