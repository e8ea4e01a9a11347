package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/actorgate/actorgate/messages"
)

// The seed corpora live in testdata/fuzz/<FuzzName>/.

func FuzzDecodeChatRequest(f *testing.F) {
	f.Add([]byte(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, e := DecodeChatRequest(body)
		if e != nil {
			checkFuzzError(t, e)
			return
		}
		checkChatMessages(t, req.Messages)
		checkRawJSON(t, "tools", req.Tools)
		checkRawJSON(t, "tool_choice", req.ToolChoice)
		for k, v := range req.Options {
			checkRawJSON(t, k, v)
		}

		// Re-encoding the accepted messages must decode to the same messages.
		again, e := DecodeChatRequest(encodeChatBody(t, req.Messages))
		if e != nil {
			t.Fatalf("re-encoded request rejected: %v", e)
		}
		assertMessages(t, again.Messages, req.Messages)
	})
}

func FuzzDecodeResponsesRequest(f *testing.F) {
	f.Add([]byte(`{"model":"m","input":"hi"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, e := DecodeResponsesRequest(body)
		if e != nil {
			checkFuzzError(t, e)
			return
		}
		if len(req.Input) == 0 {
			t.Fatal("accepted a request with no input")
		}
		if req.PreviousResponseID != "" && req.Conversation != "" {
			t.Fatal("accepted previous_response_id together with conversation")
		}
		checkChatMessages(t, req.Input)
		checkChatMessages(t, req.ConversationHistory)
		for k, v := range req.Options {
			checkRawJSON(t, k, v)
		}

		// The converted tools must pass the Chat Completions checks.
		if _, e := checkChatTools(req.Tools); e != nil {
			t.Fatalf("converted tools %s fail the chat checks: %v", req.Tools, e)
		}
		if _, e := checkChatToolChoice(req.ToolChoice); e != nil {
			t.Fatalf("converted tool_choice %s fails the chat checks: %v", req.ToolChoice, e)
		}
		obj := NewResponseObject(req.ResponseParams(testRespID, req.Model, 1))
		obj.SetReply(&messages.AgentReply{Text: "ok"})
		checkRawJSON(t, "response object", obj.AppendJSON(nil))
	})
}

func FuzzSSEWriter(f *testing.F) {
	f.Add("response.created", []byte(`{"type":"response.created"}`), "keepalive")
	f.Fuzz(func(t *testing.T, name string, data []byte, comment string) {
		rec := newFlushRecorder()
		s := NewSSEWriter(rec)
		badData := strings.ContainsAny(string(data), "\r\n")
		frames := 0
		expect := ""

		err := s.Event(name, data)
		badEvent := badData || name == "" || strings.ContainsAny(name, "\r\n")
		expect, frames = checkFrame(t, rec, err, badEvent, expect, frames,
			"event: "+name+"\ndata: "+string(data)+"\n\n")

		err = s.Data(data)
		expect, frames = checkFrame(t, rec, err, badData, expect, frames,
			"data: "+string(data)+"\n\n")

		err = s.Comment(comment)
		expect, _ = checkFrame(t, rec, err, strings.ContainsAny(comment, "\r\n"), expect, 0,
			": "+comment+"\n\n")

		events := parseSSE(expect)
		if len(events) != frames {
			t.Fatalf("parsed %d events from %q, want %d", len(events), expect, frames)
		}
		for _, ev := range events {
			if ev.data != string(data) {
				t.Fatalf("event data %q, want %q", ev.data, data)
			}
		}
	})
}

// checkFrame checks one SSE write: either rejected with ErrInvalidFrame
// and nothing written, or written exactly. It returns the expected body
// and count of data frames so far.
func checkFrame(t *testing.T, rec *flushRecorder, err error, invalid bool, expect string,
	frames int, frame string,
) (string, int) {
	t.Helper()
	if invalid {
		if !errors.Is(err, ErrInvalidFrame) {
			t.Fatalf("error = %v, want ErrInvalidFrame", err)
		}
	} else {
		if err != nil {
			t.Fatalf("valid frame %q rejected: %v", frame, err)
		}
		expect += frame
		frames++
	}
	if rec.body.String() != expect {
		t.Fatalf("body = %q, want %q", rec.body.String(), expect)
	}
	return expect, frames
}

type sseEvent struct {
	name string
	data string
}

// parseSSE parses a stream the way an EventSource client does, for the
// fields this package writes.
func parseSSE(stream string) []sseEvent {
	var events []sseEvent
	var cur sseEvent
	hasData := false
	for _, line := range strings.Split(stream, "\n") {
		switch {
		case line == "":
			if hasData {
				events = append(events, cur)
			}
			cur, hasData = sseEvent{}, false
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			cur.data = strings.TrimPrefix(line, "data: ")
			hasData = true
		}
	}
	return events
}

func checkFuzzError(t *testing.T, e *Error) {
	t.Helper()
	if e.Status != 400 || e.Type != TypeInvalidRequest || e.Message == "" {
		t.Fatalf("malformed error %+v", e)
	}
	checkRawJSON(t, "error envelope", e.AppendJSON(nil))
}

func checkRawJSON(t *testing.T, field string, raw []byte) {
	t.Helper()
	if raw != nil && !json.Valid(raw) {
		t.Fatalf("%s is not valid JSON: %q", field, raw)
	}
}

func checkChatMessages(t *testing.T, msgs []messages.ChatMessage) {
	t.Helper()
	if len(msgs) > MaxMessages {
		t.Fatalf("%d messages accepted", len(msgs))
	}
	for i, m := range msgs {
		switch m.Role {
		case RoleSystem, RoleDeveloper, RoleUser, RoleAssistant, RoleTool, RoleFunction:
		default:
			t.Fatalf("message %d: role %q accepted", i, m.Role)
		}
		if len(m.Content) > MaxMessageText {
			t.Fatalf("message %d: %d bytes of text accepted", i, len(m.Content))
		}
		if m.Role == RoleTool && m.ToolCallID == "" {
			t.Fatalf("message %d: tool message without tool_call_id", i)
		}
		for _, p := range m.Parts {
			if p.Type == PartImageURL && !isHTTPURL(p.ImageURL) && !isImageDataURL(p.ImageURL) {
				t.Fatalf("message %d: image URL %q accepted", i, p.ImageURL)
			}
		}
		for _, tc := range m.ToolCalls {
			if tc.ID == "" || tc.Name == "" || tc.Type != "function" {
				t.Fatalf("message %d: tool call %+v accepted", i, tc)
			}
		}
	}
}

// encodeChatBody encodes messages as a Chat Completions request body with
// encoding/json, independently of the package's own encoders.
func encodeChatBody(t *testing.T, msgs []messages.ChatMessage) []byte {
	t.Helper()
	out := make([]map[string]any, len(msgs))
	for i, m := range msgs {
		o := map[string]any{"role": m.Role, "content": m.Content}
		if m.Parts != nil {
			o["content"] = encodeParts(m.Parts)
		}
		if m.Name != "" {
			o["name"] = m.Name
		}
		if m.ToolCallID != "" {
			o["tool_call_id"] = m.ToolCallID
		}
		if len(m.ToolCalls) > 0 {
			o["tool_calls"] = encodeToolCalls(m.ToolCalls)
		}
		out[i] = o
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	if err := enc.Encode(map[string]any{"messages": out}); err != nil {
		t.Fatalf("encoding messages: %v", err)
	}
	return buf.Bytes()
}

func encodeParts(parts []messages.ContentPart) []map[string]any {
	out := make([]map[string]any, len(parts))
	for j, p := range parts {
		if p.Type == PartText {
			out[j] = map[string]any{"type": "text", "text": p.Text}
			continue
		}
		img := map[string]any{"url": p.ImageURL}
		if p.Detail != "" {
			img["detail"] = p.Detail
		}
		out[j] = map[string]any{"type": "image_url", "image_url": img}
	}
	return out
}

func encodeToolCalls(calls []messages.ToolCall) []map[string]any {
	out := make([]map[string]any, len(calls))
	for k, tc := range calls {
		out[k] = map[string]any{
			"id": tc.ID, "type": "function",
			"function": map[string]any{"name": tc.Name, "arguments": tc.Arguments},
		}
	}
	return out
}
