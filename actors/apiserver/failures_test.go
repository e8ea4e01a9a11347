package apiserver_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// failingAnswers are upstreams that fail before producing any text.
var failingAnswers = map[string]upstreamHandler{
	"status 500": func(w http.ResponseWriter, _ *http.Request, _ *upstreamCall) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"error":{"message":"model crashed","type":"server_error"}}`))
	},
	"stream cut before text": func(w http.ResponseWriter, _ *http.Request, call *upstreamCall) {
		if stream, _ := call.body["stream"].(bool); !stream {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"id":"chatcmpl-up","choices":[{"index":0,"message":`))
			return
		}
		s := startSSE(w)
		s.chunk(map[string]any{"role": "assistant", "content": ""}, nil)
	},
}

func TestUpstreamFailsBeforeText(t *testing.T) {
	for name, answer := range failingAnswers {
		up := newUpstream(t, answer)
		a := startAPI(t, useUpstream(up))
		for _, call := range a.failEveryRoute() {
			r := call.result
			if r.status != http.StatusBadGateway {
				t.Errorf("%s %s: status = %d, want 502: %s", name, call.name, r.status, r.body)
				continue
			}
			if code := r.errorField(t, "code"); code != "agent_incomplete" {
				t.Errorf("%s %s: code = %v", name, call.name, code)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("%s %s: content type = %q", name, call.name, ct)
			}
		}
	}
}

// cutAfterText streams two words and then ends the stream without a
// finish reason or [DONE], as an upstream that crashes mid-response does.
func cutAfterText(w http.ResponseWriter, _ *http.Request, _ *upstreamCall) {
	s := startSSE(w)
	s.chunk(map[string]any{"role": "assistant", "content": ""}, nil)
	s.text("partial ", "text")
}

// lengthAfterText responds with two words that the upstream cut at its
// token limit.
func lengthAfterText(w http.ResponseWriter, _ *http.Request, call *upstreamCall) {
	if stream, _ := call.body["stream"].(bool); !stream {
		writeCompletion(w, map[string]any{"role": "assistant", "content": "partial text"}, "length")
		return
	}
	s := startSSE(w)
	s.chunk(map[string]any{"role": "assistant", "content": ""}, nil)
	s.text("partial ", "text")
	s.end("length")
}

func TestChatStreamFailsAfterText(t *testing.T) {
	cases := []struct {
		name   string
		answer upstreamHandler
		finish string
	}{
		{"stream cut", cutAfterText, "error"},
		{"token limit", lengthAfterText, "length"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := startAPI(t, useUpstream(newUpstream(t, c.answer)))
			s := a.openStream("/v1/chat/completions", chatBody("hi", "stream", true))
			if s.resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d: %s", s.resp.StatusCode, s.body())
			}
			text, finishes := "", []string{}
			for _, ev := range s.rest() {
				if ev.data == "[DONE]" || ev.isComment() {
					continue
				}
				ch := choice(t, ev.json(t))
				if f, ok := ch["finish_reason"].(string); ok {
					finishes = append(finishes, f)
				}
				d, _ := ch["delta"].(map[string]any)
				s, _ := d["content"].(string)
				text += s
			}
			if text != "partial text" {
				t.Errorf("text = %q", text)
			}
			if len(finishes) != 1 || finishes[0] != c.finish {
				t.Errorf("finish reasons = %v, want [%s]", finishes, c.finish)
			}
		})
	}
}

func TestResponseStreamFailsAfterText(t *testing.T) {
	cases := []struct {
		name     string
		answer   upstreamHandler
		terminal string
		status   string
	}{
		{"stream cut", cutAfterText, "response.failed", "failed"},
		{"token limit", lengthAfterText, "response.incomplete", "incomplete"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := startAPI(t, useUpstream(newUpstream(t, c.answer)))
			s := a.openStream("/v1/responses", map[string]any{"input": "hi", "stream": true})
			if s.resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d: %s", s.resp.StatusCode, s.body())
			}
			events := s.rest()
			last := events[len(events)-1]
			if last.name != c.terminal {
				t.Fatalf("terminal event = %q, want %s", last.name, c.terminal)
			}
			resp, _ := last.json(t)["response"].(map[string]any)
			if resp["status"] != c.status {
				t.Errorf("status = %v, want %s", resp["status"], c.status)
			}
			for _, ev := range events {
				if ev.name == "response.completed" {
					t.Errorf("a failed run reported response.completed")
				}
			}
			id, _ := resp["id"].(string)
			got := a.call(http.MethodGet, "/v1/responses/"+id, nil)
			if st := got.json(t)["status"]; st != c.status {
				t.Errorf("stored status = %v, want %s", st, c.status)
			}
		})
	}
}

func TestNonStreamingFailsAfterText(t *testing.T) {
	backend := &scriptedBackend{answer: partialFailure("partial text", "upstream_error")}
	a := startAPIWith(t, nil, backend.option())
	r := a.call(http.MethodPost, "/v1/chat/completions", chatBody("hi"))
	if r.status != http.StatusOK {
		t.Fatalf("chat: status = %d: %s", r.status, r.body)
	}
	if f := choice(t, r.json(t))["finish_reason"]; f != "error" {
		t.Errorf("chat finish_reason = %v, want error", f)
	}
	r = a.call(http.MethodPost, "/v1/responses", map[string]any{"input": "hi"})
	if r.status != http.StatusOK {
		t.Fatalf("responses: status = %d: %s", r.status, r.body)
	}
	if st := r.json(t)["status"]; st != "failed" {
		t.Errorf("response status = %v, want failed", st)
	}

	length := startAPI(t, useUpstream(newUpstream(t, lengthAfterText)))
	r = length.call(http.MethodPost, "/v1/chat/completions", chatBody("hi"))
	if f := choice(t, r.json(t))["finish_reason"]; f != "length" {
		t.Errorf("chat finish_reason = %v, want length", f)
	}
	r = length.call(http.MethodPost, "/v1/responses", map[string]any{"input": "hi"})
	m := r.json(t)
	if m["status"] != "incomplete" {
		t.Errorf("response status = %v, want incomplete", m["status"])
	}
	if d, _ := m["incomplete_details"].(map[string]any); d["reason"] != "max_output_tokens" {
		t.Errorf("incomplete_details = %v", m["incomplete_details"])
	}
}

// hangAfterFirstWord streams one word on the first request and then waits
// for the client to go away. Later requests get a whole response.
func hangAfterFirstWord(up **fakeUpstream) upstreamHandler {
	return func(w http.ResponseWriter, r *http.Request, call *upstreamCall) {
		if (*up).count() > 1 {
			textAnswer("second ", "answer")(w, r, call)
			return
		}
		s := startSSE(w)
		s.chunk(map[string]any{"role": "assistant", "content": ""}, nil)
		s.text("first ")
		waitGone(r)
	}
}

// firstContent reads frames until one carries text and returns it.
func firstContent(t *testing.T, s *sseStream) sseEvent {
	t.Helper()
	for {
		ev := s.mustNext()
		if strings.Contains(ev.data, `"first "`) {
			return ev
		}
	}
}

// goroutineBaseline returns the goroutines of a gateway at rest, after a
// request has reached the response store, whose database opens in the
// background.
func (a *api) goroutineBaseline() goleak.Option {
	a.t.Helper()
	missing := "resp_" + strings.Repeat("0", 48)
	if r := a.call(http.MethodGet, "/v1/responses/"+missing, nil); r.status != http.StatusNotFound {
		a.t.Fatalf("store round trip: status = %d: %s", r.status, r.body)
	}
	return goleak.IgnoreCurrent()
}

// waitNoLeaks polls until no goroutine outside ignore is left.
func waitNoLeaks(t *testing.T, ignore goleak.Option) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := goleak.Find(ignore)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines of the request are still running: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkCancelled waits for the upstream request to end and checks it ended
// within a second of the client going away.
func checkCancelled(t *testing.T, call *upstreamCall, gone time.Time) {
	t.Helper()
	select {
	case <-call.ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the upstream request was not cancelled")
	}
	if d := call.endedAt.Sub(gone); d > time.Second {
		t.Errorf("the upstream request ended %v after the client went away, want under 1s", d)
	}
}

func TestChatClientDisconnectCancelsUpstream(t *testing.T) {
	var up *fakeUpstream
	up = newUpstream(t, hangAfterFirstWord(&up))
	a := startAPI(t, useUpstream(up))
	baseline := a.goroutineBaseline()

	s := a.openStream("/v1/chat/completions", chatBody("hi", "stream", true))
	firstContent(t, s)
	gone := time.Now()
	s.close()
	checkCancelled(t, up.call(0), gone)
	waitNoLeaks(t, baseline)
}

func TestResponseClientDisconnectStoresCancelled(t *testing.T) {
	var up *fakeUpstream
	up = newUpstream(t, hangAfterFirstWord(&up))
	a := startAPI(t, useUpstream(up))
	baseline := a.goroutineBaseline()

	s := a.openStream("/v1/responses", map[string]any{"input": "hi", "stream": true})
	created := s.mustNext()
	if created.name != "response.created" {
		t.Fatalf("first event = %+v", created)
	}
	resp, _ := created.json(t)["response"].(map[string]any)
	id, _ := resp["id"].(string)
	firstContent(t, s)
	gone := time.Now()
	s.close()
	checkCancelled(t, up.call(0), gone)
	waitNoLeaks(t, baseline)

	var stored map[string]any
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := a.call(http.MethodGet, "/v1/responses/"+id, nil)
		if r.status == http.StatusOK {
			stored = r.json(t)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the incomplete response was not stored: %d %s", r.status, r.body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if stored["status"] != "cancelled" {
		t.Errorf("stored status = %v, want cancelled", stored["status"])
	}
	if d, present := stored["incomplete_details"]; !present || d != nil {
		t.Errorf("incomplete_details = %v (present %t), want null", d, present)
	}
	if text := outputText(stored); text != "first " {
		t.Errorf("stored text = %q, want the streamed part", text)
	}

	next := a.call(http.MethodPost, "/v1/responses", map[string]any{
		"input": "go on", "previous_response_id": id,
	})
	if next.status != http.StatusOK {
		t.Fatalf("chaining to the incomplete response: %d %s", next.status, next.body)
	}
	msgs := up.call(1).messages()
	if len(msgs) != 3 || msgs[1]["role"] != "assistant" || msgs[1]["content"] != "first " {
		t.Errorf("upstream history after the incomplete response = %v", msgs)
	}
}

// outputText joins the output_text parts of a response object.
func outputText(resp map[string]any) string {
	text := ""
	items, _ := resp["output"].([]any)
	for _, it := range items {
		item, _ := it.(map[string]any)
		parts, _ := item["content"].([]any)
		for _, p := range parts {
			part, _ := p.(map[string]any)
			if s, ok := part["text"].(string); ok {
				text += s
			}
		}
	}
	return text
}
