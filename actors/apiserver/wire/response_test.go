package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/actorgate/actorgate/messages"
)

func testParams(reply *messages.AgentReply) ResponseParams {
	return ResponseParams{
		ID:        testRespID,
		Model:     testModel,
		CreatedAt: testCreated,
		Store:     true,
		Reply:     reply,
	}
}

func failedReply() *messages.AgentReply {
	return &messages.AgentReply{
		Text:         "partial",
		FinishReason: messages.FinishError,
		Err: &messages.AgentError{
			Code: "upstream_error", Message: "upstream returned 502",
			UpstreamStatus: 502,
		},
	}
}

func responseCases() []struct {
	name   string
	params ResponseParams
} {
	full := testParams(textReply())
	full.Instructions = "be brief"
	full.HasInstructions = true
	full.Conversation = "chat-1"
	full.Tools = json.RawMessage(`[{"type":"function","name":"f"}]`)
	full.ToolChoice = json.RawMessage(`"required"`)
	full.Temperature = json.RawMessage(`0.5`)
	full.TopP = json.RawMessage(`1`)
	full.ParallelToolCalls = json.RawMessage(`false`)
	full.Metadata = json.RawMessage(`{"k":"v"}`)

	chained := testParams(textReply())
	chained.PreviousResponseID = "resp_00112233445566770000000000000000000000000000000a"
	chained.Store = false

	return []struct {
		name   string
		params ResponseParams
	}{
		{"response_in_progress.json", testParams(nil)},
		{"response_completed.json", testParams(textReply())},
		{"response_completed_echo.json", full},
		{"response_chained.json", chained},
		{"response_function_calls.json", testParams(toolReply())},
		{"response_failed.json", testParams(failedReply())},
		{"response_failed_empty.json", testParams(&messages.AgentReply{
			Err: &messages.AgentError{Code: "upstream_timeout", Message: "timed out"},
		})},
		{"response_incomplete_length.json", testParams(&messages.AgentReply{
			Text: "cut", FinishReason: messages.FinishLength,
		})},
		{"response_cancelled.json", testParams(&messages.AgentReply{
			Text: "so far", Err: &messages.AgentError{Code: "cancelled", Message: "client left"},
		})},
	}
}

func TestResponseObjectGolden(t *testing.T) {
	for _, tc := range responseCases() {
		t.Run(tc.name, func(t *testing.T) {
			obj := NewResponseObject(tc.params)
			checkGolden(t, tc.name, normaliseIDs(obj.AppendJSON(nil)))
		})
	}
}

func TestResponseObjectStatus(t *testing.T) {
	cases := []struct {
		name       string
		reply      *messages.AgentReply
		status     string
		itemStatus string
		items      []string
		hasError   bool
		reason     string
	}{
		{"in progress", nil, "in_progress", "", nil, false, ""},
		{"completed", textReply(), "completed", "completed", []string{"message"}, false, ""},
		{
			"empty answer", &messages.AgentReply{}, "completed", "completed",
			[]string{"message"},
			false, "",
		},
		{
			"tool calls", toolReply(), "completed", "completed",
			[]string{"function_call", "function_call"},
			false, "",
		},
		{
			"text and tool", &messages.AgentReply{Text: "t", ToolCalls: toolReply().ToolCalls[:1]},
			"completed", "completed",
			[]string{"message", "function_call"},
			false, "",
		},
		{"failed with text", failedReply(), "failed", "incomplete", []string{"message"}, true, ""},
		{
			"failed empty", &messages.AgentReply{Err: &messages.AgentError{Code: "x"}}, "failed",
			"", nil, true, "",
		},
		{
			"length", &messages.AgentReply{Text: "a", FinishReason: "length"}, "incomplete",
			"incomplete",
			[]string{"message"},
			false, "max_output_tokens",
		},
		{
			"content filter", &messages.AgentReply{FinishReason: "content_filter"}, "incomplete",
			"incomplete",
			[]string{"message"},
			false, "content_filter",
		},
		{
			"cancelled", &messages.AgentReply{Err: &messages.AgentError{Code: "cancelled"}},
			"cancelled", "incomplete",
			[]string{"message"},
			false, "",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := NewResponseObject(testParams(tc.reply))
			if obj.Status != tc.status {
				t.Errorf("status = %q, want %q", obj.Status, tc.status)
			}
			if (obj.Error != nil) != tc.hasError {
				t.Errorf("error = %+v, want set %v", obj.Error, tc.hasError)
			}
			if obj.Status == "completed" && obj.Error != nil {
				t.Error("a completed response carries an error")
			}
			if obj.IncompleteReason != tc.reason {
				t.Errorf("incomplete reason = %q, want %q", obj.IncompleteReason, tc.reason)
			}
			var types []string
			for _, it := range obj.Output {
				types = append(types, it.Type)
				if it.Status != tc.itemStatus {
					t.Errorf("item %s status = %q, want %q", it.ID, it.Status, tc.itemStatus)
				}
			}
			if strings.Join(types, ",") != strings.Join(tc.items, ",") {
				t.Errorf("items = %v, want %v", types, tc.items)
			}
		})
	}
}

func TestResponseObjectIDs(t *testing.T) {
	reply := &messages.AgentReply{Text: "t", ToolCalls: []messages.ToolCall{
		{Name: "f", Arguments: "{}"},
		{ID: "call_given", Name: "g", Arguments: "{}"},
	}}
	obj := NewResponseObject(testParams(reply))
	if len(obj.Output) != 3 {
		t.Fatalf("output has %d items, want 3", len(obj.Output))
	}
	if !strings.HasPrefix(obj.Output[0].ID, MessageItemPrefix) {
		t.Errorf("message id = %q", obj.Output[0].ID)
	}
	if !strings.HasPrefix(obj.Output[1].ID, FunctionCallItemPrefix) {
		t.Errorf("function call id = %q", obj.Output[1].ID)
	}
	if !strings.HasPrefix(obj.Output[1].CallID, CallIDPrefix) {
		t.Errorf("generated call id = %q", obj.Output[1].CallID)
	}
	if reply.ToolCalls[0].ID != obj.Output[1].CallID {
		t.Errorf("reply call id = %q, want the generated %q", reply.ToolCalls[0].ID,
			obj.Output[1].CallID)
	}
	if obj.Output[2].CallID != "call_given" {
		t.Errorf("call id = %q, want call_given", obj.Output[2].CallID)
	}
	if obj.OutputText() != "t" {
		t.Errorf("OutputText = %q", obj.OutputText())
	}
}

func TestResponseParamsFromRequest(t *testing.T) {
	req, e := DecodeResponsesRequest([]byte(respBody(`"x"`, `"instructions":"i"`,
		`"conversation":"c"`, `"store":false`, `"temperature":0.3`, `"top_p":0.5`,
		`"tools":[{"type":"function","name":"f"}]`, `"tool_choice":"none"`,
		`"metadata":{"a":"b"}`, `"text":{"format":{"type":"text"}}`,
		`"parallel_tool_calls":false`)))
	if e != nil {
		t.Fatal(e)
	}
	obj := NewResponseObject(req.ResponseParams(testRespID, "m", 5))
	var v map[string]json.RawMessage
	mustUnmarshal(t, obj.AppendJSON(nil), &v)
	want := map[string]string{
		"id": `"` + testRespID + `"`, "model": `"m"`, "created_at": "5",
		"instructions": `"i"`, "conversation": `{"id":"c"}`, "store": "false",
		"temperature": "0.3", "top_p": "0.5", "tools": `[{"type":"function","name":"f"}]`,
		"tool_choice": `"none"`, "metadata": `{"a":"b"}`, "text": `{"format":{"type":"text"}}`,
		"parallel_tool_calls": "false", "previous_response_id": "null", "status": `"in_progress"`,
		"usage": "null",
	}
	for k, w := range want {
		if string(v[k]) != w {
			t.Errorf("%s = %s, want %s", k, v[k], w)
		}
	}
}

// eventRecorder is an EventWriter that keeps copies of the events.
type eventRecorder struct {
	names []string
	data  [][]byte
	fail  int // fail the call with this 1-based index; 0 never fails
}

var errRecorder = errors.New("recorder failure")

func (r *eventRecorder) Event(name string, data []byte) error {
	if r.fail > 0 && len(r.names)+1 == r.fail {
		return errRecorder
	}
	r.names = append(r.names, name)
	r.data = append(r.data, bytes.Clone(data))
	return nil
}

type streamStep struct {
	delta *messages.AgentDelta
	reply *messages.AgentReply
}

func runStream(t *testing.T, w EventWriter, steps []streamStep) *ResponseStream {
	t.Helper()
	s := NewResponseStream(NewResponseObject(testParams(nil)))
	if err := s.Start(w); err != nil {
		t.Fatalf("start: %v", err)
	}
	for _, st := range steps {
		var err error
		if st.delta != nil {
			err = s.Delta(w, st.delta)
		} else {
			err = s.Finish(w, st.reply)
		}
		if err != nil {
			t.Fatalf("stream step: %v", err)
		}
	}
	return s
}

func textDeltas(parts ...string) []streamStep {
	var steps []streamStep
	for _, p := range parts {
		steps = append(steps, streamStep{delta: &messages.AgentDelta{Text: p}})
	}
	return steps
}

func streamCases() []struct {
	name  string
	steps []streamStep
} {
	toolSteps := []streamStep{
		{delta: &messages.AgentDelta{Text: "Let me check."}},
		{delta: &messages.AgentDelta{ToolCalls: []messages.ToolCallDelta{
			{Index: 0, ID: "call_a", Type: "function", Name: "get_weather"},
		}}},
		{delta: &messages.AgentDelta{ToolCalls: []messages.ToolCallDelta{
			{Index: 0, Arguments: `{"city":`},
		}}},
		{delta: &messages.AgentDelta{ToolCalls: []messages.ToolCallDelta{
			{Index: 0, Arguments: `"Oslo"}`},
			{Index: 1, ID: "call_b", Type: "function", Name: "get_time", Arguments: "{}"},
		}}},
		{reply: &messages.AgentReply{
			Text: "Let me check.", ToolCalls: []messages.ToolCall{
				{ID: "call_a", Type: "function", Name: "get_weather", Arguments: `{"city":"Oslo"}`},
				{ID: "call_b", Type: "function", Name: "get_time", Arguments: "{}"},
			},
			FinishReason: messages.FinishToolCalls,
			Usage:        messages.Usage{PromptTokens: 20, CompletionTokens: 10},
		}},
	}
	return []struct {
		name  string
		steps []streamStep
	}{
		{"stream_text.sse", append(textDeltas("Hel", "lo \"", "world\"\n"),
			streamStep{reply: &messages.AgentReply{
				Text: "Hello \"world\"\n", FinishReason: "stop",
				Usage: messages.Usage{PromptTokens: 3, CompletionTokens: 4, TotalTokens: 7},
			}})},
		{"stream_tool_calls.sse", toolSteps},
		{"stream_failed.sse", append(textDeltas("part"), streamStep{reply: failedReply()})},
		{"stream_failed_empty.sse", []streamStep{{reply: &messages.AgentReply{
			Err: &messages.AgentError{Code: "upstream_unavailable", Message: "connection refused"},
		}}}},
		{"stream_incomplete.sse", append(textDeltas("cut"), streamStep{reply: &messages.AgentReply{
			Text: "cut", FinishReason: messages.FinishLength,
		}})},
		{"stream_reply_only.sse", []streamStep{{reply: toolReply()}}},
	}
}

func TestResponseStreamGolden(t *testing.T) {
	for _, tc := range streamCases() {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			runStream(t, NewSSEWriter(rec), tc.steps)
			checkGolden(t, tc.name, normaliseIDs(rec.Body.Bytes()))
		})
	}
}

// streamEvent is the union of the fields the stream events carry.
type streamEvent struct {
	Type           string          `json:"type"`
	SequenceNumber *int64          `json:"sequence_number"`
	Response       json.RawMessage `json:"response"`
	OutputIndex    *int            `json:"output_index"`
	ContentIndex   *int            `json:"content_index"`
	ItemID         string          `json:"item_id"`
	Item           *struct {
		ID        string `json:"id"`
		Type      string `json:"type"`
		Arguments string `json:"arguments"`
	} `json:"item"`
	Delta     *string         `json:"delta"`
	Text      *string         `json:"text"`
	Arguments *string         `json:"arguments"`
	Logprobs  json.RawMessage `json:"logprobs"`
	Part      json.RawMessage `json:"part"`
}

func TestResponseStreamInvariants(t *testing.T) {
	for _, tc := range streamCases() {
		t.Run(tc.name, func(t *testing.T) {
			rec := &eventRecorder{}
			s := runStream(t, rec, tc.steps)
			checkStreamInvariants(t, rec, s.Object())
		})
	}
}

// checkStreamInvariants checks what a client relies on: sequence numbers,
// the first and last event, deltas that add up to the done text, items
// that open before they close, and a terminal object equal to Object().
func checkStreamInvariants(t *testing.T, rec *eventRecorder, final *ResponseObject) {
	t.Helper()
	if len(rec.names) < 2 {
		t.Fatalf("stream has %d events", len(rec.names))
	}
	if rec.names[0] != EventResponseCreated {
		t.Errorf("first event = %q", rec.names[0])
	}
	if rec.names[1] != EventResponseInProgress {
		t.Errorf("second event = %q, want %s", rec.names[1], EventResponseInProgress)
	}
	sent := map[string]string{}
	open := map[string]bool{}
	for i, name := range rec.names {
		var ev streamEvent
		mustUnmarshal(t, rec.data[i], &ev)
		if ev.Type != name {
			t.Errorf("event %d: type %q under event name %q", i, ev.Type, name)
		}
		if ev.SequenceNumber == nil || *ev.SequenceNumber != int64(i) {
			t.Errorf("event %d: sequence_number = %v", i, ev.SequenceNumber)
		}
		checkEventFields(t, i, &ev, sent, open)
	}
	last := rec.data[len(rec.data)-1]
	var ev streamEvent
	mustUnmarshal(t, last, &ev)
	if string(ev.Response) != string(final.AppendJSON(nil)) {
		t.Errorf("terminal response differs from Object()\n got: %s\nwant: %s", ev.Response,
			final.AppendJSON(nil))
	}
	if want := terminalEvent(final.Status); rec.names[len(rec.names)-1] != want {
		t.Errorf("last event = %q, want %q", rec.names[len(rec.names)-1], want)
	}
	for id, isOpen := range open {
		if isOpen {
			t.Errorf("item %s was never closed", id)
		}
	}
}

func checkEventFields(t *testing.T, i int, ev *streamEvent, sent map[string]string,
	open map[string]bool,
) {
	t.Helper()
	switch ev.Type {
	case EventResponseCreated, EventResponseInProgress, EventResponseCompleted,
		EventResponseFailed, EventResponseIncomplete:
		if !json.Valid(ev.Response) {
			t.Errorf("event %d: no response object", i)
		}
	case EventOutputItemAdded:
		if ev.OutputIndex == nil || ev.Item == nil || open[ev.Item.ID] {
			t.Errorf("event %d: bad output_item.added", i)
			return
		}
		open[ev.Item.ID] = true
	case EventOutputItemDone:
		if ev.OutputIndex == nil || ev.Item == nil || !open[ev.Item.ID] {
			t.Errorf("event %d: output_item.done for an item not open", i)
			return
		}
		open[ev.Item.ID] = false
	case EventContentPartAdded, EventContentPartDone:
		if ev.ContentIndex == nil || !open[ev.ItemID] || len(ev.Part) == 0 {
			t.Errorf("event %d: bad %s", i, ev.Type)
		}
	case EventOutputTextDelta, EventFunctionArgumentsDelta:
		if ev.Delta == nil || !open[ev.ItemID] {
			t.Errorf("event %d: bad %s", i, ev.Type)
			return
		}
		sent[ev.ItemID] += *ev.Delta
		if ev.Type == EventOutputTextDelta && string(ev.Logprobs) != "[]" {
			t.Errorf("event %d: logprobs = %s, want []", i, ev.Logprobs)
		}
	case EventOutputTextDone:
		if ev.Text == nil || *ev.Text != sent[ev.ItemID] {
			t.Errorf("event %d: text.done %v, deltas add up to %q", i, ev.Text, sent[ev.ItemID])
		}
	case EventFunctionArgumentsDone:
		if ev.Arguments == nil || *ev.Arguments != sent[ev.ItemID] {
			t.Errorf("event %d: arguments.done %v, deltas add up to %q", i, ev.Arguments,
				sent[ev.ItemID])
		}
	default:
		t.Errorf("event %d: unexpected type %q", i, ev.Type)
	}
}

func TestResponseStreamOrder(t *testing.T) {
	rec := &eventRecorder{}
	steps := append(textDeltas("a", "b"), streamStep{reply: &messages.AgentReply{Text: "ab"}})
	runStream(t, rec, steps)
	want := []string{
		EventResponseCreated, EventResponseInProgress, EventOutputItemAdded, EventContentPartAdded,
		EventOutputTextDelta, EventOutputTextDelta, EventOutputTextDone,
		EventContentPartDone, EventOutputItemDone, EventResponseCompleted,
	}
	if strings.Join(rec.names, " ") != strings.Join(want, " ") {
		t.Errorf("events\n got: %v\nwant: %v", rec.names, want)
	}
}

func TestResponseStreamReconcilesReply(t *testing.T) {
	cases := []struct {
		name     string
		steps    []streamStep
		wantText string
	}{
		{"reply adds text", append(textDeltas("Hel"), streamStep{
			reply: &messages.AgentReply{Text: "Hello"},
		}), "Hello"},
		{"failed reply keeps streamed text", append(textDeltas("par", "tial"), streamStep{
			reply: &messages.AgentReply{Err: &messages.AgentError{Code: "upstream_error"}},
		}), "partial"},
		{
			"no deltas",
			[]streamStep{{reply: &messages.AgentReply{Text: "all at once"}}},
			"all at once",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := &eventRecorder{}
			s := runStream(t, rec, tc.steps)
			if got := s.Object().OutputText(); got != tc.wantText {
				t.Errorf("output text = %q, want %q", got, tc.wantText)
			}
			checkStreamInvariants(t, rec, s.Object())
		})
	}
}

func TestResponseStreamCallIDWrittenBack(t *testing.T) {
	rec := &eventRecorder{}
	reply := &messages.AgentReply{ToolCalls: []messages.ToolCall{{Name: "f", Arguments: "{}"}}}
	s := runStream(t, rec, []streamStep{
		{delta: &messages.AgentDelta{ToolCalls: []messages.ToolCallDelta{{Name: "f"}}}},
		{reply: reply},
	})
	got := s.Object().Output[0].CallID
	if !strings.HasPrefix(got, CallIDPrefix) {
		t.Fatalf("call id = %q", got)
	}
	if reply.ToolCalls[0].ID != got {
		t.Errorf("reply call id = %q, want %q", reply.ToolCalls[0].ID, got)
	}
}

func TestResponseStreamAfterFinish(t *testing.T) {
	rec := &eventRecorder{}
	s := runStream(t, rec, []streamStep{{reply: textReply()}})
	n := len(rec.names)
	if err := s.Delta(rec, &messages.AgentDelta{Text: "late"}); !errors.Is(err,
		ErrResponseFinished) {
		t.Errorf("Delta after Finish = %v, want ErrResponseFinished", err)
	}
	if err := s.Finish(rec, textReply()); !errors.Is(err, ErrResponseFinished) {
		t.Errorf("Finish twice = %v, want ErrResponseFinished", err)
	}
	if len(rec.names) != n {
		t.Errorf("events written after Finish: %v", rec.names[n:])
	}
}

func TestResponseStreamWriterError(t *testing.T) {
	for fail := 1; fail <= 6; fail++ {
		rec := &eventRecorder{fail: fail}
		s := NewResponseStream(NewResponseObject(testParams(nil)))
		var err error
		for _, step := range textDeltas("a", "b") {
			if err = s.Delta(rec, step.delta); err != nil {
				break
			}
		}
		if err == nil {
			err = s.Finish(rec, &messages.AgentReply{Text: "ab"})
		}
		if !errors.Is(err, errRecorder) {
			t.Errorf("failing call %d: error = %v, want the writer's error", fail, err)
		}
	}
}

func TestNilRepliesDoNotPanic(t *testing.T) {
	if out := AppendChatCompletion(nil, "id", 1, "m", nil); !json.Valid(out) {
		t.Errorf("nil reply: invalid JSON %s", out)
	}
	if out := AppendChatChunkDelta(nil, "id", 1, "m", nil); !json.Valid(out) {
		t.Errorf("nil delta: invalid JSON %s", out)
	}

	obj := NewResponseObject(testParams(nil))
	obj.SetReply(nil)
	if obj.Status != "in_progress" {
		t.Errorf("SetReply(nil) changed the status to %q", obj.Status)
	}

	rec := &eventRecorder{}
	s := NewResponseStream(nil)
	if err := s.Delta(rec, nil); err != nil {
		t.Fatalf("Delta(nil): %v", err)
	}
	if err := s.Finish(rec, nil); err != nil {
		t.Fatalf("Finish(nil): %v", err)
	}
	if s.Object().Status != "failed" || s.Object().Error == nil {
		t.Errorf("Finish(nil) status %q error %+v, want failed with an error",
			s.Object().Status, s.Object().Error)
	}
	checkStreamInvariants(t, rec, s.Object())
}

// FuzzResponseObjectReply checks that the response object is valid JSON
// whatever text, tool calls and model an agent replies with. The response
// store relies on it, because it skips the JSON check of bodies that this
// encoder produced.
func FuzzResponseObjectReply(f *testing.F) {
	f.Add("hello", "call_1", "lookup", `{"q":"x"}`, "m", "error", "failed")
	f.Add("\x00\"\\\u2028\xff", "\n", "\x7f", "{", "\xc3", "", "")
	f.Fuzz(func(t *testing.T, text, callID, name, args, model, code, message string) {
		obj := NewResponseObject(ResponseParams{ID: testRespID, Model: "m", CreatedAt: 1})
		reply := &messages.AgentReply{
			Text: text, Model: model,
			ToolCalls: []messages.ToolCall{{ID: callID, Type: "function", Name: name, Arguments: args}},
		}
		if code != "" {
			reply.Err = &messages.AgentError{Code: code, Message: message}
		}
		obj.Model = model
		obj.SetReply(reply)
		if out := obj.AppendJSON(nil); !json.Valid(out) {
			t.Fatalf("response object is not valid JSON: %q", out)
		}
	})
}
