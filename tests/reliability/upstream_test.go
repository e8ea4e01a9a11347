//go:build reliability

package reliability

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// upstreamMode is how the fake upstream responds.
type upstreamMode string

const (
	// modeNormal replies normally, streaming word by word wordDelay apart.
	modeNormal upstreamMode = "normal"
	// modeSlowHeaders sends nothing until the request is cancelled.
	modeSlowHeaders upstreamMode = "slow_headers"
	// modeStall streams the first words, then sends nothing more.
	modeStall upstreamMode = "stall"
	// modeStatus500 responds with status 500 and an OpenAI error envelope.
	modeStatus500 upstreamMode = "status_500"
	// modeReset resets the TCP connection: at once without streaming, and
	// after the first words when streaming.
	modeReset upstreamMode = "reset"
	// modeMalformed sends a chunk that is not JSON.
	modeMalformed upstreamMode = "malformed"
)

// tagPattern finds the tag a client puts in its message, so that the
// upstream can tell which client a request belongs to.
var tagPattern = regexp.MustCompile(`tag-[0-9]+`)

// fakeUpstream is an OpenAI-compatible model server on 127.0.0.1. It
// counts its open connections and running handlers, and records when the
// context of each request that did not finish ended.
type fakeUpstream struct {
	srv *httptest.Server
	key string

	mu        sync.Mutex
	mode      upstreamMode
	words     int
	wordDelay time.Duration
	// ends maps a request's tag to when and how its handler ended.
	ends  map[string]upstreamEnd
	conns map[net.Conn]http.ConnState

	running      atomic.Int64
	requests     atomic.Int64
	unauthorized atomic.Int64
}

// newFakeUpstream starts an upstream that requires the bearer key.
func newFakeUpstream(t *testing.T, key string) *fakeUpstream {
	t.Helper()
	u := &fakeUpstream{
		key: key, mode: modeNormal, words: 8,
		ends: map[string]upstreamEnd{}, conns: map[net.Conn]http.ConnState{},
	}
	u.srv = httptest.NewUnstartedServer(http.HandlerFunc(u.serve))
	u.srv.Config.ConnState = u.trackConn
	u.srv.Start()
	t.Cleanup(u.srv.Close)
	return u
}

func (u *fakeUpstream) baseURL() string { return u.srv.URL + "/v1" }

func (u *fakeUpstream) set(mode upstreamMode, words int, wordDelay time.Duration) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.mode, u.words, u.wordDelay = mode, words, wordDelay
}

func (u *fakeUpstream) settings() (upstreamMode, int, time.Duration) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.mode, u.words, u.wordDelay
}

func (u *fakeUpstream) trackConn(c net.Conn, state http.ConnState) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if state == http.StateClosed || state == http.StateHijacked {
		delete(u.conns, c)
		return
	}
	u.conns[c] = state
}

// openConns returns the open connections and how many of them are
// serving a request.
func (u *fakeUpstream) openConns() (open, active int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, state := range u.conns {
		open++
		if state == http.StateActive {
			active++
		}
	}
	return open, active
}

// closeIdle closes the upstream's idle keep-alive connections from its
// side, as a server with a short idle timeout would.
func (u *fakeUpstream) closeIdle() {
	u.mu.Lock()
	var idle []net.Conn
	for c, state := range u.conns {
		if state == http.StateIdle {
			idle = append(idle, c)
		}
	}
	u.mu.Unlock()
	for _, c := range idle {
		_ = c.Close()
	}
}

// upstreamEnd is when a tagged request's handler ended, and whether its
// context ended first (the client went away) or the answer was complete.
type upstreamEnd struct {
	at        time.Time
	cancelled bool
}

// endOf returns how the request with tag ended, once it has.
func (u *fakeUpstream) endOf(tag string) (upstreamEnd, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	end, ok := u.ends[tag]
	return end, ok
}

func (u *fakeUpstream) recordEnd(tag string, cancelled bool) {
	if tag == "" {
		return
	}
	now := time.Now()
	u.mu.Lock()
	defer u.mu.Unlock()
	u.ends[tag] = upstreamEnd{at: now, cancelled: cancelled}
}

func (u *fakeUpstream) recordCancel(tag string) { u.recordEnd(tag, true) }

// upstreamRequest is the part of a chat completion request the fake
// upstream reads.
type upstreamRequest struct {
	Model    string `json:"model"`
	Stream   bool   `json:"stream"`
	Messages []struct {
		Role    string `json:"role"`
		Content any    `json:"content"`
	} `json:"messages"`
}

// lastUserText returns the text of the last user message.
func (r *upstreamRequest) lastUserText() string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if s, ok := r.Messages[i].Content.(string); ok && r.Messages[i].Role == "user" {
			return s
		}
	}
	return ""
}

func (u *fakeUpstream) serve(w http.ResponseWriter, r *http.Request) {
	u.running.Add(1)
	defer u.running.Add(-1)
	u.requests.Add(1)
	if r.Header.Get("Authorization") != "Bearer "+u.key {
		u.unauthorized.Add(1)
		http.Error(w, `{"error":{"message":"invalid key"}}`, http.StatusUnauthorized)
		return
	}
	var req upstreamRequest
	if r.URL.Path != "/v1/chat/completions" || json.NewDecoder(r.Body).Decode(&req) != nil {
		http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
		return
	}
	text := req.lastUserText()
	tag := tagPattern.FindString(text)
	mode, words, delay := u.settings()
	switch mode {
	case modeSlowHeaders:
		<-r.Context().Done()
		u.recordCancel(tag)
	case modeStatus500:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"error":{"message":"the model crashed","type":"server_error"}}`))
	case modeReset:
		if !req.Stream {
			resetConn(w)
			return
		}
		u.stream(w, r, &req, tag, answerWords(text, words), delay, 2, resetConn)
	case modeStall:
		u.stream(w, r, &req, tag, answerWords(text, words), delay, 2, func(http.ResponseWriter) {
			<-r.Context().Done()
			u.recordCancel(tag)
		})
	case modeMalformed:
		u.malformed(w, req.Stream)
	default:
		if !req.Stream {
			writeCompletion(w, req.Model, strings.Join(answerWords(text, words), ""))
			return
		}
		u.stream(w, r, &req, tag, answerWords(text, words), delay, -1, nil)
	}
}

// answerWords is the answer to text, "echo: TEXT" followed by filler
// words up to n words in all, each with its trailing space.
func answerWords(text string, n int) []string {
	out := strings.SplitAfter("echo: "+text+" ", " ")
	out = out[:len(out)-1]
	for i := len(out); i < n; i++ {
		out = append(out, fmt.Sprintf("w%d ", i))
	}
	return out
}

func writeCompletion(w http.ResponseWriter, model, content string) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-up", "object": "chat.completion", "created": 1, "model": model,
		"choices": []any{map[string]any{
			"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": content},
		}},
		"usage": map[string]int{"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8},
	})
}

// stream sends words as SSE chunks with delay between them. With breakAt
// at zero or more, it calls broken after that many words instead of
// finishing the stream. The chunks are built by hand rather than with
// encoding/json, so that a thousand streams cost the test process little.
func (u *fakeUpstream) stream(w http.ResponseWriter, r *http.Request, req *upstreamRequest,
	tag string, words []string, delay time.Duration, breakAt int, broken func(http.ResponseWriter),
) {
	w.Header().Set("Content-Type", "text/event-stream")
	flusher := w.(http.Flusher)
	model, _ := json.Marshal(req.Model)
	prefix := `data: {"id":"chatcmpl-up","object":"chat.completion.chunk","created":1,"model":` +
		string(model) + `,"choices":[{"index":0,"delta":`
	send := func(delta, finish string) bool {
		if _, err := io.WriteString(w, prefix+delta+`,"finish_reason":`+finish+"}]}\n\n"); err != nil {
			return false
		}
		flusher.Flush()
		return true
	}
	if !send(`{"role":"assistant","content":""}`, "null") {
		u.recordCancel(tag)
		return
	}
	for i, word := range words {
		if i == breakAt {
			broken(w)
			return
		}
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				u.recordCancel(tag)
				return
			}
		}
		if !send(`{"content":`+strconv.Quote(word)+`}`, "null") {
			u.recordCancel(tag)
			return
		}
	}
	send(`{}`, `"stop"`)
	_, _ = io.WriteString(w, "data: [DONE]\n\n")
	flusher.Flush()
	u.recordEnd(tag, false)
}

func (u *fakeUpstream) malformed(w http.ResponseWriter, stream bool) {
	if !stream {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"choices":[{"message":{"content":"unterminated`))
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	_, _ = w.Write([]byte("data: {\"choices\":[{\"delta\":{\"content\":\"ok \"}}]}\n\n" +
		"data: {this is not json\n\n"))
}

// resetConn closes the connection under a handler with SO_LINGER 0, which
// sends the client a TCP reset.
func resetConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}
