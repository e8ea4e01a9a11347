package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/actorgate/actorgate/messages"
)

func encodeForTest(t *testing.T, req *messages.AgentRequest, model string) string {
	t.Helper()
	body := acquireRequestBody()
	defer body.release()
	if err := body.encode(req, model); err != nil {
		t.Fatalf("encode: %v", err)
	}
	return string(body.buf)
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
		{
			"control bytes and invalid UTF-8",
			messages.AgentRequest{Messages: []messages.ChatMessage{
				{Role: "user", Content: "\b\f\r\t\x1f\x7f \xff\xc3 \u2029 \u00e9"},
			}},
			`{"model":"m","messages":[{"role":"user","content":` +
				`"\b\f\r\t\u001f` + "\x7f" + ` \ufffd\ufffd \u2029 ` + "\u00e9" + `"}],` +
				`"stream":false}`,
		},
		{
			"null content with tool calls",
			messages.AgentRequest{Messages: []messages.ChatMessage{
				{Role: "assistant", Name: "bot", ToolCalls: []messages.ToolCall{
					{ID: "a", Type: "custom", Name: "f", Arguments: `{"x":1}`},
					{ID: "b", Name: "g"},
				}},
				{Role: "tool", ToolCallID: "a", Content: "42"},
			}},
			`{"model":"m","messages":[{"role":"assistant","content":null,"name":"bot",` +
				`"tool_calls":[{"id":"a","type":"custom","function":{"name":"f",` +
				`"arguments":"{\"x\":1}"}},{"id":"b","type":"function","function":{"name":"g",` +
				`"arguments":""}}]},{"role":"tool","content":"42","tool_call_id":"a"}],` +
				`"stream":false}`,
		},
		{
			"parts",
			messages.AgentRequest{Messages: []messages.ChatMessage{
				{Role: "user", Content: "ignored", Name: "ada", Parts: []messages.ContentPart{
					{Type: "text", Text: ""},
					{Type: "image_url", ImageURL: "https://example.com/a.png"},
					{Type: "image_url", ImageURL: "data:image/png;base64,AA==", Detail: "low"},
				}},
			}},
			`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":""},` +
				`{"type":"image_url","image_url":{"url":"https://example.com/a.png"}},` +
				`{"type":"image_url","image_url":{"url":"data:image/png;base64,AA==",` +
				`"detail":"low"}}],"name":"ada"}],"stream":false}`,
		},
		{
			"tools and tool choice",
			messages.AgentRequest{
				Messages:   []messages.ChatMessage{{Role: "user", Content: "q"}},
				Tools:      json.RawMessage(`[{"type":"function","function":{"name":"f"}}]`),
				ToolChoice: json.RawMessage(`"auto"`),
			},
			`{"model":"m","messages":[{"role":"user","content":"q"}],"stream":false,` +
				`"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"auto"}`,
		},
		{
			"no messages",
			messages.AgentRequest{},
			`{"model":"m","messages":[],"stream":false}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := encodeForTest(t, &tt.req, "m")

			if got != tt.want {
				t.Errorf("body =\n%s\nwant\n%s", got, tt.want)
			}
			ref, err := encodeReference(&tt.req, "m")
			if err != nil {
				t.Fatalf("encodeReference: %v", err)
			}
			if got != string(ref) {
				t.Errorf("body =\n%s\nencoding/json reference\n%s", got, ref)
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

func TestEncodeRequestErrors(t *testing.T) {
	user := messages.ChatMessage{Role: "user", Content: "q"}
	tests := []struct {
		name string
		req  messages.AgentRequest
		want string
	}{
		{
			"missing role",
			messages.AgentRequest{Messages: []messages.ChatMessage{user, {Content: "x"}}},
			"messages[1].role is missing",
		},
		{
			"image without URL",
			messages.AgentRequest{Messages: []messages.ChatMessage{{
				Role: "user",
				Parts: []messages.ContentPart{
					{Type: "text", Text: "a"}, {Type: "image_url", Detail: "low"},
				},
			}}},
			"messages[0].parts[1].image_url is missing",
		},
		{
			"unsupported part type",
			messages.AgentRequest{Messages: []messages.ChatMessage{{
				Role: "user", Parts: []messages.ContentPart{{Type: "audio"}},
			}}},
			`messages[0].parts[0].type "audio" is not supported`,
		},
		{
			"invalid tools",
			messages.AgentRequest{
				Messages: []messages.ChatMessage{user}, Tools: json.RawMessage(`[`),
			},
			"tools is not valid JSON",
		},
		{
			"invalid tool choice",
			messages.AgentRequest{
				Messages: []messages.ChatMessage{user}, ToolChoice: json.RawMessage(`auto`),
			},
			"tool_choice is not valid JSON",
		},
		{
			"invalid option name",
			messages.AgentRequest{
				Messages: []messages.ChatMessage{user},
				Options:  map[string]json.RawMessage{"a b": json.RawMessage("1")},
			},
			`option name "a b" is not a valid field name`,
		},
		{
			"invalid option value",
			messages.AgentRequest{
				Messages: []messages.ChatMessage{user},
				Options:  map[string]json.RawMessage{"seed": json.RawMessage("1 2")},
			},
			"seed is not valid JSON",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := acquireRequestBody()
			defer body.release()
			err := body.encode(&tt.req, "m")

			if !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("encode error = %v, want ErrInvalidRequest", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("encode error = %q, want it to contain %q", err, tt.want)
			}
			_, refErr := encodeReference(&tt.req, "m")
			if refErr == nil || refErr.Error() != err.Error() {
				t.Errorf("encode error = %q, encoding/json reference error = %v", err, refErr)
			}
		})
	}
}

// requestSeeds are fuzz inputs for FuzzEncodeRequest, in the byte format
// that buildFuzzRequest reads.
var requestSeeds = [][]byte{
	{},
	[]byte("\x01\x03mod\x03sys\x02\x01\x05hello\x03ada\x00\x00\x00"),
	[]byte("\x00\x01m\x00\x03\x02\x04a\"\\\n\x00\x00\x02\x01\x01c\x00\x01f\x02{}" +
		"\x01\x03\x00\x01t\x01\x07https:/\x00\x02\x00\x00\x00\x00"),
	[]byte("\x01\x04\xff\xfe\xe2\x80\x05\xe2\x80\xa8\xe2\x80\xa9\x01\x05\x05\x03tool\x01x"),
	[]byte("\x00\x00\x00\x01\x03\x00\x00\x00\x00\x02\x01\x06\x00\x00\x02\x01\x03\x00"),
}

// FuzzEncodeRequest checks that requestBody.encode writes exactly the bytes
// that the encoding/json reference writes, and fails with the same error.
func FuzzEncodeRequest(f *testing.F) {
	for _, seed := range requestSeeds {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req := buildFuzzRequest(data)
		model := req.Model

		body := acquireRequestBody()
		defer body.release()
		err := body.encode(req, model)
		want, wantErr := encodeReference(req, model)

		if (err == nil) != (wantErr == nil) {
			t.Fatalf("encode error = %v, reference error = %v", err, wantErr)
		}
		if err != nil {
			if err.Error() != wantErr.Error() {
				t.Fatalf("encode error = %q, reference error = %q", err, wantErr)
			}
			return
		}
		if !bytes.Equal(body.buf, want) {
			t.Fatalf("encode =\n%q\nreference =\n%q", body.buf, want)
		}
	})
}

// fuzzReader reads the parts of a request from fuzz input. Past the end of
// the input every read returns zero values.
type fuzzReader struct {
	data []byte
}

func (r *fuzzReader) byte() byte {
	if len(r.data) == 0 {
		return 0
	}
	c := r.data[0]
	r.data = r.data[1:]
	return c
}

// string reads a string of up to 255 bytes prefixed with its length.
func (r *fuzzReader) string() string {
	n := min(int(r.byte()), len(r.data))
	s := string(r.data[:n])
	r.data = r.data[n:]
	return s
}

// choice returns one of fixed, or a string read from the input when the
// selector byte is past the end of fixed.
func (r *fuzzReader) choice(fixed ...string) string {
	i := int(r.byte()) % (len(fixed) + 1)
	if i < len(fixed) {
		return fixed[i]
	}
	return r.string()
}

func buildFuzzRequest(data []byte) *messages.AgentRequest {
	r := &fuzzReader{data: data}
	req := &messages.AgentRequest{Stream: r.byte()&1 == 1, Model: r.string()}
	req.Instructions = r.string()
	for range r.byte() % 5 {
		req.Messages = append(req.Messages, buildFuzzMessage(r))
	}
	if r.byte()&1 == 1 {
		req.Tools = json.RawMessage(r.string())
	}
	if r.byte()&1 == 1 {
		req.ToolChoice = json.RawMessage(r.choice(`"auto"`, `{"type":"function"}`))
	}
	for range r.byte() % 4 {
		if req.Options == nil {
			req.Options = map[string]json.RawMessage{}
		}
		key := r.choice("temperature", "model", "stream", "seed")
		req.Options[key] = json.RawMessage(r.choice("0.5", "null", `"s"`))
	}
	return req
}

func buildFuzzMessage(r *fuzzReader) messages.ChatMessage {
	m := messages.ChatMessage{
		Role:    r.choice("user", "assistant", "system", "tool", ""),
		Content: r.string(), Name: r.string(), ToolCallID: r.string(),
	}
	for range r.byte() % 3 {
		m.ToolCalls = append(m.ToolCalls, messages.ToolCall{
			ID: r.string(), Type: r.choice("", "function"),
			Name: r.string(), Arguments: r.string(),
		})
	}
	for range r.byte() % 4 {
		m.Parts = append(m.Parts, messages.ContentPart{
			Type: r.choice("text", "image_url"),
			Text: r.string(), ImageURL: r.string(), Detail: r.string(),
		})
	}
	return m
}
