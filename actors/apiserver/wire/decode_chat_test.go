package wire

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/actorgate/actorgate/messages"
)

// noParam marks a case whose error has a null param.
const noParam = "<null>"

type decodeErrorCase struct {
	name  string
	body  string
	param string
	code  string
}

func checkDecodeError(t *testing.T, tc decodeErrorCase, e *Error) {
	t.Helper()
	if e == nil {
		t.Fatalf("body %s: expected an error about %s, got none", tc.body, tc.param)
	}
	want := tc.param
	if want == noParam {
		want = ""
	}
	if e.Param != want {
		t.Errorf("param = %q, want %q (message %q)", e.Param, want, e.Message)
	}
	if e.Status != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", e.Status)
	}
	if e.Type != TypeInvalidRequest {
		t.Errorf("type = %q, want %q", e.Type, TypeInvalidRequest)
	}
	if tc.code != "" && e.Code != tc.code {
		t.Errorf("code = %q, want %q", e.Code, tc.code)
	}
	if e.Message == "" {
		t.Error("message is empty")
	}
}

func chatBody(messagesJSON string, extra ...string) string {
	fields := append([]string{`"model":"m"`, `"messages":` + messagesJSON}, extra...)
	return "{" + strings.Join(fields, ",") + "}"
}

func TestDecodeChatRequestErrors(t *testing.T) {
	user := `[{"role":"user","content":"hi"}]`
	cases := []decodeErrorCase{
		{"empty body", ``, noParam, CodeInvalidType},
		{"array body", `[]`, noParam, CodeInvalidType},
		{"string body", `"hi"`, noParam, CodeInvalidType},
		{"null body", `null`, noParam, CodeInvalidType},
		{"broken json", `{"messages":`, noParam, CodeInvalidJSON},
		{"trailing garbage", `{"messages":[]} x`, noParam, CodeInvalidJSON},
		{"not json", `hello`, noParam, CodeInvalidJSON},
		{"array body too deep", nested(maxDepth+1, ``), noParam, CodeInvalidJSON},
		{
			"several invalid options", chatBody(user, `"user":1`, `"top_p":"x"`,
				`"temperature":"x"`), "temperature", CodeInvalidType,
		},
		{"messages missing", `{"model":"m"}`, "messages", CodeMissingParameter},
		{"messages null", `{"messages":null}`, "messages", CodeMissingParameter},
		{"messages object", `{"messages":{}}`, "messages", CodeInvalidType},
		{"messages string", `{"messages":"hi"}`, "messages", CodeInvalidType},
		{"messages empty", `{"messages":[]}`, "messages", CodeInvalidValue},
		{"message not object", chatBody(`["hi"]`), "messages[0]", CodeInvalidType},
		{"message null", chatBody(`[null]`), "messages[0]", CodeInvalidType},
		{"role missing", chatBody(`[{"content":"x"}]`), "messages[0].role", CodeMissingParameter},
		{"role number", chatBody(`[{"role":1,"content":"x"}]`), "messages[0].role", CodeInvalidType},
		{
			"role unknown", chatBody(`[{"role":"robot","content":"x"}]`), "messages[0].role",
			CodeInvalidValue,
		},
		{
			"role second", chatBody(`[{"role":"user","content":"x"},{"role":"","content":"x"}]`),
			"messages[1].role", CodeInvalidValue,
		},
		{
			"name number", chatBody(`[{"role":"user","content":"x","name":3}]`),
			"messages[0].name", CodeInvalidType,
		},
		{
			"user content null", chatBody(`[{"role":"user","content":null}]`),
			"messages[0].content", CodeMissingParameter,
		},
		{
			"user content missing", chatBody(`[{"role":"user"}]`), "messages[0].content",
			CodeMissingParameter,
		},
		{
			"system content null", chatBody(`[{"role":"system","content":null}]`),
			"messages[0].content", CodeMissingParameter,
		},
		{
			"assistant content null", chatBody(`[{"role":"assistant","content":null}]`),
			"messages[0].content", CodeMissingParameter,
		},
		{
			"content number", chatBody(`[{"role":"user","content":42}]`), "messages[0].content",
			CodeInvalidType,
		},
		{
			"content object", chatBody(`[{"role":"user","content":{"text":"x"}}]`),
			"messages[0].content", CodeInvalidType,
		},
		{
			"part not object", chatBody(`[{"role":"user","content":["x"]}]`),
			"messages[0].content[0]", CodeInvalidType,
		},
		{
			"part type missing", chatBody(`[{"role":"user","content":[{"text":"x"}]}]`),
			"messages[0].content[0].type", CodeMissingParameter,
		},
		{"part type unknown", chatBody(`[{"role":"user","content":[{"type":"text","text":"a"},` +
			`{"type":"video","video":"v"}]}]`), "messages[0].content[1].type", CodeUnsupported},
		{
			"part type audio", chatBody(`[{"role":"user","content":[{"type":"input_audio"}]}]`),
			"messages[0].content[0].type", CodeUnsupported,
		},
		{
			"text part text missing", chatBody(`[{"role":"user","content":[{"type":"text"}]}]`),
			"messages[0].content[0].text", CodeMissingParameter,
		},
		{"text part text number", chatBody(`[{"role":"user","content":[{"type":"text",` +
			`"text":5}]}]`), "messages[0].content[0].text", CodeInvalidType},
		{"image part missing url object", chatBody(`[{"role":"user","content":` +
			`[{"type":"image_url"}]}]`), "messages[0].content[0].image_url", CodeMissingParameter},
		{
			"image part url missing", chatBody(`[{"role":"user","content":` +
				`[{"type":"image_url","image_url":{}}]}]`), "messages[0].content[0].image_url.url",
			CodeMissingParameter,
		},
		{
			"image part url ftp", chatBody(`[{"role":"user","content":[{"type":"image_url",` +
				`"image_url":{"url":"ftp://h/x.png"}}]}]`), "messages[0].content[0].image_url.url",
			CodeInvalidValue,
		},
		{
			"image part url relative", chatBody(`[{"role":"user","content":[{"type":"image_url",` +
				`"image_url":{"url":"/x.png"}}]}]`), "messages[0].content[0].image_url.url",
			CodeInvalidValue,
		},
		{
			"image part url no host", chatBody(`[{"role":"user","content":[{"type":"image_url",` +
				`"image_url":{"url":"https:///x.png"}}]}]`), "messages[0].content[0].image_url.url",
			CodeInvalidValue,
		},
		{
			"image part data text", chatBody(`[{"role":"user","content":[{"type":"image_url",` +
				`"image_url":{"url":"data:text/plain;base64,aGk="}}]}]`),
			"messages[0].content[0].image_url.url", CodeInvalidValue,
		},
		{
			"image part data not base64", chatBody(`[{"role":"user","content":[{"type":"image_url",` +
				`"image_url":{"url":"data:image/png,abc"}}]}]`),
			"messages[0].content[0].image_url.url", CodeInvalidValue,
		},
		{
			"image part data bad chars", chatBody(`[{"role":"user","content":[{"type":"image_url",` +
				`"image_url":{"url":"data:image/png;base64,ab$d"}}]}]`),
			"messages[0].content[0].image_url.url", CodeInvalidValue,
		},
		{
			"image part data empty", chatBody(`[{"role":"user","content":[{"type":"image_url",` +
				`"image_url":{"url":"data:image/png;base64,"}}]}]`),
			"messages[0].content[0].image_url.url", CodeInvalidValue,
		},
		{
			"image part data bad padding", chatBody(`[{"role":"user","content":[{"type":"image_url",` +
				`"image_url":{"url":"data:image/png;base64,a==="}}]}]`),
			"messages[0].content[0].image_url.url", CodeInvalidValue,
		},
		{"image part url number", chatBody(`[{"role":"user","content":[{"type":"image_url",` +
			`"image_url":{"url":7}}]}]`), "messages[0].content[0].image_url.url", CodeInvalidType},
		{
			"image part detail number", chatBody(`[{"role":"user","content":[{"type":"image_url",` +
				`"image_url":{"url":"https://h/x.png","detail":1}}]}]`),
			"messages[0].content[0].image_url.detail", CodeInvalidType,
		},
		{
			"tool without call id", chatBody(`[{"role":"tool","content":"r"}]`),
			"messages[0].tool_call_id", CodeMissingParameter,
		},
		{
			"tool call id empty", chatBody(`[{"role":"tool","content":"r","tool_call_id":""}]`),
			"messages[0].tool_call_id", CodeInvalidValue,
		},
		{
			"tool call id number", chatBody(`[{"role":"tool","content":"r","tool_call_id":1}]`),
			"messages[0].tool_call_id", CodeInvalidType,
		},
		{
			"function without name", chatBody(`[{"role":"function","content":"r"}]`),
			"messages[0].name", CodeMissingParameter,
		},
		{
			"tool_calls object", chatBody(`[{"role":"assistant","tool_calls":{}}]`),
			"messages[0].tool_calls", CodeInvalidType,
		},
		{
			"tool_calls id missing", chatBody(`[{"role":"assistant","tool_calls":[{"type":"function",` +
				`"function":{"name":"f","arguments":"{}"}}]}]`), "messages[0].tool_calls[0].id",
			CodeMissingParameter,
		},
		{
			"tool_calls type wrong", chatBody(`[{"role":"assistant","tool_calls":[{"id":"c",` +
				`"type":"custom","function":{"name":"f","arguments":"{}"}}]}]`),
			"messages[0].tool_calls[0].type", CodeUnsupported,
		},
		{"tool_calls function missing", chatBody(`[{"role":"assistant","tool_calls":[{"id":"c",` +
			`"type":"function"}]}]`), "messages[0].tool_calls[0].function", CodeMissingParameter},
		{
			"tool_calls function string", chatBody(`[{"role":"assistant","tool_calls":[{"id":"c",` +
				`"type":"function","function":"f"}]}]`), "messages[0].tool_calls[0].function",
			CodeInvalidType,
		},
		{
			"tool_calls name missing", chatBody(`[{"role":"assistant","tool_calls":[{"id":"a",` +
				`"type":"function","function":{"name":"f","arguments":"{}"}},{"id":"b",` +
				`"type":"function","function":{"arguments":"{}"}}]}]`),
			"messages[0].tool_calls[1].function.name", CodeMissingParameter,
		},
		{
			"tool_calls arguments object", chatBody(`[{"role":"assistant","tool_calls":[{"id":"c",` +
				`"type":"function","function":{"name":"f","arguments":{}}}]}]`),
			"messages[0].tool_calls[0].function.arguments", CodeInvalidType,
		},
		{
			"tool_calls arguments missing", chatBody(`[{"role":"assistant","tool_calls":[{"id":"c",` +
				`"type":"function","function":{"name":"f"}}]}]`),
			"messages[0].tool_calls[0].function.arguments", CodeMissingParameter,
		},
		{"model number", `{"model":5,"messages":` + user + `}`, "model", CodeInvalidType},
		{"model object", `{"model":{},"messages":` + user + `}`, "model", CodeInvalidType},
		{"stream string", chatBody(user, `"stream":"true"`), "stream", CodeInvalidType},
		{"stream number", chatBody(user, `"stream":1`), "stream", CodeInvalidType},
		{
			"stream_options array", chatBody(user, `"stream_options":[]`), "stream_options",
			CodeInvalidType,
		},
		{
			"include_usage string", chatBody(user, `"stream_options":{"include_usage":"yes"}`),
			"stream_options.include_usage", CodeInvalidType,
		},
		{"n two", chatBody(user, `"n":2`), "n", CodeUnsupported},
		{"n zero", chatBody(user, `"n":0`), "n", CodeUnsupported},
		{"n string", chatBody(user, `"n":"1"`), "n", CodeInvalidType},
		{"n float", chatBody(user, `"n":1.5`), "n", CodeInvalidType},
		{"tools object", chatBody(user, `"tools":{}`), "tools", CodeInvalidType},
		{"tools item string", chatBody(user, `"tools":["f"]`), "tools[0]", CodeInvalidType},
		{
			"tools type missing", chatBody(user, `"tools":[{"function":{"name":"f"}}]`),
			"tools[0].type", CodeMissingParameter,
		},
		{
			"tools type web", chatBody(user, `"tools":[{"type":"web_search"}]`), "tools[0].type",
			CodeUnsupported,
		},
		{
			"tools function missing", chatBody(user, `"tools":[{"type":"function"}]`),
			"tools[0].function", CodeMissingParameter,
		},
		{
			"tools name missing", chatBody(user, `"tools":[{"type":"function",`+
				`"function":{"name":"a"}},`+
				`{"type":"function","function":{"description":"d"}}]`), "tools[1].function.name",
			CodeMissingParameter,
		},
		{"tools parameters string", chatBody(user, `"tools":[{"type":"function","function":`+
			`{"name":"f","parameters":"{}"}}]`), "tools[0].function.parameters", CodeInvalidType},
		{"tools description number", chatBody(user, `"tools":[{"type":"function","function":`+
			`{"name":"f","description":1}}]`), "tools[0].function.description", CodeInvalidType},
		{"tools strict string", chatBody(user, `"tools":[{"type":"function","function":`+
			`{"name":"f","strict":"yes"}}]`), "tools[0].function.strict", CodeInvalidType},
		{
			"tool_choice unknown", chatBody(user, `"tool_choice":"always"`), "tool_choice",
			CodeInvalidValue,
		},
		{"tool_choice number", chatBody(user, `"tool_choice":1`), "tool_choice", CodeInvalidType},
		{"tool_choice function without name", chatBody(user, `"tool_choice":{"type":"function",`+
			`"function":{}}`), "tool_choice.function.name", CodeMissingParameter},
		{
			"tool_choice function missing", chatBody(user, `"tool_choice":{"type":"function"}`),
			"tool_choice.function", CodeMissingParameter,
		},
		{
			"tool_choice type unknown", chatBody(user, `"tool_choice":{"type":"custom"}`),
			"tool_choice.type", CodeUnsupported,
		},
		{
			"temperature string", chatBody(user, `"temperature":"hot"`), "temperature",
			CodeInvalidType,
		},
		{"top_p bool", chatBody(user, `"top_p":true`), "top_p", CodeInvalidType},
		{
			"temperature overflow", chatBody(user, `"temperature":1e400`), "temperature",
			CodeInvalidValue,
		},
		{"max_tokens float", chatBody(user, `"max_tokens":10.5`), "max_tokens", CodeInvalidType},
		{"max_tokens huge", chatBody(user, `"max_tokens":1e400`), "max_tokens", CodeInvalidType},
		{"seed string", chatBody(user, `"seed":"1"`), "seed", CodeInvalidType},
		{"user number", chatBody(user, `"user":1`), "user", CodeInvalidType},
		{"stop number", chatBody(user, `"stop":1`), "stop", CodeInvalidType},
		{"stop mixed array", chatBody(user, `"stop":["a",1]`), "stop", CodeInvalidType},
		{
			"response_format string", chatBody(user, `"response_format":"json"`),
			"response_format", CodeInvalidType,
		},
		{"logprobs string", chatBody(user, `"logprobs":"no"`), "logprobs", CodeInvalidType},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, e := DecodeChatRequest([]byte(tc.body))
			if req != nil {
				t.Errorf("request = %+v, want nil", req)
			}
			checkDecodeError(t, tc, e)
		})
	}
}

func TestDecodeChatRequestBodyMessage(t *testing.T) {
	_, e := DecodeChatRequest([]byte(`[1,2]`))
	if e == nil || e.Message != "request body must be a JSON object" {
		t.Fatalf("error = %+v, want the JSON object message", e)
	}
}

func TestDecodeChatRequestImageMessage(t *testing.T) {
	body := chatBody(`[{"role":"user","content":[{"type":"image_url",` +
		`"image_url":{"url":"file:///etc/passwd"}}]}]`)
	_, e := DecodeChatRequest([]byte(body))
	want := "image_url.url must be an http(s) URL or a data:image/ URL"
	if e == nil || e.Message != want {
		t.Fatalf("error = %+v, want message %q", e, want)
	}
}

func TestDecodeChatRequestCaps(t *testing.T) {
	oneMessage := `{"role":"user","content":"x"}`
	tooMany := "[" + strings.Repeat(oneMessage+",", MaxMessages) + oneMessage + "]"
	bigText := strings.Repeat("a", MaxMessageText+1)
	parts := "[" + strings.Repeat(`{"type":"text","text":"a"},`, MaxContentParts) +
		`{"type":"text","text":"a"}]`
	half := strings.Repeat("b", MaxMessageText/2+1)
	cases := []decodeErrorCase{
		{"too many messages", chatBody(tooMany), "messages", CodeTooLarge},
		{
			"text too large", chatBody(`[{"role":"user","content":"` + bigText + `"}]`),
			"messages[0].content", CodeTooLarge,
		},
		{
			"too many parts", chatBody(`[{"role":"user","content":` + parts + `}]`),
			"messages[0].content", CodeTooLarge,
		},
		{
			"parts text too large", chatBody(`[{"role":"user","content":[{"type":"text","text":"` +
				half + `"},{"type":"text","text":"` + half + `"}]}]`), "messages[0].content",
			CodeTooLarge,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, e := DecodeChatRequest([]byte(tc.body))
			checkDecodeError(t, tc, e)
		})
	}

	atLimit := "[" + strings.Repeat(oneMessage+",", MaxMessages-1) + oneMessage + "]"
	req, e := DecodeChatRequest([]byte(chatBody(atLimit)))
	if e != nil {
		t.Fatalf("%d messages: unexpected error %v", MaxMessages, e)
	}
	if len(req.Messages) != MaxMessages {
		t.Errorf("messages = %d, want %d", len(req.Messages), MaxMessages)
	}
}

func TestDecodeChatRequestValid(t *testing.T) {
	cases := []struct {
		name  string
		body  string
		check func(t *testing.T, r *ChatRequest)
	}{
		{
			"minimal", `{"messages":[{"role":"user","content":"hi"}]}`,
			func(t *testing.T, r *ChatRequest) {
				want := []messages.ChatMessage{{Role: "user", Content: "hi"}}
				assertMessages(t, r.Messages, want)
				if r.Model != "" || r.Stream || r.IncludeUsage {
					t.Errorf("defaults = %q %v %v, want empty", r.Model, r.Stream, r.IncludeUsage)
				}
				if r.Tools != nil || r.ToolChoice != nil || r.Options != nil {
					t.Errorf("tools/options = %s %s %v, want nil", r.Tools, r.ToolChoice, r.Options)
				}
			},
		},
		{"model and stream", chatBody(`[{"role":"user","content":"hi"}]`, `"stream":true`,
			`"stream_options":{"include_usage":true}`), func(t *testing.T, r *ChatRequest) {
			if r.Model != "m" {
				t.Errorf("model = %q, want m", r.Model)
			}
			if !r.Stream {
				t.Error("stream = false, want true")
			}
			if !r.IncludeUsage {
				t.Error("include_usage = false, want true")
			}
		}},
		{"nulls are defaults", `{"model":null,"messages":[{"role":"user","content":"x"}],` +
			`"stream":null,"stream_options":null,"n":null,"tools":null,"tool_choice":null,` +
			`"temperature":null}`, func(t *testing.T, r *ChatRequest) {
			if r.Model != "" || r.Stream || r.Tools != nil || r.ToolChoice != nil {
				t.Errorf("request = %+v, want defaults", r)
			}
			if _, ok := r.Options["temperature"]; ok {
				t.Error("null temperature was passed through")
			}
		}},
		{
			"every role", chatBody(`[{"role":"system","content":"s"},{"role":"developer",` +
				`"content":"d"},{"role":"user","content":"u","name":"ann"},{"role":"assistant",` +
				`"content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f",` +
				`"arguments":"{\"a\":1}"}},{"id":"c2","function":{"name":"g","arguments":""}}]},` +
				`{"role":"tool","tool_call_id":"c1","content":"r1"},{"role":"tool",` +
				`"tool_call_id":"c2","content":null},{"role":"function","name":"f","content":"old"}]`),
			func(t *testing.T, r *ChatRequest) {
				want := []messages.ChatMessage{
					{Role: "system", Content: "s"},
					{Role: "developer", Content: "d"},
					{Role: "user", Content: "u", Name: "ann"},
					{Role: "assistant", ToolCalls: []messages.ToolCall{
						{ID: "c1", Type: "function", Name: "f", Arguments: `{"a":1}`},
						{ID: "c2", Type: "function", Name: "g"},
					}},
					{Role: "tool", ToolCallID: "c1", Content: "r1"},
					{Role: "tool", ToolCallID: "c2"},
					{Role: "function", Name: "f", Content: "old"},
				}
				assertMessages(t, r.Messages, want)
			},
		},
		{"text parts joined", chatBody(`[{"role":"user","content":[{"type":"text","text":"a"},` +
			`{"type":"text","text":"b"}]}]`), func(t *testing.T, r *ChatRequest) {
			assertMessages(t, r.Messages, []messages.ChatMessage{{Role: "user", Content: "ab"}})
		}},
		{
			"image parts kept", chatBody(`[{"role":"user","content":[{"type":"text","text":"look"},` +
				`{"type":"image_url","image_url":{"url":"https://example.com/a.png","detail":"low"}},` +
				`{"type":"image_url","image_url":{"url":"data:image/svg+xml;base64,PHN2Zz4="}},` +
				`{"type":"image_url","image_url":"HTTP://example.com/b.png"}]}]`),
			func(t *testing.T, r *ChatRequest) {
				want := []messages.ChatMessage{{
					Role: "user", Content: "look", Parts: []messages.ContentPart{
						{Type: "text", Text: "look"},
						{Type: "image_url", ImageURL: "https://example.com/a.png", Detail: "low"},
						{Type: "image_url", ImageURL: "data:image/svg+xml;base64,PHN2Zz4="},
						{Type: "image_url", ImageURL: "HTTP://example.com/b.png"},
					},
				}}
				assertMessages(t, r.Messages, want)
			},
		},
		{
			"empty content array", chatBody(`[{"role":"user","content":[]}]`),
			func(t *testing.T, r *ChatRequest) {
				assertMessages(t, r.Messages, []messages.ChatMessage{{Role: "user"}})
			},
		},
		{
			"unknown fields ignored", chatBody(`[{"role":"user","content":"x","extra":1}]`,
				`"frobnicate":{"a":[1,2]}`, `"stream_options":{"other":1}`),
			func(t *testing.T, r *ChatRequest) {
				if _, ok := r.Options["frobnicate"]; ok {
					t.Error("unknown field passed through in Options")
				}
			},
		},
		{
			"options passed through", chatBody(`[{"role":"user","content":"x"}]`,
				`"temperature":0.5`, `"top_p":1`, `"max_tokens":100`, `"max_completion_tokens":5`,
				`"stop":["a","b"]`, `"seed":-3`, `"n":1`, `"user":"u"`, `"logit_bias":{"1":2}`,
				`"response_format":{"type":"json_object"}`, `"parallel_tool_calls":false`),
			func(t *testing.T, r *ChatRequest) {
				want := map[string]string{
					"temperature": "0.5", "top_p": "1", "max_tokens": "100",
					"max_completion_tokens": "5", "stop": `["a","b"]`, "seed": "-3",
					"user": `"u"`, "logit_bias": `{"1":2}`,
					"response_format": `{"type":"json_object"}`, "parallel_tool_calls": "false",
				}
				assertOptions(t, r.Options, want)
			},
		},
		{
			"stop string", chatBody(`[{"role":"user","content":"x"}]`, `"stop":"END"`),
			func(t *testing.T, r *ChatRequest) {
				assertOptions(t, r.Options, map[string]string{"stop": `"END"`})
			},
		},
		{
			"tools passed through", chatBody(`[{"role":"user","content":"x"}]`,
				`"tools":[{"type":"function","function":{"name":"get","description":"d",`+
					`"parameters":{"type":"object"},"strict":true}}]`,
				`"tool_choice":{"type":"function","function":{"name":"get"}}`),
			func(t *testing.T, r *ChatRequest) {
				wantTools := `[{"type":"function","function":{"name":"get","description":"d",` +
					`"parameters":{"type":"object"},"strict":true}}]`
				if string(r.Tools) != wantTools {
					t.Errorf("tools = %s, want %s", r.Tools, wantTools)
				}
				if string(r.ToolChoice) != `{"type":"function","function":{"name":"get"}}` {
					t.Errorf("tool_choice = %s", r.ToolChoice)
				}
			},
		},
		{"empty tools dropped", chatBody(`[{"role":"user","content":"x"}]`, `"tools":[]`,
			`"tool_choice":"none"`), func(t *testing.T, r *ChatRequest) {
			if r.Tools != nil {
				t.Errorf("tools = %s, want nil", r.Tools)
			}
			if string(r.ToolChoice) != `"none"` {
				t.Errorf("tool_choice = %s, want \"none\"", r.ToolChoice)
			}
		}},
		{
			"duplicate key keeps last", `{"messages":[{"role":"user","content":"a"}],` +
				`"messages":[{"role":"user","content":"b"}],"model":"x","model":"y"}`,
			func(t *testing.T, r *ChatRequest) {
				assertMessages(t, r.Messages, []messages.ChatMessage{{Role: "user", Content: "b"}})
				if r.Model != "y" {
					t.Errorf("model = %q, want y", r.Model)
				}
			},
		},
		{
			"invalid utf8 replaced", "{\"messages\":[{\"role\":\"user\",\"content\":\"a\xffb\"}]}",
			func(t *testing.T, r *ChatRequest) {
				want := []messages.ChatMessage{{Role: "user", Content: "a\uFFFDb"}}
				assertMessages(t, r.Messages, want)
			},
		},
		{
			"whitespace around body", " \n\t{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}\n",
			func(t *testing.T, r *ChatRequest) {
				assertMessages(t, r.Messages, []messages.ChatMessage{{Role: "user", Content: "x"}})
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, e := DecodeChatRequest([]byte(tc.body))
			if e != nil {
				t.Fatalf("unexpected error: %v", e)
			}
			tc.check(t, r)
		})
	}
}

func TestDecodeChatRequestDeepNesting(t *testing.T) {
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	bodies := []string{
		`{"messages":[{"role":"user","content":"x"}],"extra":` + deep + `}`,
		`{"messages":` + deep + `}`,
		deep,
	}
	for i, body := range bodies {
		if _, e := DecodeChatRequest([]byte(body)); e == nil {
			t.Errorf("body %d: expected an error for nesting deeper than encoding/json allows", i)
		}
	}
}

func assertMessages(t *testing.T, got, want []messages.ChatMessage) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("messages differ\n got: %s\nwant: %s", g, w)
	}
}

func assertOptions(t *testing.T, got map[string]json.RawMessage, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("options has %d fields, want %d: %v", len(got), len(want), got)
	}
	for k, v := range want {
		if string(got[k]) != v {
			t.Errorf("options[%q] = %s, want %s", k, got[k], v)
		}
	}
}

func TestDecodeChatRequestClipsEchoedValue(t *testing.T) {
	role := strings.Repeat("é", 100_000)
	_, e := DecodeChatRequest([]byte(chatBody(`[{"role":"` + role + `","content":"x"}]`)))
	if e == nil {
		t.Fatal("expected an error for an unknown role")
	}
	if len(e.Message) > 300 {
		t.Errorf("message has %d bytes; a client's value must be clipped", len(e.Message))
	}
	if !utf8.ValidString(e.Message) {
		t.Errorf("clipped message is not valid UTF-8: %q", e.Message)
	}
}

func TestDecodeChatRequestOptionRanges(t *testing.T) {
	user := `[{"role":"user","content":"hi"}]`
	cases := []struct {
		option  string
		message string
		code    string
	}{
		{
			`"temperature":7`, "temperature is 7, above the maximum of 2; send a value from 0 to 2",
			"decimal_above_max_value",
		},
		{
			`"temperature":-0.5`, "temperature is -0.5, below the minimum of 0; send a value from 0 to 2",
			"decimal_below_min_value",
		},
		{
			`"top_p":1.01`, "top_p is 1.01, above the maximum of 1; send a value from 0 to 1",
			"decimal_above_max_value",
		},
		{`"frequency_penalty":-3`, "frequency_penalty is -3, below the minimum of -2; " +
			"send a value from -2 to 2", "decimal_below_min_value"},
		{`"presence_penalty":2.5`, "presence_penalty is 2.5, above the maximum of 2; " +
			"send a value from -2 to 2", "decimal_above_max_value"},
		{
			`"max_tokens":-5`, "max_tokens is -5, below the minimum of 1; send 1 or more",
			"integer_below_min_value",
		},
		{
			`"max_tokens":0`, "max_tokens is 0, below the minimum of 1; send 1 or more",
			"integer_below_min_value",
		},
		{`"max_completion_tokens":0`, "max_completion_tokens is 0, below the minimum of 1; " +
			"send 1 or more", "integer_below_min_value"},
		{`"top_logprobs":21`, "top_logprobs is 21, above the maximum of 20; " +
			"send a value from 0 to 20", "integer_above_max_value"},
	}
	for _, tc := range cases {
		t.Run(tc.option, func(t *testing.T) {
			param := tc.option[1 : strings.Index(tc.option[1:], `"`)+1]
			req, e := DecodeChatRequest([]byte(chatBody(user, tc.option)))
			if req != nil {
				t.Errorf("request = %+v, want nil", req)
			}
			checkDecodeError(t, decodeErrorCase{tc.option, chatBody(user, tc.option), param, tc.code}, e)
			if e.Message != tc.message {
				t.Errorf("message = %q, want %q", e.Message, tc.message)
			}
		})
	}
}

func TestDecodeChatRequestOptionBoundsAccepted(t *testing.T) {
	user := `[{"role":"user","content":"hi"}]`
	body := chatBody(user, `"temperature":2`, `"top_p":0`, `"frequency_penalty":-2`,
		`"presence_penalty":2`, `"max_tokens":1`, `"max_completion_tokens":1`,
		`"top_logprobs":0`, `"seed":-7`)
	req, e := DecodeChatRequest([]byte(body))
	if e != nil {
		t.Fatalf("values at the bounds were rejected: %v", e.Message)
	}
	if got := string(req.Options["temperature"]); got != "2" {
		t.Errorf("temperature = %s, want 2 passed through", got)
	}
}
