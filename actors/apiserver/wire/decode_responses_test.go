package wire

import (
	"strings"
	"testing"

	"github.com/actorgate/actorgate/messages"
)

func respBody(input string, extra ...string) string {
	fields := append([]string{`"model":"m"`, `"input":` + input}, extra...)
	return "{" + strings.Join(fields, ",") + "}"
}

func TestDecodeResponsesRequestErrors(t *testing.T) {
	fc := `{"type":"function_call","call_id":"c","name":"f","arguments":"{}"}`
	cases := []decodeErrorCase{
		{"empty body", ``, noParam, CodeInvalidType},
		{"array body", `[{"input":"x"}]`, noParam, CodeInvalidType},
		{"broken json", `{"input":"x"`, noParam, CodeInvalidJSON},
		{"input missing", `{"model":"m"}`, "input", CodeMissingParameter},
		{"input null", respBody(`null`), "input", CodeMissingParameter},
		{"input empty string", respBody(`""`), "input", CodeInvalidValue},
		{"input empty array", respBody(`[]`), "input", CodeInvalidValue},
		{"input number", respBody(`5`), "input", CodeInvalidType},
		{"input object", respBody(`{"role":"user","content":"x"}`), "input", CodeInvalidType},
		{
			"input only reasoning", respBody(`[{"type":"reasoning","summary":[]}]`), "input",
			CodeInvalidValue,
		},
		{"item not object", respBody(`["hi"]`), "input[0]", CodeInvalidType},
		{"item type number", respBody(`[{"type":1}]`), "input[0].type", CodeInvalidType},
		{"item type unknown", respBody(`[{"role":"user","content":"a"},{"type":"item_reference",` +
			`"id":"x"}]`), "input[1].type", CodeUnsupported},
		{"role missing", respBody(`[{"content":"x"}]`), "input[0].role", CodeMissingParameter},
		{
			"role tool", respBody(`[{"role":"tool","content":"x"}]`), "input[0].role",
			CodeInvalidValue,
		},
		{
			"message role missing", respBody(`[{"type":"message","content":"x"}]`), "input[0].role",
			CodeMissingParameter,
		},
		{
			"content missing", respBody(`[{"role":"user"}]`), "input[0].content",
			CodeMissingParameter,
		},
		{
			"content number", respBody(`[{"role":"user","content":1}]`), "input[0].content",
			CodeInvalidType,
		},
		{
			"part type unknown", respBody(`[{"role":"user","content":[{"type":"input_text",` +
				`"text":"a"},{"type":"input_file","file_id":"f"}]}]`), "input[0].content[1].type",
			CodeUnsupported,
		},
		{
			"part chat text type", respBody(`[{"role":"user","content":[{"type":"text","text":"a"}]}]`),
			"input[0].content[0].type", CodeUnsupported,
		},
		{
			"part text missing", respBody(`[{"role":"user","content":[{"type":"input_text"}]}]`),
			"input[0].content[0].text", CodeMissingParameter,
		},
		{"image file id", respBody(`[{"role":"user","content":[{"type":"input_image",` +
			`"file_id":"file-1"}]}]`), "input[0].content[0].file_id", CodeUnsupported},
		{
			"image url missing", respBody(`[{"role":"user","content":[{"type":"input_image"}]}]`),
			"input[0].content[0].image_url", CodeMissingParameter,
		},
		{
			"image url object", respBody(`[{"role":"user","content":[{"type":"input_image",` +
				`"image_url":{"url":"https://h/x.png"}}]}]`), "input[0].content[0].image_url",
			CodeInvalidType,
		},
		{
			"image url bad scheme", respBody(`[{"role":"user","content":[{"type":"input_image",` +
				`"image_url":"javascript:alert(1)"}]}]`), "input[0].content[0].image_url",
			CodeInvalidValue,
		},
		{
			"call id missing", respBody(`[{"type":"function_call","name":"f","arguments":"{}"}]`),
			"input[0].call_id", CodeMissingParameter,
		},
		{
			"call name missing", respBody(`[{"type":"function_call","call_id":"c","arguments":"{}"}]`),
			"input[0].name", CodeMissingParameter,
		},
		{
			"call arguments missing", respBody(`[{"type":"function_call","call_id":"c","name":"f"}]`),
			"input[0].arguments", CodeMissingParameter,
		},
		{"call arguments object", respBody(`[{"type":"function_call","call_id":"c","name":"f",` +
			`"arguments":{}}]`), "input[0].arguments", CodeInvalidType},
		{"output call id missing", respBody(`[` + fc + `,{"type":"function_call_output",` +
			`"output":"r"}]`), "input[1].call_id", CodeMissingParameter},
		{
			"output missing", respBody(`[` + fc + `,{"type":"function_call_output","call_id":"c"}]`),
			"input[1].output", CodeMissingParameter,
		},
		{"output number", respBody(`[` + fc + `,{"type":"function_call_output","call_id":"c",` +
			`"output":1}]`), "input[1].output", CodeInvalidType},
		{
			"output image part", respBody(`[` + fc + `,{"type":"function_call_output","call_id":"c",` +
				`"output":[{"type":"input_image","image_url":"https://h/x.png"}]}]`),
			"input[1].output[0].type", CodeUnsupported,
		},
		{"model number", respBody(`"x"`, `"model":1`), "model", CodeInvalidType},
		{
			"instructions number", respBody(`"x"`, `"instructions":1`), "instructions",
			CodeInvalidType,
		},
		{
			"previous id number", respBody(`"x"`, `"previous_response_id":1`),
			"previous_response_id", CodeInvalidType,
		},
		{"both chain fields", respBody(`"x"`, `"previous_response_id":"resp_1"`,
			`"conversation":"c"`), "conversation", CodeInvalidValue},
		{"both chain fields object", respBody(`"x"`, `"previous_response_id":"resp_1"`,
			`"conversation":{"id":"c"}`), "conversation", CodeInvalidValue},
		{
			"conversation number", respBody(`"x"`, `"conversation":1`), "conversation",
			CodeInvalidType,
		},
		{
			"conversation empty", respBody(`"x"`, `"conversation":""`), "conversation",
			CodeInvalidValue,
		},
		{
			"conversation id missing", respBody(`"x"`, `"conversation":{}`), "conversation.id",
			CodeMissingParameter,
		},
		{
			"conversation id number", respBody(`"x"`, `"conversation":{"id":2}`), "conversation.id",
			CodeInvalidType,
		},
		{"store string", respBody(`"x"`, `"store":"no"`), "store", CodeInvalidType},
		{"stream number", respBody(`"x"`, `"stream":0`), "stream", CodeInvalidType},
		{"background true", respBody(`"x"`, `"background":true`), "background", CodeUnsupported},
		{
			"history object", respBody(`"x"`, `"conversation_history":{}`), "conversation_history",
			CodeInvalidType,
		},
		{"history role", respBody(`"x"`, `"conversation_history":[{"role":"user","content":"a"},`+
			`{"role":"x","content":"b"}]`), "conversation_history[1].role", CodeInvalidValue},
		{
			"history part", respBody(`"x"`, `"conversation_history":[{"role":"user","content":`+
				`[{"type":"input_text","text":"a"}]}]`), "conversation_history[0].content[0].type",
			CodeUnsupported,
		},
		{
			"history tool call", respBody(`"x"`, `"conversation_history":[{"role":"assistant",`+
				`"tool_calls":[{"id":"c","type":"function","function":{"arguments":"{}"}}]}]`),
			"conversation_history[0].tool_calls[0].function.name", CodeMissingParameter,
		},
		{"tools chat shape", respBody(`"x"`, `"tools":[{"type":"function","function":`+
			`{"name":"f"}}]`), "tools[0].name", CodeMissingParameter},
		{
			"tools web search", respBody(`"x"`, `"tools":[{"type":"web_search_preview"}]`),
			"tools[0].type", CodeUnsupported,
		},
		{
			"tools type missing", respBody(`"x"`, `"tools":[{"name":"f"}]`), "tools[0].type",
			CodeMissingParameter,
		},
		{"tools parameters array", respBody(`"x"`, `"tools":[{"type":"function","name":"f",`+
			`"parameters":[]}]`), "tools[0].parameters", CodeInvalidType},
		{
			"tool_choice unknown", respBody(`"x"`, `"tool_choice":"any"`), "tool_choice",
			CodeInvalidValue,
		},
		{
			"tool_choice name missing", respBody(`"x"`, `"tool_choice":{"type":"function"}`),
			"tool_choice.name", CodeMissingParameter,
		},
		{
			"tool_choice hosted", respBody(`"x"`, `"tool_choice":{"type":"file_search"}`),
			"tool_choice.type", CodeUnsupported,
		},
		{
			"max_output_tokens string", respBody(`"x"`, `"max_output_tokens":"9"`),
			"max_output_tokens", CodeInvalidType,
		},
		{
			"max_output_tokens zero", respBody(`"x"`, `"max_output_tokens":0`),
			"max_output_tokens", "integer_below_min_value",
		},
		{
			"temperature too high", respBody(`"x"`, `"temperature":2.5`), "temperature",
			"decimal_above_max_value",
		},
		{"top_p negative", respBody(`"x"`, `"top_p":-1`), "top_p", "decimal_below_min_value"},
		{
			"temperature string", respBody(`"x"`, `"temperature":"1"`), "temperature",
			CodeInvalidType,
		},
		{"metadata array", respBody(`"x"`, `"metadata":[]`), "metadata", CodeInvalidType},
		{
			"metadata number value", respBody(`"x"`, `"metadata":{"a":1}`), "metadata",
			CodeInvalidType,
		},
		{"text string", respBody(`"x"`, `"text":"json"`), "text", CodeInvalidType},
		{
			"text format type unknown", respBody(`"x"`, `"text":{"format":{"type":"yaml"}}`),
			"text.format.type", CodeUnsupported,
		},
		{"text schema name missing", respBody(`"x"`, `"text":{"format":{"type":"json_schema",`+
			`"schema":{}}}`), "text.format.name", CodeMissingParameter},
		{"text schema missing", respBody(`"x"`, `"text":{"format":{"type":"json_schema",`+
			`"name":"n"}}`), "text.format.schema", CodeInvalidType},
		{
			"reasoning effort number", respBody(`"x"`, `"reasoning":{"effort":1}`),
			"reasoning.effort", CodeInvalidType,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, e := DecodeResponsesRequest([]byte(tc.body))
			if req != nil {
				t.Errorf("request = %+v, want nil", req)
			}
			checkDecodeError(t, tc, e)
		})
	}
}

func TestDecodeResponsesRequestChainMessage(t *testing.T) {
	_, e := DecodeResponsesRequest([]byte(respBody(`"x"`, `"previous_response_id":"a"`,
		`"conversation":"b"`)))
	if e == nil {
		t.Fatal("expected an error")
	}
	for _, field := range []string{"previous_response_id", "conversation"} {
		if !strings.Contains(e.Message, field) {
			t.Errorf("message %q does not name %s", e.Message, field)
		}
	}
}

func TestDecodeResponsesRequestValid(t *testing.T) {
	cases := []struct {
		name  string
		body  string
		check func(t *testing.T, r *ResponsesRequest)
	}{
		{"string input", respBody(`"hello"`), func(t *testing.T, r *ResponsesRequest) {
			assertMessages(t, r.Input, []messages.ChatMessage{{Role: "user", Content: "hello"}})
			if !r.Store {
				t.Error("store = false, want the default true")
			}
			if r.Model != "m" {
				t.Errorf("model = %q, want m", r.Model)
			}
			if r.HasInstructions || r.HasConversationHistory || r.Stream {
				t.Errorf("flags = %v %v %v, want false", r.HasInstructions,
					r.HasConversationHistory, r.Stream)
			}
		}},
		{
			"store false and stream", respBody(`"x"`, `"store":false`, `"stream":true`),
			func(t *testing.T, r *ResponsesRequest) {
				if r.Store {
					t.Error("store = true, want false")
				}
				if !r.Stream {
					t.Error("stream = false, want true")
				}
			},
		},
		{
			"store null is default", respBody(`"x"`, `"store":null`),
			func(t *testing.T, r *ResponsesRequest) {
				if !r.Store {
					t.Error("store = false, want true")
				}
			},
		},
		{
			"empty instructions present", respBody(`"x"`, `"instructions":""`),
			func(t *testing.T, r *ResponsesRequest) {
				if !r.HasInstructions || r.Instructions != "" {
					t.Errorf("instructions = %q %v, want empty and present", r.Instructions,
						r.HasInstructions)
				}
			},
		},
		{
			"null instructions absent", respBody(`"x"`, `"instructions":null`),
			func(t *testing.T, r *ResponsesRequest) {
				if r.HasInstructions {
					t.Error("HasInstructions = true for null")
				}
			},
		},
		{
			"instructions", respBody(`"x"`, `"instructions":"be brief"`),
			func(t *testing.T, r *ResponsesRequest) {
				if !r.HasInstructions || r.Instructions != "be brief" {
					t.Errorf("instructions = %q %v", r.Instructions, r.HasInstructions)
				}
			},
		},
		{
			"conversation string", respBody(`"x"`, `"conversation":"chat-1"`),
			func(t *testing.T, r *ResponsesRequest) {
				if r.Conversation != "chat-1" {
					t.Errorf("conversation = %q, want chat-1", r.Conversation)
				}
			},
		},
		{"conversation object", respBody(`"x"`, `"conversation":{"id":"chat-2"}`,
			`"previous_response_id":null`), func(t *testing.T, r *ResponsesRequest) {
			if r.Conversation != "chat-2" {
				t.Errorf("conversation = %q, want chat-2", r.Conversation)
			}
		}},
		{
			"previous id kept as sent", respBody(`"x"`, `"previous_response_id":"not-an-id"`),
			func(t *testing.T, r *ResponsesRequest) {
				if r.PreviousResponseID != "not-an-id" {
					t.Errorf("previous_response_id = %q", r.PreviousResponseID)
				}
			},
		},
		{
			"items normalised", respBody(`[{"role":"system","content":"s"},` +
				`{"type":"message","role":"user","content":[{"type":"input_text","text":"what "},` +
				`{"type":"input_text","text":"now"}]},` +
				`{"type":"message","id":"msg_1","status":"completed","role":"assistant",` +
				`"content":[{"type":"output_text","text":"calling","annotations":[]}]},` +
				`{"type":"function_call","id":"fc_1","call_id":"c1","name":"f","arguments":"{}"},` +
				`{"type":"function_call","call_id":"c2","name":"g","arguments":"{\"x\":1}"},` +
				`{"type":"reasoning","summary":[]},` +
				`{"type":"function_call_output","call_id":"c1","output":"r1"},` +
				`{"type":"function_call_output","call_id":"c2","output":[{"type":"input_text",` +
				`"text":"r"},{"type":"input_text","text":"2"}]}]`),
			func(t *testing.T, r *ResponsesRequest) {
				want := []messages.ChatMessage{
					{Role: "system", Content: "s"},
					{Role: "user", Content: "what now"},
					{Role: "assistant", Content: "calling", ToolCalls: []messages.ToolCall{
						{ID: "c1", Type: "function", Name: "f", Arguments: "{}"},
						{ID: "c2", Type: "function", Name: "g", Arguments: `{"x":1}`},
					}},
					{Role: "tool", ToolCallID: "c1", Content: "r1"},
					{Role: "tool", ToolCallID: "c2", Content: "r2"},
				}
				assertMessages(t, r.Input, want)
			},
		},
		{
			"function call first", respBody(`[{"type":"function_call","call_id":"c","name":"f",` +
				`"arguments":""},{"type":"function_call_output","call_id":"c","output":""}]`),
			func(t *testing.T, r *ResponsesRequest) {
				want := []messages.ChatMessage{
					{Role: "assistant", ToolCalls: []messages.ToolCall{
						{ID: "c", Type: "function", Name: "f"},
					}},
					{Role: "tool", ToolCallID: "c"},
				}
				assertMessages(t, r.Input, want)
			},
		},
		{"input image", respBody(`[{"role":"user","content":[{"type":"input_text","text":"see"},` +
			`{"type":"input_image","image_url":"data:image/png;base64,iVBORw0KGgo=",` +
			`"detail":"high"}]}]`), func(t *testing.T, r *ResponsesRequest) {
			want := []messages.ChatMessage{{
				Role: "user", Content: "see",
				Parts: []messages.ContentPart{
					{Type: "text", Text: "see"},
					{
						Type: "image_url", ImageURL: "data:image/png;base64,iVBORw0KGgo=",
						Detail: "high",
					},
				},
			}}
			assertMessages(t, r.Input, want)
		}},
		{
			"refusal part", respBody(`[{"role":"assistant","content":[{"type":"refusal",` +
				`"refusal":"no"}]},{"role":"user","content":"why"}]`),
			func(t *testing.T, r *ResponsesRequest) {
				want := []messages.ChatMessage{
					{Role: "assistant", Content: "no"},
					{Role: "user", Content: "why"},
				}
				assertMessages(t, r.Input, want)
			},
		},
		{
			"conversation history", respBody(`"x"`, `"conversation_history":[{"role":"user",`+
				`"content":"a"},{"role":"assistant","content":"b"}]`),
			func(t *testing.T, r *ResponsesRequest) {
				if !r.HasConversationHistory {
					t.Error("HasConversationHistory = false")
				}
				want := []messages.ChatMessage{
					{Role: "user", Content: "a"}, {Role: "assistant", Content: "b"},
				}
				assertMessages(t, r.ConversationHistory, want)
			},
		},
		{
			"empty conversation history", respBody(`"x"`, `"conversation_history":[]`),
			func(t *testing.T, r *ResponsesRequest) {
				if !r.HasConversationHistory || len(r.ConversationHistory) != 0 {
					t.Errorf("history = %v %v, want present and empty",
						r.HasConversationHistory, r.ConversationHistory)
				}
			},
		},
		{
			"tools converted", respBody(`"x"`, `"tools":[{"type":"function","name":"get",`+
				`"description":"d","parameters":{"type":"object","properties":{}},"strict":false},`+
				`{"type":"function","name":"put"}]`, `"tool_choice":{"type":"function","name":"get"}`),
			func(t *testing.T, r *ResponsesRequest) {
				wantTools := `[{"type":"function","function":{"name":"get","description":"d",` +
					`"parameters":{"type":"object","properties":{}},"strict":false}},` +
					`{"type":"function","function":{"name":"put"}}]`
				if string(r.Tools) != wantTools {
					t.Errorf("tools = %s\nwant %s", r.Tools, wantTools)
				}
				if string(r.ToolChoice) != `{"type":"function","function":{"name":"get"}}` {
					t.Errorf("tool_choice = %s", r.ToolChoice)
				}
				if !strings.HasPrefix(string(r.RawTools), `[{"type":"function","name":"get"`) {
					t.Errorf("raw tools = %s", r.RawTools)
				}
				if string(r.RawToolChoice) != `{"type":"function","name":"get"}` {
					t.Errorf("raw tool_choice = %s", r.RawToolChoice)
				}
			},
		},
		{
			"tool_choice mode", respBody(`"x"`, `"tool_choice":"required"`),
			func(t *testing.T, r *ResponsesRequest) {
				if string(r.ToolChoice) != `"required"` {
					t.Errorf("tool_choice = %s", r.ToolChoice)
				}
			},
		},
		{
			"options mapped", respBody(`"x"`, `"temperature":0.2`, `"top_p":0.9`,
				`"max_output_tokens":64`, `"parallel_tool_calls":false`, `"user":"u"`,
				`"reasoning":{"effort":"low","summary":"auto"}`, `"truncation":"auto"`,
				`"include":["x"]`, `"text":{"format":{"type":"json_schema","name":"out",`+
					`"description":"d","schema":{"type":"object"},"strict":true},"verbosity":"low"}`,
				`"metadata":{"k":"v"}`),
			func(t *testing.T, r *ResponsesRequest) {
				want := map[string]string{
					"temperature": "0.2", "top_p": "0.9", "max_tokens": "64",
					"parallel_tool_calls": "false", "user": `"u"`,
					"reasoning_effort": `"low"`, "verbosity": `"low"`,
					"response_format": `{"type":"json_schema","json_schema":{"name":"out",` +
						`"description":"d","schema":{"type":"object"},"strict":true}}`,
				}
				assertOptions(t, r.Options, want)
				if string(r.Metadata) != `{"k":"v"}` {
					t.Errorf("metadata = %s", r.Metadata)
				}
				if !strings.HasPrefix(string(r.RawText), `{"format":`) {
					t.Errorf("raw text = %s", r.RawText)
				}
			},
		},
		{
			"text json object", respBody(`"x"`, `"text":{"format":{"type":"json_object"}}`),
			func(t *testing.T, r *ResponsesRequest) {
				assertOptions(t, r.Options, map[string]string{
					"response_format": `{"type":"json_object"}`,
				})
			},
		},
		{
			"text plain sets nothing", respBody(`"x"`, `"text":{"format":{"type":"text"}}`),
			func(t *testing.T, r *ResponsesRequest) {
				assertOptions(t, r.Options, map[string]string{})
			},
		},
		{
			"background false", respBody(`"x"`, `"background":false`),
			func(t *testing.T, r *ResponsesRequest) {},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, e := DecodeResponsesRequest([]byte(tc.body))
			if e != nil {
				t.Fatalf("unexpected error: %v", e)
			}
			tc.check(t, r)
		})
	}
}

func TestDecodeResponsesRequestCaps(t *testing.T) {
	item := `{"role":"user","content":"x"}`
	tooMany := "[" + strings.Repeat(item+",", MaxMessages) + item + "]"
	big := strings.Repeat("a", MaxMessageText+1)
	tools := "[" + strings.Repeat(`{"type":"function","name":"f"},`, MaxTools) +
		`{"type":"function","name":"f"}]`
	cases := []decodeErrorCase{
		{"too many items", respBody(tooMany), "input", CodeTooLarge},
		{"string too large", respBody(`"` + big + `"`), "input", CodeTooLarge},
		{
			"item too large", respBody(`[{"role":"user","content":"` + big + `"}]`),
			"input[0].content", CodeTooLarge,
		},
		{"output too large", respBody(`[{"type":"function_call_output","call_id":"c",` +
			`"output":"` + big + `"}]`), "input[0].output", CodeTooLarge},
		{"too many tools", respBody(`"x"`, `"tools":`+tools), "tools", CodeTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, e := DecodeResponsesRequest([]byte(tc.body))
			checkDecodeError(t, tc, e)
		})
	}
}
