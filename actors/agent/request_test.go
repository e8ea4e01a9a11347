package agent

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/actorgate/actorgate/messages"
)

func encodeForTest(t *testing.T, req *messages.AgentRequest, model string) string {
	t.Helper()
	body := acquireRequestBody()
	defer body.release()
	if err := body.encode(req, model); err != nil {
		t.Fatalf("encode: %v", err)
	}
	return body.buf.String()
}

func TestEncodeRequest(t *testing.T) {
	tests := []struct {
		name string
		req  messages.AgentRequest
		want string
	}{
		{
			"minimal",
			messages.AgentRequest{Messages: []messages.ChatMessage{{Role: "user", Content: "hi"}}},
			`{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":false}`,
		},
		{
			"streaming",
			messages.AgentRequest{
				Stream:   true,
				Messages: []messages.ChatMessage{{Role: "user", Content: ""}},
			},
			`{"model":"m","messages":[{"role":"user","content":""}],"stream":true,` +
				`"stream_options":{"include_usage":true}}`,
		},
		{
			"instructions first",
			messages.AgentRequest{
				Instructions: "sys",
				Messages:     []messages.ChatMessage{{Role: "user", Content: "q"}},
			},
			`{"model":"m","messages":[{"role":"system","content":"sys"},{"role":"user","content":"q"}],` +
				`"stream":false}`,
		},
		{
			"tool call type defaults to function",
			messages.AgentRequest{Messages: []messages.ChatMessage{
				{Role: "assistant", Content: "checking", ToolCalls: []messages.ToolCall{
					{ID: "c", Name: "f", Arguments: "{}"},
				}},
			}},
			`{"model":"m","messages":[{"role":"assistant","content":"checking","tool_calls":[{"id":"c",` +
				`"type":"function","function":{"name":"f","arguments":"{}"}}]}],"stream":false}`,
		},
		{
			"options sorted and reserved skipped",
			messages.AgentRequest{
				Messages: []messages.ChatMessage{{Role: "user", Content: "q"}},
				Options: map[string]json.RawMessage{
					"top_p": []byte("1"), "seed": []byte("7"),
					"model": []byte(`"other"`), "messages": []byte(`[]`), "stream_options": []byte(`{}`),
					"user": []byte(`"u-1"`),
				},
			},
			`{"model":"m","messages":[{"role":"user","content":"q"}],"stream":false,` +
				`"seed":7,"top_p":1,"user":"u-1"}`,
		},
		{
			"escaping",
			messages.AgentRequest{Messages: []messages.ChatMessage{
				{Role: "user", Content: "a\"b\\c\n<d>&\u2028\x01"},
			}},
			`{"model":"m","messages":[{"role":"user","content":"a\"b\\c\n<d>&\u2028\u0001"}],` +
				`"stream":false}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := encodeForTest(t, &tt.req, "m")

			if got != tt.want {
				t.Errorf("body =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestEncodeRequestPoolReuse checks that a pooled body carries nothing of
// an earlier request into the next one.
func TestEncodeRequestPoolReuse(t *testing.T) {
	big := &messages.AgentRequest{
		Instructions: "sys", Tools: json.RawMessage(`[]`),
		Messages: []messages.ChatMessage{
			{Role: "user", Parts: []messages.ContentPart{
				{Type: "text", Text: "a"},
				{Type: "image_url", ImageURL: "data:image/png;base64,AA=="},
			}},
			{Role: "assistant", ToolCalls: []messages.ToolCall{{ID: "c", Name: "f"}}},
		},
		Options: map[string]json.RawMessage{"seed": []byte("1")},
	}
	small := &messages.AgentRequest{Messages: []messages.ChatMessage{{Role: "user", Content: "x"}}}
	want := `{"model":"m","messages":[{"role":"user","content":"x"}],"stream":false}`

	for range 20 {
		encodeForTest(t, big, "m")
		if got := encodeForTest(t, small, "m"); got != want {
			t.Fatalf("body after a larger request =\n%s\nwant\n%s", got, want)
		}
	}
}

func FuzzEncodeRequest(f *testing.F) {
	f.Add("hello", "ada", `{"x":1}`, "0.5")
	f.Add("quote \" backslash \\ nul \x00", "", "", "null")
	f.Add("invalid utf-8 \xff\xfe", "n\u2029", "{}", `"s"`)
	f.Add("", "", "", "")
	f.Add("<script>&amp;</script>", "\t", `{"a":[1,2]}`, "[1, 2]")
	f.Fuzz(func(t *testing.T, content, name, args, option string) {
		req := &messages.AgentRequest{
			Instructions: "sys",
			Messages: []messages.ChatMessage{
				{Role: "user", Content: content, Name: name},
				{Role: "assistant", ToolCalls: []messages.ToolCall{{ID: name, Name: name, Arguments: args}}},
				{Role: "user", Parts: []messages.ContentPart{
					{Type: "text", Text: content},
					{Type: "image_url", ImageURL: "https://x/" + name, Detail: name},
				}},
			},
			Options: map[string]json.RawMessage{"temperature": json.RawMessage(option)},
		}
		body := acquireRequestBody()
		defer body.release()
		err := body.encode(req, name)
		if option != "" && !json.Valid([]byte(option)) {
			if err == nil {
				t.Fatalf("encode accepted the invalid option %q", option)
			}
			return
		}
		if err != nil {
			t.Fatalf("encode: %v", err)
		}

		var got struct {
			Model    string `json:"model"`
			Messages []struct {
				Content   json.RawMessage `json:"content"`
				Name      string          `json:"name"`
				ToolCalls []wireToolCall  `json:"tool_calls"`
			} `json:"messages"`
			Temperature json.RawMessage `json:"temperature"`
		}
		if err := json.Unmarshal(body.buf.Bytes(), &got); err != nil {
			t.Fatalf("body is not valid JSON: %v\n%s", err, body.buf.Bytes())
		}
		valid := replaceInvalidUTF8(content)
		var text string
		_ = json.Unmarshal(got.Messages[1].Content, &text)
		if text != valid {
			t.Errorf("content = %q, want %q", text, valid)
		}
		if got.Model != replaceInvalidUTF8(name) {
			t.Errorf("model = %q, want %q", got.Model, name)
		}
		if got.Messages[2].ToolCalls[0].Function.Arguments != replaceInvalidUTF8(args) {
			t.Errorf("arguments = %q, want %q", got.Messages[2].ToolCalls[0].Function.Arguments, args)
		}
		if option == "" && got.Temperature != nil {
			t.Errorf("an empty option was sent as %s, want it left out", got.Temperature)
		}
		if option != "" && !json.Valid(got.Temperature) {
			t.Errorf("temperature = %s is not valid JSON", got.Temperature)
		}
	})
}

// replaceInvalidUTF8 replaces each invalid byte with U+FFFD, as
// encoding/json does when it encodes a string.
func replaceInvalidUTF8(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
