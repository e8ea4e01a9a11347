package apiserver_test

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
)

func chatBody(text string, extra ...any) map[string]any {
	b := map[string]any{
		"model":    "actorgate",
		"messages": []any{map[string]any{"role": "user", "content": text}},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		b[extra[i].(string)] = extra[i+1]
	}
	return b
}

// choice returns choices[0] of a chat completion or chunk.
func choice(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	list, _ := m["choices"].([]any)
	if len(list) != 1 {
		t.Fatalf("choices = %v, want one", m["choices"])
	}
	c, _ := list[0].(map[string]any)
	return c
}

func TestChatStreamChunkOrder(t *testing.T) {
	a := startAPI(t, nil)
	for _, usage := range []bool{true, false} {
		body := chatBody("one two three")
		body["stream"] = true
		if usage {
			body["stream_options"] = map[string]any{"include_usage": true}
		}
		s := a.openStream("/v1/chat/completions", body)
		if s.resp.StatusCode != http.StatusOK {
			t.Fatalf("status = %d: %s", s.resp.StatusCode, s.body())
		}
		if ct := s.resp.Header.Get("Content-Type"); ct != "text/event-stream" {
			t.Errorf("content type = %q", ct)
		}
		events := s.rest()
		if len(events) < 4 {
			t.Fatalf("got %d frames: %+v", len(events), events)
		}
		if last := events[len(events)-1]; last.data != "[DONE]" {
			t.Fatalf("last frame = %+v, want [DONE]", last)
		}
		chunks := events[:len(events)-1]
		role := choice(t, chunks[0].json(t))
		if d, _ := role["delta"].(map[string]any); d["role"] != "assistant" {
			t.Errorf("first chunk delta = %v, want the role", role["delta"])
		}
		if usage {
			u := chunks[len(chunks)-1].json(t)
			if c, _ := u["choices"].([]any); len(c) != 0 {
				t.Errorf("usage chunk has choices: %v", u["choices"])
			}
			if u["usage"] == nil {
				t.Errorf("usage chunk has no usage: %s", chunks[len(chunks)-1].data)
			}
			chunks = chunks[:len(chunks)-1]
		}
		final := choice(t, chunks[len(chunks)-1].json(t))
		if final["finish_reason"] != "stop" {
			t.Errorf("usage=%v: last choice chunk finish_reason = %v", usage, final["finish_reason"])
		}
		text := ""
		for _, c := range chunks[1 : len(chunks)-1] {
			ch := choice(t, c.json(t))
			if ch["finish_reason"] != nil {
				t.Errorf("content chunk has finish_reason %v", ch["finish_reason"])
			}
			d, _ := ch["delta"].(map[string]any)
			s, _ := d["content"].(string)
			text += s
		}
		if text != "turn 1: one two three" {
			t.Errorf("usage=%v: streamed text = %q", usage, text)
		}
		for _, c := range chunks {
			u, present := c.json(t)["usage"]
			switch {
			case usage && (!present || u != nil):
				t.Errorf("chunk before the usage chunk lacks \"usage\":null: %s", c.data)
			case !usage && present:
				t.Errorf("usage field sent without include_usage: %s", c.data)
			}
		}
	}
}

func TestChatStreamKeepaliveIsComment(t *testing.T) {
	release := make(chan struct{})
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request, _ *upstreamCall) {
		s := startSSE(w)
		s.chunk(map[string]any{"role": "assistant", "content": ""}, nil)
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		s.text("late ", "answer")
		s.end("stop")
	})
	a := startAPI(t, func(c *config.Config) {
		useUpstream(up)(c)
		c.Platforms.APIServer.KeepAlive = 20 * time.Millisecond
	})

	s := a.openStream("/v1/chat/completions", chatBody("hi", "stream", true))
	if s.resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d: %s", s.resp.StatusCode, s.body())
	}
	first := s.mustNext()
	if !first.isComment() || first.comment != "keepalive" || first.data != "" {
		t.Fatalf("first frame = %+v, want the comment ': keepalive'", first)
	}

	close(release)
	text := ""
	sawRole := false
	for _, ev := range s.rest() {
		if ev.isComment() {
			if ev.comment != "keepalive" || ev.data != "" {
				t.Errorf("comment frame = %+v", ev)
			}
			continue
		}
		if strings.Contains(ev.data, "keepalive") {
			t.Errorf("keepalive sent as data: %q", ev.data)
		}
		if ev.data == "[DONE]" {
			continue
		}
		d, _ := choice(t, ev.json(t))["delta"].(map[string]any)
		if d["role"] == "assistant" {
			sawRole = true
		} else if !sawRole {
			t.Errorf("chunk before the role chunk: %s", ev.data)
		}
		s, _ := d["content"].(string)
		text += s
	}
	if text != "late answer" {
		t.Errorf("text = %q", text)
	}
}

var weatherTools = []any{map[string]any{
	"type": "function",
	"function": map[string]any{
		"name":        "get_weather",
		"description": "Current weather of a city",
		"parameters": map[string]any{
			"type":       "object",
			"properties": map[string]any{"city": map[string]any{"type": "string"}},
			"required":   []any{"city"},
		},
	},
}}

// toolHistory is a conversation in which the assistant called a tool and
// the tool returned its result.
func toolHistory() []any {
	return []any{
		map[string]any{"role": "system", "content": "be brief"},
		map[string]any{"role": "user", "content": "weather in Paris?", "name": "alice"},
		map[string]any{"role": "assistant", "content": nil, "tool_calls": []any{map[string]any{
			"id": "call_abc", "type": "function",
			"function": map[string]any{"name": "get_weather", "arguments": `{"city":"Paris"}`},
		}}},
		map[string]any{"role": "tool", "tool_call_id": "call_abc", "content": "18C and sunny"},
	}
}

// toolCallAnswer responds with one call of get_weather, streamed in three
// fragments when the request asks for a stream.
func toolCallAnswer(w http.ResponseWriter, _ *http.Request, call *upstreamCall) {
	if stream, _ := call.body["stream"].(bool); stream {
		s := startSSE(w)
		s.chunk(map[string]any{"role": "assistant", "content": nil, "tool_calls": []any{
			map[string]any{
				"index": 0, "id": "call_xyz", "type": "function",
				"function": map[string]any{"name": "get_weather", "arguments": ""},
			},
		}}, nil)
		for _, part := range []string{`{"city":`, `"Lyon"}`} {
			s.chunk(map[string]any{"tool_calls": []any{map[string]any{
				"index": 0, "function": map[string]any{"arguments": part},
			}}}, nil)
		}
		s.end("tool_calls")
		return
	}
	writeCompletion(w, map[string]any{"role": "assistant", "content": nil, "tool_calls": []any{
		map[string]any{
			"id": "call_xyz", "type": "function",
			"function": map[string]any{"name": "get_weather", "arguments": `{"city":"Lyon"}`},
		},
	}}, "tool_calls")
}

func TestChatToolsReachUpstream(t *testing.T) {
	up := newUpstream(t, toolCallAnswer)
	a := startAPI(t, useUpstream(up))
	choiceParam := map[string]any{"type": "function", "function": map[string]any{"name": "get_weather"}}
	r := a.call(http.MethodPost, "/v1/chat/completions", map[string]any{
		"model": "actorgate", "messages": toolHistory(), "tools": weatherTools,
		"tool_choice": choiceParam,
	})
	if r.status != http.StatusOK {
		t.Fatalf("status = %d: %s", r.status, r.body)
	}

	got := up.call(0)
	if !reflect.DeepEqual(got.body["tools"], weatherTools) {
		t.Errorf("upstream tools = %v, want %v", got.body["tools"], weatherTools)
	}
	if !reflect.DeepEqual(got.body["tool_choice"], choiceParam) {
		t.Errorf("upstream tool_choice = %v", got.body["tool_choice"])
	}
	msgs := got.messages()
	if len(msgs) != 4 {
		t.Fatalf("upstream got %d messages: %v", len(msgs), msgs)
	}
	if msgs[1]["name"] != "alice" {
		t.Errorf("user name = %v, want alice", msgs[1]["name"])
	}
	calls, _ := msgs[2]["tool_calls"].([]any)
	want := toolHistory()[2].(map[string]any)["tool_calls"]
	if !reflect.DeepEqual(calls, want) {
		t.Errorf("assistant tool_calls = %v, want %v", calls, want)
	}
	if msgs[3]["role"] != "tool" || msgs[3]["tool_call_id"] != "call_abc" ||
		msgs[3]["content"] != "18C and sunny" {
		t.Errorf("tool message = %v", msgs[3])
	}

	c := choice(t, r.json(t))
	if c["finish_reason"] != "tool_calls" {
		t.Errorf("finish_reason = %v, want tool_calls", c["finish_reason"])
	}
	msg, _ := c["message"].(map[string]any)
	tc, _ := msg["tool_calls"].([]any)
	if len(tc) != 1 {
		t.Fatalf("tool_calls = %v", msg["tool_calls"])
	}
	call, _ := tc[0].(map[string]any)
	fn, _ := call["function"].(map[string]any)
	if call["id"] != "call_xyz" || fn["name"] != "get_weather" || fn["arguments"] != `{"city":"Lyon"}` {
		t.Errorf("tool call = %v", call)
	}
}

func TestChatStreamToolCalls(t *testing.T) {
	up := newUpstream(t, toolCallAnswer)
	a := startAPI(t, useUpstream(up))
	s := a.openStream("/v1/chat/completions", map[string]any{
		"model": "actorgate", "messages": toolHistory(), "tools": weatherTools, "stream": true,
	})
	if s.resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d: %s", s.resp.StatusCode, s.body())
	}
	var id, name, args, finish string
	for _, ev := range s.rest() {
		if ev.isComment() || ev.data == "[DONE]" {
			continue
		}
		c := choice(t, ev.json(t))
		if f, ok := c["finish_reason"].(string); ok {
			finish = f
		}
		d, _ := c["delta"].(map[string]any)
		list, _ := d["tool_calls"].([]any)
		for _, item := range list {
			tc, _ := item.(map[string]any)
			if tc["index"] != float64(0) {
				t.Errorf("tool call index = %v", tc["index"])
			}
			if s, ok := tc["id"].(string); ok {
				id = s
			}
			fn, _ := tc["function"].(map[string]any)
			if s, ok := fn["name"].(string); ok {
				name = s
			}
			s, _ := fn["arguments"].(string)
			args += s
		}
	}
	if id != "call_xyz" || name != "get_weather" || args != `{"city":"Lyon"}` {
		t.Errorf("streamed tool call = %q %q %q", id, name, args)
	}
	if finish != "tool_calls" {
		t.Errorf("finish_reason = %q, want tool_calls", finish)
	}
	msgs := up.call(0).messages()
	if len(msgs) != 4 || msgs[3]["tool_call_id"] != "call_abc" {
		t.Errorf("upstream messages = %v", msgs)
	}
}

func TestChatRejectsBadInput(t *testing.T) {
	a := startAPI(t, nil)
	image := func(url string) map[string]any {
		return map[string]any{"model": "m", "messages": []any{map[string]any{
			"role": "user", "content": []any{
				map[string]any{"type": "text", "text": "what is this?"},
				map[string]any{"type": "image_url", "image_url": map[string]any{"url": url}},
			},
		}}}
	}
	cases := []struct {
		name  string
		body  any
		param string
	}{
		{"messages missing", map[string]any{"model": "m"}, "messages"},
		{"messages empty", map[string]any{"model": "m", "messages": []any{}}, "messages"},
		{"messages not a list", map[string]any{"model": "m", "messages": "hi"}, "messages"},
		{"messages object", map[string]any{"model": "m", "messages": map[string]any{}}, "messages"},
		{"unknown part type", map[string]any{"model": "m", "messages": []any{map[string]any{
			"role": "user", "content": []any{map[string]any{"type": "audio", "audio": "x"}},
		}}}, "messages[0].content[0].type"},
		{"image ftp url", image("ftp://127.0.0.1/a.png"), "messages[0].content[1].image_url.url"},
		{"image javascript url", image("javascript:alert(1)"), "messages[0].content[1].image_url.url"},
		{"image text data url", image("data:text/plain;base64,aGk="), "messages[0].content[1].image_url.url"},
		{"image relative url", image("/a.png"), "messages[0].content[1].image_url.url"},
		{"body not json", "{", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := a.call(http.MethodPost, "/v1/chat/completions", c.body)
			if r.status != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400: %s", r.status, r.body)
			}
			if typ := r.errorField(t, "type"); typ != "invalid_request_error" {
				t.Errorf("type = %v", typ)
			}
			if c.param == "" {
				return
			}
			if p := r.errorField(t, "param"); p != c.param {
				t.Errorf("param = %v, want %s", p, c.param)
			}
		})
	}
	for _, url := range []string{"http://127.0.0.1/cat.png", "data:image/png;base64,iVBORw0KGgo="} {
		if r := a.call(http.MethodPost, "/v1/chat/completions", image(url)); r.status != http.StatusOK {
			t.Errorf("image %q: status = %d: %s", url, r.status, r.body)
		}
	}
}

func TestStreamChunksNameUpstreamModel(t *testing.T) {
	b := &scriptedBackend{answer: func(_ context.Context, req *messages.AgentRequest,
		emit func(messages.AgentDelta),
	) messages.AgentReply {
		emit(messages.AgentDelta{RequestID: req.RequestID, Text: "hi", Model: "up-model-7"})
		return messages.AgentReply{
			RequestID: req.RequestID, Text: "hi", FinishReason: messages.FinishStop,
			Model: "up-model-7",
		}
	}}
	a := startAPIWith(t, nil, b.option())
	r := a.call(http.MethodPost, "/v1/chat/completions", map[string]any{
		"model": "asked-model", "stream": true,
		"messages": []map[string]any{{"role": "user", "content": "x"}},
	})
	chunks := 0
	for line := range strings.SplitSeq(string(r.body), "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok || data == "[DONE]" {
			continue
		}
		chunks++
		if !strings.Contains(data, `"model":"up-model-7"`) {
			t.Errorf("chunk does not name the upstream's model: %s", data)
		}
	}
	if chunks < 3 {
		t.Errorf("chunks = %d, want the role, content and finish chunks: %s", chunks, r.body)
	}
}
