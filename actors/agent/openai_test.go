package agent

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/actorgate/actorgate/actors/agent/h1"
	"github.com/actorgate/actorgate/messages"
)

func userRequest(text string, stream bool) *messages.AgentRequest {
	return &messages.AgentRequest{
		RequestID: "req-1",
		Model:     "client-model",
		Messages:  []messages.ChatMessage{{Role: "user", Content: text}},
		Stream:    stream,
	}
}

func requireError(t *testing.T, reply messages.AgentReply, code string) {
	t.Helper()
	if reply.Err == nil {
		t.Fatalf("reply has no error, want code %q (reply %+v)", code, reply)
	}
	if reply.Err.Code != code {
		t.Fatalf("error code = %q, want %q (message %q)", reply.Err.Code, code, reply.Err.Message)
	}
	if reply.FinishReason == messages.FinishStop {
		t.Errorf("finish reason is stop on a failed run")
	}
}

func TestOpenAICompletion(t *testing.T) {
	f := newFakeUpstream(t, serveJSON(http.StatusOK, completionJSON("Hello there", "", "stop")))
	b := newTestBackend(t, f, 5*time.Second)

	reply := b.Run(context.Background(), userRequest("hi", false), nil)

	if reply.Err != nil {
		t.Fatalf("Run failed: %v", reply.Err)
	}
	if reply.Text != "Hello there" {
		t.Errorf("text = %q, want %q", reply.Text, "Hello there")
	}
	if reply.FinishReason != messages.FinishStop {
		t.Errorf("finish reason = %q, want stop", reply.FinishReason)
	}
	if reply.Model != "up-model" {
		t.Errorf("model = %q, want the upstream's up-model", reply.Model)
	}
	want := messages.Usage{PromptTokens: 7, CompletionTokens: 3, TotalTokens: 10}
	if reply.Usage != want {
		t.Errorf("usage = %+v, want %+v", reply.Usage, want)
	}
	if reply.RequestID != "req-1" {
		t.Errorf("request id = %q, want req-1", reply.RequestID)
	}

	got := f.request(t, 0)
	if got.Path != "/v1/chat/completions" {
		t.Errorf("path = %q, want /v1/chat/completions", got.Path)
	}
	if auth := got.Header.Get("Authorization"); auth != "Bearer sk-test-key" {
		t.Errorf("Authorization = %q, want the bearer key", auth)
	}
	if got.Body["model"] != "client-model" {
		t.Errorf("model sent = %v, want the request's client-model", got.Body["model"])
	}
	if got.Body["stream"] != false {
		t.Errorf("stream sent = %v, want false", got.Body["stream"])
	}
	if _, ok := got.Body["stream_options"]; ok {
		t.Errorf("stream_options sent on a non-streaming request")
	}
}

func TestOpenAIConfiguredModel(t *testing.T) {
	f := newFakeUpstream(t, serveJSON(http.StatusOK, completionJSON("ok", "", "stop")))
	b, err := NewOpenAI(OpenAIConfig{
		BaseURL: f.baseURL() + "/", Model: "pinned",
		Timeout: 5 * time.Second,
	}, nil)
	if err != nil {
		t.Fatalf("NewOpenAI: %v", err)
	}
	defer func() { _ = b.Close() }()

	reply := b.Run(context.Background(), userRequest("hi", false), nil)

	if reply.Err != nil {
		t.Fatalf("Run failed: %v", reply.Err)
	}
	got := f.request(t, 0)
	if got.Body["model"] != "pinned" {
		t.Errorf("model sent = %v, want the configured model", got.Body["model"])
	}
	if got.Path != "/v1/chat/completions" {
		t.Errorf("path = %q with a trailing slash in base_url", got.Path)
	}
	if auth := got.Header.Get("Authorization"); auth != "" {
		t.Errorf("Authorization = %q sent without an API key", auth)
	}
}

func TestOpenAIStreamDeltas(t *testing.T) {
	f := newFakeUpstream(t, serveEvents(
		`{"id":"c","object":"chat.completion.chunk","model":"up-model","choices":[{"index":0,`+
			`"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
		contentChunk("Hel"), contentChunk("lo"), contentChunk(" world"),
		finishChunk("stop"), usageChunk(5, 3), "[DONE]"))
	b := newTestBackend(t, f, 5*time.Second)
	emit, deltas := collectDeltas()

	reply := b.Run(context.Background(), userRequest("hi", true), emit)

	if reply.Err != nil {
		t.Fatalf("Run failed: %v", reply.Err)
	}
	var texts []string
	for _, d := range *deltas {
		texts = append(texts, d.Text)
		if d.RequestID != "req-1" {
			t.Errorf("delta request id = %q, want req-1", d.RequestID)
		}
		if d.Model != "up-model" {
			t.Errorf("delta model = %q, want up-model from the upstream's chunks", d.Model)
		}
	}
	// Events that arrive in one read may be joined into one delta.
	if strings.Join(texts, "") != "Hello world" {
		t.Errorf("deltas = %q, want Hello world in order", texts)
	}
	for i, text := range texts {
		if text == "" {
			t.Errorf("delta %d has no text", i)
		}
	}
	if reply.Text != "Hello world" {
		t.Errorf("text = %q, want the concatenated deltas", reply.Text)
	}
	if reply.FinishReason != messages.FinishStop {
		t.Errorf("finish reason = %q, want stop", reply.FinishReason)
	}
	want := messages.Usage{PromptTokens: 5, CompletionTokens: 3, TotalTokens: 8}
	if reply.Usage != want {
		t.Errorf("usage = %+v, want %+v from the final chunk", reply.Usage, want)
	}

	got := f.request(t, 0)
	if got.Body["stream"] != true {
		t.Errorf("stream sent = %v, want true", got.Body["stream"])
	}
	opts, _ := got.Body["stream_options"].(map[string]any)
	if opts["include_usage"] != true {
		t.Errorf("stream_options = %v, want include_usage true", got.Body["stream_options"])
	}
	if accept := got.Header.Get("Accept"); accept != "text/event-stream" {
		t.Errorf("Accept = %q, want text/event-stream", accept)
	}
}

// TestOpenAIStreamDeltasUnbatched checks that a delta is emitted before the
// upstream sends the next chunk.
func TestOpenAIStreamDeltasUnbatched(t *testing.T) {
	next := make(chan struct{})
	f := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		startEventStream(w)
		writeEvents(w, contentChunk("first"))
		select {
		case <-next:
		case <-r.Context().Done():
			return
		}
		writeEvents(w, contentChunk(" second"), finishChunk("stop"), "[DONE]")
	})
	b := newTestBackend(t, f, 30*time.Second)
	var got []string
	emit := func(d agentDelta) {
		got = append(got, d.Text)
		if len(got) == 1 {
			close(next)
		}
	}

	reply := b.Run(context.Background(), userRequest("hi", true), emit)

	if reply.Err != nil {
		t.Fatalf("Run failed: %v", reply.Err)
	}
	if strings.Join(got, "|") != "first| second" {
		t.Errorf("deltas = %q", got)
	}
}

func TestOpenAIToolCalls(t *testing.T) {
	calls := `[{"id":"call_1","type":"function","function":{"name":"get_weather",` +
		`"arguments":"{\"city\":\"Oslo\"}"}},{"id":"call_2","type":"function",` +
		`"function":{"name":"get_time","arguments":"{}"}}]`
	f := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, strings.Replace(completionJSON("", calls, "tool_calls"),
			`"content":""`, `"content":null`, 1))
	})
	b := newTestBackend(t, f, 5*time.Second)

	reply := b.Run(context.Background(), userRequest("weather?", false), nil)

	if reply.Err != nil {
		t.Fatalf("Run failed: %v", reply.Err)
	}
	want := []messages.ToolCall{
		{ID: "call_1", Type: "function", Name: "get_weather", Arguments: `{"city":"Oslo"}`},
		{ID: "call_2", Type: "function", Name: "get_time", Arguments: `{}`},
	}
	if len(reply.ToolCalls) != len(want) {
		t.Fatalf("tool calls = %+v, want %+v", reply.ToolCalls, want)
	}
	for i := range want {
		if reply.ToolCalls[i] != want[i] {
			t.Errorf("tool call %d = %+v, want %+v", i, reply.ToolCalls[i], want[i])
		}
	}
	if reply.FinishReason != messages.FinishToolCalls {
		t.Errorf("finish reason = %q, want tool_calls", reply.FinishReason)
	}
	if reply.Text != "" {
		t.Errorf("text = %q, want empty for a null content", reply.Text)
	}
}

func toolChunk(deltas string) string {
	return `{"id":"c","object":"chat.completion.chunk","model":"up-model","choices":[{"index":0,` +
		`"delta":{"tool_calls":` + deltas + `},"finish_reason":null}]}`
}

func TestOpenAIStreamToolCallsMerged(t *testing.T) {
	f := newFakeUpstream(t, serveEvents(
		toolChunk(`[{"index":0,"id":"call_a","type":"function",`+
			`"function":{"name":"search","arguments":""}}]`),
		toolChunk(`[{"index":1,"id":"call_b","type":"function",`+
			`"function":{"name":"fetch","arguments":"{\"u"}}]`),
		toolChunk(`[{"index":0,"function":{"arguments":"{\"q\":"}}]`),
		toolChunk(`[{"index":1,"function":{"arguments":"rl\":1}"}},`+
			`{"index":0,"function":{"arguments":"\"go\"}"}}]`),
		finishChunk("tool_calls"), usageChunk(9, 4), "[DONE]"))
	b := newTestBackend(t, f, 5*time.Second)
	emit, deltas := collectDeltas()

	reply := b.Run(context.Background(), userRequest("find go", true), emit)

	if reply.Err != nil {
		t.Fatalf("Run failed: %v", reply.Err)
	}
	want := []messages.ToolCall{
		{ID: "call_a", Type: "function", Name: "search", Arguments: `{"q":"go"}`},
		{ID: "call_b", Type: "function", Name: "fetch", Arguments: `{"url":1}`},
	}
	if len(reply.ToolCalls) != len(want) {
		t.Fatalf("tool calls = %+v, want %+v", reply.ToolCalls, want)
	}
	for i := range want {
		if reply.ToolCalls[i] != want[i] {
			t.Errorf("tool call %d = %+v, want %+v", i, reply.ToolCalls[i], want[i])
		}
	}
	if reply.FinishReason != messages.FinishToolCalls {
		t.Errorf("finish reason = %q, want tool_calls", reply.FinishReason)
	}
	if len(*deltas) != 4 {
		t.Fatalf("got %d deltas, want one per tool call chunk (4)", len(*deltas))
	}
	last := (*deltas)[3].ToolCalls
	if len(last) != 2 || last[0].Index != 1 || last[1].Index != 0 {
		t.Errorf("last delta tool calls = %+v, want fragments for index 1 then 0", last)
	}
	first := (*deltas)[0].ToolCalls
	if len(first) != 1 || first[0].ID != "call_a" || first[0].Name != "search" {
		t.Errorf("first delta tool calls = %+v, want call_a search", first)
	}
}

func TestOpenAIRequestBody(t *testing.T) {
	f := newFakeUpstream(t, serveJSON(http.StatusOK, completionJSON("done", "", "stop")))
	b := newTestBackend(t, f, 5*time.Second)
	req := &messages.AgentRequest{
		RequestID:    "req-history",
		Model:        "m",
		Instructions: "Be brief.",
		Messages: []messages.ChatMessage{
			{Role: "user", Content: "What is the weather in Oslo?", Name: "ada"},
			{Role: "assistant", ToolCalls: []messages.ToolCall{
				{ID: "call_9", Type: "function", Name: "get_weather", Arguments: `{"city":"Oslo"}`},
			}},
			{Role: "tool", ToolCallID: "call_9", Name: "get_weather", Content: `{"temp":3}`},
			{Role: "user", Content: "look", Parts: []messages.ContentPart{
				{Type: "text", Text: "look <here> & there"},
				{Type: "image_url", ImageURL: "https://example.invalid/cat.png", Detail: "low"},
			}},
		},
		Tools: json.RawMessage(`[{"type":"function","function":{"name":"get_weather",` +
			`"parameters":{"type":"object"}}}]`),
		ToolChoice: json.RawMessage(`"auto"`),
		Options: map[string]json.RawMessage{
			"temperature": json.RawMessage(`0.2`),
			"max_tokens":  json.RawMessage(`64`),
			"stream":      json.RawMessage(`true`),
		},
	}

	reply := b.Run(context.Background(), req, nil)

	if reply.Err != nil {
		t.Fatalf("Run failed: %v", reply.Err)
	}
	raw := f.request(t, 0).Raw
	var body struct {
		Model      string            `json:"model"`
		Stream     bool              `json:"stream"`
		Messages   []json.RawMessage `json:"messages"`
		Tools      json.RawMessage   `json:"tools"`
		ToolChoice json.RawMessage   `json:"tool_choice"`
		Temp       json.RawMessage   `json:"temperature"`
		MaxTokens  json.RawMessage   `json:"max_tokens"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("upstream body is not valid JSON: %v\n%s", err, raw)
	}
	if strings.Count(string(raw), `"stream"`) != 1 {
		t.Errorf("body has a duplicate stream key: %s", raw)
	}
	if body.Stream {
		t.Errorf("the stream option overrode the request's Stream")
	}
	wantMessages := []string{
		`{"role":"system","content":"Be brief."}`,
		`{"role":"user","content":"What is the weather in Oslo?","name":"ada"}`,
		`{"role":"assistant","content":null,"tool_calls":[{"id":"call_9","type":"function",` +
			`"function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]}`,
		`{"role":"tool","content":"{\"temp\":3}","name":"get_weather","tool_call_id":"call_9"}`,
		`{"role":"user","content":[{"type":"text","text":"look <here> & there"},` +
			`{"type":"image_url","image_url":{"url":"https://example.invalid/cat.png","detail":"low"}}]}`,
	}
	if len(body.Messages) != len(wantMessages) {
		t.Fatalf("sent %d messages, want %d: %s", len(body.Messages), len(wantMessages), raw)
	}
	for i, want := range wantMessages {
		if string(body.Messages[i]) != want {
			t.Errorf("message %d =\n%s\nwant\n%s", i, body.Messages[i], want)
		}
	}
	if string(body.Tools) != string(req.Tools) {
		t.Errorf("tools = %s, want them passed through unchanged", body.Tools)
	}
	if string(body.ToolChoice) != `"auto"` {
		t.Errorf("tool_choice = %s, want \"auto\"", body.ToolChoice)
	}
	if string(body.Temp) != "0.2" || string(body.MaxTokens) != "64" {
		t.Errorf("options temperature=%s max_tokens=%s, want 0.2 and 64", body.Temp, body.MaxTokens)
	}
}

func TestOpenAIInvalidRequest(t *testing.T) {
	f := newFakeUpstream(t, serveJSON(http.StatusOK, completionJSON("x", "", "stop")))
	b := newTestBackend(t, f, 5*time.Second)
	tests := []struct {
		name  string
		req   messages.AgentRequest
		field string
	}{
		{
			"missing role",
			messages.AgentRequest{Messages: []messages.ChatMessage{{Content: "x"}}},
			"messages[0].role",
		},
		{"unknown part", messages.AgentRequest{Messages: []messages.ChatMessage{{
			Role:  "user",
			Parts: []messages.ContentPart{{Type: "audio"}},
		}}}, "messages[0].parts[0].type"},
		{
			"image without url",
			messages.AgentRequest{Messages: []messages.ChatMessage{{
				Role:  "user",
				Parts: []messages.ContentPart{{Type: "text"}, {Type: "image_url"}},
			}}},
			"messages[0].parts[1].image_url",
		},
		{"invalid tools", messages.AgentRequest{Tools: json.RawMessage(`[{`)}, "tools"},
		{"invalid option", messages.AgentRequest{Options: map[string]json.RawMessage{
			"temperature": json.RawMessage(`hot`),
		}}, "temperature"},
		{"bad option name", messages.AgentRequest{Options: map[string]json.RawMessage{
			`a"b`: json.RawMessage(`1`),
		}}, `a\"b`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply := b.Run(context.Background(), &tt.req, nil)

			requireError(t, reply, CodeInvalidRequest)
			if !strings.Contains(reply.Err.Message, tt.field) {
				t.Errorf("message %q does not name %s", reply.Err.Message, tt.field)
			}
		})
	}
	if n := f.connsSeen(); n != 0 {
		t.Errorf("an invalid request reached the upstream (%d connections)", n)
	}
}

func TestOpenAIErrorStatus(t *testing.T) {
	long := strings.Repeat("é", 400)
	tests := []struct {
		name    string
		status  int
		body    string
		message string
	}{
		{
			"envelope", 500, `{"error":{"message":"model overloaded","type":"server_error","code":null}}`,
			"the upstream returned HTTP 500: model overloaded",
		},
		{"plain text", 502, `<html>bad gateway</html>`, "the upstream returned HTTP 502"},
		{"string error", 429, `{"error":"slow down"}`, "the upstream returned HTTP 429: slow down"},
		{
			"long message", 400, `{"error":{"message":"` + long + `"}}`,
			"the upstream returned HTTP 400: " + long[:512],
		},
		{
			"not found", 404, `404 page not found`,
			"the upstream returned HTTP 404 for /v1/chat/completions; check that " +
				"agent.base_url (AGENT_BASE_URL) ends with the API's version path, usually /v1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeUpstream(t, serveJSON(tt.status, tt.body))
			b := newTestBackend(t, f, 5*time.Second)

			reply := b.Run(context.Background(), userRequest("hi", false), nil)

			requireError(t, reply, CodeUpstreamError)
			if reply.Err.UpstreamStatus != tt.status {
				t.Errorf("upstream status = %d, want %d", reply.Err.UpstreamStatus, tt.status)
			}
			if reply.Err.Message != tt.message {
				t.Errorf("message = %q, want %q", reply.Err.Message, tt.message)
			}
			waitFor(t, "the connection to go idle", func() bool { return f.busyConns() == 0 })
		})
	}
}

func TestOpenAIErrorStatusStreaming(t *testing.T) {
	f := newFakeUpstream(t, serveJSON(503, `{"error":{"message":"try later"}}`))
	b := newTestBackend(t, f, 5*time.Second)
	emit, deltas := collectDeltas()

	reply := b.Run(context.Background(), userRequest("hi", true), emit)

	requireError(t, reply, CodeUpstreamError)
	if reply.Err.UpstreamStatus != 503 {
		t.Errorf("upstream status = %d, want 503", reply.Err.UpstreamStatus)
	}
	if len(*deltas) != 0 {
		t.Errorf("emitted %d deltas for an error response", len(*deltas))
	}
}

func TestOpenAIStreamFailures(t *testing.T) {
	tests := []struct {
		name    string
		chunks  []string
		text    string
		finish  string
		message string
	}{
		{
			"malformed chunk",
			[]string{contentChunk("par"), `{"choices":[{"delta":`},
			"par", messages.FinishError, "not valid JSON",
		},
		{
			"two values in one event",
			[]string{contentChunk("one") + " " + contentChunk("two")},
			"", messages.FinishError, "unexpected data after the JSON value",
		},
		{"empty event", []string{contentChunk("e"), ""}, "e", messages.FinishError, "not valid JSON"},
		{
			"ends early",
			[]string{contentChunk("half")},
			"half", messages.FinishError,
			"ended before [DONE]",
		},
		{
			"error event",
			[]string{contentChunk("a"), `{"error":{"message":"context overflow"}}`},
			"a", messages.FinishError, "context overflow",
		},
		{
			"length then error",
			[]string{
				contentChunk("cut"),
				`{"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}`, `{bad`,
			},
			"cut", messages.FinishLength, "not valid JSON",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeUpstream(t, serveEvents(tt.chunks...))
			b := newTestBackend(t, f, 5*time.Second)

			reply := b.Run(context.Background(), userRequest("hi", true), func(agentDelta) {})

			requireError(t, reply, CodeUpstreamError)
			if reply.Text != tt.text {
				t.Errorf("text = %q, want the text produced before the failure, %q", reply.Text, tt.text)
			}
			if reply.FinishReason != tt.finish {
				t.Errorf("finish reason = %q, want %q", reply.FinishReason, tt.finish)
			}
			if !strings.Contains(reply.Err.Message, tt.message) {
				t.Errorf("message = %q, want it to contain %q", reply.Err.Message, tt.message)
			}
		})
	}
}

func TestOpenAIStreamEndsAfterFinish(t *testing.T) {
	f := newFakeUpstream(t, serveEvents(contentChunk("all"), finishChunk("length")))
	b := newTestBackend(t, f, 5*time.Second)

	reply := b.Run(context.Background(), userRequest("hi", true), func(agentDelta) {})

	if reply.Err != nil {
		t.Fatalf("Run failed: %v", reply.Err)
	}
	if reply.Text != "all" || reply.FinishReason != messages.FinishLength {
		t.Errorf("reply = %q/%q, want all/length", reply.Text, reply.FinishReason)
	}
}

func TestOpenAIStreamJSONAnswer(t *testing.T) {
	f := newFakeUpstream(t, serveJSON(http.StatusOK, completionJSON("whole", "", "stop")))
	b := newTestBackend(t, f, 5*time.Second)
	emit, deltas := collectDeltas()

	reply := b.Run(context.Background(), userRequest("hi", true), emit)

	if reply.Err != nil {
		t.Fatalf("Run failed: %v", reply.Err)
	}
	if len(*deltas) != 1 || (*deltas)[0].Text != "whole" {
		t.Errorf("deltas = %+v, want one delta with the whole text", *deltas)
	}
}

func TestOpenAIResetMidStream(t *testing.T) {
	f := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n" +
			"Transfer-Encoding: chunked\r\n\r\n")
		event := "data: " + contentChunk("partial") + "\n\n"
		_, _ = buf.WriteString(strconv.FormatInt(int64(len(event)), 16) + "\r\n" + event + "\r\n")
		_ = buf.Flush()
		if tcp, ok := conn.(*net.TCPConn); ok {
			_ = tcp.SetLinger(0)
		}
		_ = conn.Close()
	})
	b := newTestBackend(t, f, 5*time.Second)
	emit, deltas := collectDeltas()

	reply := b.Run(context.Background(), userRequest("hi", true), emit)

	requireError(t, reply, CodeUpstreamError)
	if reply.Text != "partial" {
		t.Errorf("text = %q, want the text received before the reset", reply.Text)
	}
	if reply.FinishReason != messages.FinishError {
		t.Errorf("finish reason = %q, want error", reply.FinishReason)
	}
	if len(*deltas) != 1 {
		t.Errorf("got %d deltas, want 1", len(*deltas))
	}
}

func TestOpenAIUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	b, err := NewOpenAI(OpenAIConfig{BaseURL: "http://" + addr + "/v1", Timeout: 5 * time.Second}, nil)
	if err != nil {
		t.Fatalf("NewOpenAI: %v", err)
	}
	defer func() { _ = b.Close() }()

	reply := b.Run(context.Background(), userRequest("hi", false), nil)

	requireError(t, reply, CodeUpstreamUnavailable)
	if !strings.Contains(reply.Err.Message, "could not be reached") {
		t.Errorf("message = %q, want it to say the upstream could not be reached", reply.Err.Message)
	}
	if reply.Err.UpstreamStatus != 0 {
		t.Errorf("upstream status = %d without a response", reply.Err.UpstreamStatus)
	}
}

func TestOpenAITimeout(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"no headers", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }},
		{"stalled stream", func(w http.ResponseWriter, r *http.Request) {
			startEventStream(w)
			writeEvents(w, contentChunk("slow"))
			<-r.Context().Done()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeUpstream(t, tt.handler)
			b := newTestBackend(t, f, 200*time.Millisecond)

			reply := b.Run(context.Background(), userRequest("hi", true), func(agentDelta) {})

			requireError(t, reply, CodeUpstreamTimeout)
			waitFor(t, "the fake's connections to close", func() bool { return f.busyConns() == 0 })
		})
	}
}

func TestOpenAIResponseHeaderTimeout(t *testing.T) {
	f := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	tr := &http.Transport{ResponseHeaderTimeout: 100 * time.Millisecond}
	defer tr.CloseIdleConnections()
	b, err := NewOpenAI(OpenAIConfig{BaseURL: f.baseURL(), Timeout: time.Minute, Transport: tr}, nil)
	if err != nil {
		t.Fatalf("NewOpenAI: %v", err)
	}
	defer func() { _ = b.Close() }()

	reply := b.Run(context.Background(), userRequest("hi", false), nil)

	requireError(t, reply, CodeUpstreamTimeout)
	if !strings.Contains(reply.Err.Message, "did not respond in time") {
		t.Errorf("message = %q, want the response header timeout", reply.Err.Message)
	}
}

func TestOpenAIDeadline(t *testing.T) {
	f := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	b := newTestBackend(t, f, time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()

	reply := b.Run(ctx, userRequest("hi", false), nil)

	requireError(t, reply, CodeUpstreamTimeout)
}

// cancelBound is how soon the upstream must see a cancelled request end.
// It is the backend's contract rather than a measurement: cancelling the
// context closes the connection, which the upstream notices at once.
const cancelBound = time.Second

func TestOpenAICancelMidStream(t *testing.T) {
	upstreamDone := make(chan time.Time, 1)
	f := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		startEventStream(w)
		writeEvents(w, contentChunk("started"))
		<-r.Context().Done()
		upstreamDone <- time.Now()
	})
	b := newTestBackend(t, f, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelledAt time.Time
	emit := func(agentDelta) {
		cancelledAt = time.Now()
		cancel()
	}

	reply := b.Run(ctx, userRequest("hi", true), emit)

	requireError(t, reply, CodeCancelled)
	if reply.Text != "started" {
		t.Errorf("text = %q, want the text before the cancel", reply.Text)
	}
	doneAt := receive(t, upstreamDone, "the upstream request context to end")
	if took := doneAt.Sub(cancelledAt); took > cancelBound {
		t.Errorf("the upstream request ended %v after the cancel, want under %v", took, cancelBound)
	}
	waitFor(t, "the fake's connections to close", func() bool { return f.busyConns() == 0 })
}

func TestOpenAIConnectionReuse(t *testing.T) {
	f := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") == "text/event-stream" {
			serveEvents(contentChunk("s"), finishChunk("stop"), usageChunk(1, 1), "[DONE]")(w, r)
			return
		}
		serveJSON(http.StatusOK, completionJSON("j", "", "stop"))(w, r)
	})
	b := newTestBackend(t, f, 5*time.Second)

	for i := range 6 {
		reply := b.Run(context.Background(), userRequest("hi", i%2 == 0), func(agentDelta) {})
		if reply.Err != nil {
			t.Fatalf("run %d failed: %v", i, reply.Err)
		}
		waitFor(t, "the connection to go idle", func() bool { return f.busyConns() == 0 })
	}

	if n := f.connsSeen(); n != 1 {
		t.Errorf("sequential runs opened %d connections, want 1 reused connection", n)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	waitFor(t, "Close to release the idle connection", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.conns) == 0
	})
}

func TestOpenAIClosed(t *testing.T) {
	f := newFakeUpstream(t, serveJSON(http.StatusOK, completionJSON("x", "", "stop")))
	b := newTestBackend(t, f, 5*time.Second)
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	reply := b.Run(context.Background(), userRequest("hi", false), nil)

	requireError(t, reply, CodeUpstreamUnavailable)
}

func TestNewOpenAIValidation(t *testing.T) {
	tests := []struct {
		name  string
		cfg   OpenAIConfig
		field string
	}{
		{"empty url", OpenAIConfig{Timeout: time.Second}, "agent.base_url"},
		{
			"relative url",
			OpenAIConfig{BaseURL: "/v1", Timeout: time.Second},
			"agent.base_url",
		},
		{
			"other scheme",
			OpenAIConfig{BaseURL: "ftp://127.0.0.1/v1", Timeout: time.Second},
			"agent.base_url",
		},
		{
			"no host",
			OpenAIConfig{BaseURL: "http:///v1", Timeout: time.Second},
			"agent.base_url",
		},
		{
			"query",
			OpenAIConfig{BaseURL: "http://127.0.0.1/v1?x=1", Timeout: time.Second},
			"agent.base_url",
		},
		{"zero timeout", OpenAIConfig{BaseURL: "http://127.0.0.1:8000/v1"}, "agent.timeout"},
		{
			"negative timeout",
			OpenAIConfig{BaseURL: "http://127.0.0.1:8000/v1", Timeout: -1},
			"agent.timeout",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := NewOpenAI(tt.cfg, nil)

			if err == nil {
				_ = b.Close()
				t.Fatalf("NewOpenAI accepted %+v", tt.cfg)
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("error %v does not wrap ErrInvalidConfig", err)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error %q does not name %s", err, tt.field)
			}
		})
	}
}

func TestNewOpenAIHidesPassword(t *testing.T) {
	cfg := OpenAIConfig{BaseURL: "http://user:secret@127.0.0.1/v1?q", Timeout: time.Second}

	_, err := NewOpenAI(cfg, nil)

	if err == nil {
		t.Fatal("NewOpenAI accepted a base URL with a query")
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error %q shows the password", err)
	}
}

func TestDefaultTransport(t *testing.T) {
	newBackend := func(t *testing.T, url string) *openAIBackend {
		t.Helper()
		b, err := NewOpenAI(OpenAIConfig{BaseURL: url, Timeout: 3 * time.Second}, nil)
		if err != nil {
			t.Fatalf("NewOpenAI: %v", err)
		}
		t.Cleanup(func() { _ = b.Close() })
		return b.(*openAIBackend)
	}

	t.Run("http", func(t *testing.T) {
		b := newBackend(t, "http://127.0.0.1:8000/v1")
		if _, ok := b.transport.(*h1.Transport); !ok {
			t.Errorf("transport is %T, want *h1.Transport for a plain-HTTP upstream", b.transport)
		}
	})
	t.Run("https", func(t *testing.T) {
		b := newBackend(t, "https://127.0.0.1:8443/v1")
		tr, ok := b.transport.(*http.Transport)
		if !ok {
			t.Fatalf("transport is %T, want *http.Transport for an HTTPS upstream", b.transport)
		}
		if tr.Proxy != nil {
			t.Errorf("transport uses a proxy function; want none")
		}
		if !tr.ForceAttemptHTTP2 {
			t.Error("ForceAttemptHTTP2 is off; want HTTP/2 attempted over TLS")
		}
		if tr.MaxIdleConns != 1024 || tr.MaxIdleConnsPerHost != 1024 {
			t.Errorf("idle pool = %d/%d, want 1024/1024", tr.MaxIdleConns, tr.MaxIdleConnsPerHost)
		}
		if tr.IdleConnTimeout != 90*time.Second {
			t.Errorf("IdleConnTimeout = %v, want 90s", tr.IdleConnTimeout)
		}
		if tr.ResponseHeaderTimeout != 3*time.Second {
			t.Errorf("ResponseHeaderTimeout = %v, want the backend timeout", tr.ResponseHeaderTimeout)
		}
	})
}

// TestOpenAIEarlyResponse covers an upstream that responds before it has
// read the request body. The transport may then still be sending the body
// after Do returns, so the pooled buffer must not be reused before the
// transport closes it; the race detector checks that.
func TestOpenAIEarlyResponse(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		_, _ = io.WriteString(w, `{"error":{"message":"request too large"}}`)
	}))
	defer srv.Close()
	b, err := NewOpenAI(OpenAIConfig{BaseURL: srv.URL + "/v1", Timeout: 10 * time.Second}, nil)
	if err != nil {
		t.Fatalf("NewOpenAI: %v", err)
	}
	defer func() { _ = b.Close() }()

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			req := userRequest(strings.Repeat("abcdefgh"[i:i+1], 256<<10), i%2 == 0)
			for range 4 {
				reply := b.Run(context.Background(), req, func(agentDelta) {})
				if reply.Err == nil || reply.Err.UpstreamStatus != http.StatusRequestEntityTooLarge {
					t.Errorf("reply error = %+v, want HTTP 413", reply.Err)
				}
			}
		})
	}
	wg.Wait()
}

// countingConn counts the Write calls on a client connection.
type countingConn struct {
	net.Conn
	writes *atomic.Int32
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// TestOpenAIRequestOneWrite checks that the headers and the body of an
// upstream request leave in one write. net/http does that only for a body
// type that it recognises as in memory, such as *bytes.Reader.
func TestOpenAIRequestOneWrite(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, completionJSON("ok", "", "stop"))
	}))
	defer srv.Close()

	var writes atomic.Int32
	dialer := &net.Dialer{}
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return countingConn{Conn: conn, writes: &writes}, nil
		},
	}
	defer transport.CloseIdleConnections()
	b, err := NewOpenAI(OpenAIConfig{
		BaseURL: srv.URL + "/v1", Timeout: 10 * time.Second, Transport: transport,
	}, nil)
	if err != nil {
		t.Fatalf("NewOpenAI: %v", err)
	}
	defer func() { _ = b.Close() }()

	reply := b.Run(context.Background(), userRequest("hello", false), nil)
	if reply.Err != nil {
		t.Fatalf("Run error: %+v", reply.Err)
	}
	if got := writes.Load(); got != 1 {
		t.Errorf("request written in %d writes, want 1", got)
	}
}

// pacedUpstream serves a stream whose parts it writes one at a time: part
// i+1 only after the test has seen the delta the previous parts finished.
func pacedUpstream(t *testing.T, parts []string, seen <-chan string) http.HandlerFunc {
	t.Helper()
	return func(w http.ResponseWriter, r *http.Request) {
		startEventStream(w)
		for i, part := range parts {
			if i > 0 {
				select {
				case <-seen:
				case <-time.After(5 * time.Second):
					t.Errorf("no delta after part %d; the backend held back its text", i-1)
					return
				case <-r.Context().Done():
					return
				}
			}
			_, _ = io.WriteString(w, part)
			w.(http.Flusher).Flush()
		}
	}
}

func TestOpenAIStreamDeltasOnePerRead(t *testing.T) {
	seen := make(chan string, 8)
	parts := []string{
		"data: " + contentChunk("Hel") + "\n\n",
		"data: " + contentChunk("lo") + "\n\n",
		"data: " + contentChunk(" world") + "\n\n" + "data: " + finishChunk("stop") +
			"\n\ndata: [DONE]\n\n",
	}
	f := newFakeUpstream(t, pacedUpstream(t, parts, seen))
	b := newTestBackend(t, f, 5*time.Second)
	var texts []string
	emit := func(d agentDelta) {
		texts = append(texts, d.Text)
		seen <- d.Text
	}

	reply := b.Run(context.Background(), userRequest("hi", true), emit)

	if reply.Err != nil {
		t.Fatalf("Run failed: %v", reply.Err)
	}
	if strings.Join(texts, "|") != "Hel|lo| world" {
		t.Errorf("deltas = %q, want Hel|lo| world: one delta for each event sent alone", texts)
	}
}

func TestOpenAIStreamDeltaBeforePartialEvent(t *testing.T) {
	seen := make(chan string, 8)
	second := "data: " + contentChunk("there") + "\n\n"
	parts := []string{
		"data: " + contentChunk("hi ") + "\n\n" + second[:20],
		second[20:] + "data: " + finishChunk("stop") + "\n\ndata: [DONE]\n\n",
	}
	f := newFakeUpstream(t, pacedUpstream(t, parts, seen))
	b := newTestBackend(t, f, 5*time.Second)
	var texts []string
	emit := func(d agentDelta) {
		texts = append(texts, d.Text)
		seen <- d.Text
	}

	reply := b.Run(context.Background(), userRequest("hi", true), emit)

	if reply.Err != nil {
		t.Fatalf("Run failed: %v", reply.Err)
	}
	if strings.Join(texts, "|") != "hi |there" {
		t.Errorf("deltas = %q, want hi |there: the first event goes out before the rest "+
			"of the second arrives", texts)
	}
}
