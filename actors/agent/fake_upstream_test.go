package agent

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/actorgate/actorgate/messages"
)

type agentDelta = messages.AgentDelta

// fakeUpstream is an OpenAI-compatible server on 127.0.0.1 that records
// what it receives and tracks its connections.
type fakeUpstream struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests []recordedRequest
	conns    map[net.Conn]http.ConnState
	seen     map[net.Conn]bool
}

type recordedRequest struct {
	Path   string
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

// newFakeUpstream starts a fake whose handler is h. The body has been read
// and recorded when h runs.
func newFakeUpstream(t *testing.T, h http.HandlerFunc) *fakeUpstream {
	t.Helper()
	f := &fakeUpstream{conns: map[net.Conn]http.ConnState{}, seen: map[net.Conn]bool{}}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rec := recordedRequest{Path: r.URL.Path, Header: r.Header.Clone(), Raw: raw}
		if err := json.Unmarshal(raw, &rec.Body); err != nil {
			rec.Body = map[string]any{"invalid_json": err.Error()}
		}
		f.mu.Lock()
		f.requests = append(f.requests, rec)
		f.mu.Unlock()
		h(w, r)
	}))
	f.srv.Config.ConnState = f.trackConn
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeUpstream) trackConn(c net.Conn, state http.ConnState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen[c] = true
	if state == http.StateClosed || state == http.StateHijacked {
		delete(f.conns, c)
		return
	}
	f.conns[c] = state
}

// busyConns counts connections that are not idle.
func (f *fakeUpstream) busyConns() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, s := range f.conns {
		if s != http.StateIdle {
			n++
		}
	}
	return n
}

// connsSeen counts the connections ever opened to the fake.
func (f *fakeUpstream) connsSeen() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.seen)
}

func (f *fakeUpstream) request(t *testing.T, i int) recordedRequest {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if i >= len(f.requests) {
		t.Fatalf("fake upstream received %d requests, want more than %d", len(f.requests), i)
	}
	return f.requests[i]
}

func (f *fakeUpstream) baseURL() string { return f.srv.URL + "/v1" }

// newTestBackend returns an OpenAI backend aimed at f, closed at cleanup.
func newTestBackend(t *testing.T, f *fakeUpstream, timeout time.Duration) Backend {
	t.Helper()
	b, err := NewOpenAI(OpenAIConfig{
		BaseURL: f.baseURL(), APIKey: "sk-test-key",
		Timeout: timeout,
	}, zap.NewNop())
	if err != nil {
		t.Fatalf("NewOpenAI: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// completionJSON is a non-streamed completion in the OpenAI wire format.
func completionJSON(content string, toolCalls string, finish string) string {
	calls := ""
	if toolCalls != "" {
		calls = `,"tool_calls":` + toolCalls
	}
	return fmt.Sprintf(`{"id":"chatcmpl-1","object":"chat.completion","created":1,`+
		`"model":"up-model","choices":[{"index":0,"message":{"role":"assistant",`+
		`"content":%s%s},"finish_reason":%q}],`+
		`"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}`,
		jsonString(content), calls, finish)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// contentChunk is a streamed chunk carrying a content fragment.
func contentChunk(text string) string {
	return `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"up-model",` +
		`"choices":[{"index":0,"delta":{"content":` + jsonString(text) + `},"finish_reason":null}]}`
}

// finishChunk is the chunk that ends the choice.
func finishChunk(reason string) string {
	return `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"up-model",` +
		`"choices":[{"index":0,"delta":{},"finish_reason":"` + reason + `"}]}`
}

// usageChunk is the final chunk sent with include_usage.
func usageChunk(prompt, completion int) string {
	return fmt.Sprintf(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,`+
		`"model":"up-model","choices":[],"usage":{"prompt_tokens":%d,"completion_tokens":%d,`+
		`"total_tokens":%d}}`, prompt, completion, prompt+completion)
}

// writeEvents writes each chunk as one SSE event and flushes it.
func writeEvents(w http.ResponseWriter, chunks ...string) {
	for _, c := range chunks {
		_, _ = io.WriteString(w, "data: "+c+"\n\n")
		w.(http.Flusher).Flush()
	}
}

func startEventStream(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	// A comment line, as some upstreams send for keep-alive.
	_, _ = io.WriteString(w, ": keep-alive\n\n")
	w.(http.Flusher).Flush()
}

func serveJSON(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func serveEvents(chunks ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		startEventStream(w)
		writeEvents(w, chunks...)
	}
}

// collectDeltas returns an emit function and the slice it appends to.
func collectDeltas() (func(d agentDelta), *[]agentDelta) {
	var got []agentDelta
	return func(d agentDelta) { got = append(got, d) }, &got
}

func joinText(ds []agentDelta) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.Text)
	}
	return b.String()
}
