package apiserver_test

import (
	"net/http"
	"reflect"
	"testing"
)

// eventTypes returns the event names of a Responses API stream and checks
// each event's type and sequence_number: equal to its name, and 0, 1, 2, ...
func eventTypes(t *testing.T, events []sseEvent) []string {
	t.Helper()
	var names []string
	for i, ev := range events {
		if ev.isComment() {
			continue
		}
		m := ev.json(t)
		if m["type"] != ev.name {
			t.Errorf("event %d: type %v under the event name %q", i, m["type"], ev.name)
		}
		if seq, ok := m["sequence_number"].(float64); !ok || int(seq) != len(names) {
			t.Errorf("event %d (%s): sequence_number = %v, want %d", i, ev.name,
				m["sequence_number"], len(names))
		}
		names = append(names, ev.name)
	}
	return names
}

// collapse merges runs of the same name, so that any number of deltas
// compares equal to one.
func collapse(names []string) []string {
	var out []string
	for _, n := range names {
		if len(out) == 0 || out[len(out)-1] != n {
			out = append(out, n)
		}
	}
	return out
}

func TestResponseStreamEventOrder(t *testing.T) {
	a := startAPI(t, nil)
	s := a.openStream("/v1/responses", map[string]any{"input": "one two three", "stream": true})
	if s.resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d: %s", s.resp.StatusCode, s.body())
	}

	events := s.rest()
	names := eventTypes(t, events)
	want := []string{
		"response.created", "response.in_progress", "response.output_item.added",
		"response.content_part.added", "response.output_text.delta", "response.output_text.done",
		"response.content_part.done", "response.output_item.done", "response.completed",
	}
	if got := collapse(names); !reflect.DeepEqual(got, want) {
		t.Fatalf("events = %v, want %v", got, want)
	}

	deltas := ""
	for _, ev := range events {
		if ev.name == "response.output_text.delta" {
			d, _ := ev.json(t)["delta"].(string)
			deltas += d
		}
	}
	final, _ := events[len(events)-1].json(t)["response"].(map[string]any)
	if text := outputText(final); text != "turn 1: one two three" || deltas != text {
		t.Errorf("deltas %q, final text %q", deltas, text)
	}
	if final["status"] != "completed" {
		t.Errorf("final status = %v", final["status"])
	}

	created, _ := events[0].json(t)["response"].(map[string]any)
	if created["status"] != "in_progress" || created["id"] != final["id"] {
		t.Errorf("created = %v %v, final id %v", created["status"], created["id"], final["id"])
	}
	id, _ := final["id"].(string)
	got := a.call(http.MethodGet, "/v1/responses/"+id, nil).json(t)
	if outputText(got) != outputText(final) || got["status"] != "completed" {
		t.Errorf("GET = %v %q, want the streamed response", got["status"], outputText(got))
	}
}

var responsesTools = []any{map[string]any{
	"type": "function", "name": "get_weather", "description": "Current weather of a city",
	"parameters": map[string]any{
		"type":       "object",
		"properties": map[string]any{"city": map[string]any{"type": "string"}},
	},
}}

// toolThenText responds to the first request with a call of get_weather and
// every later one with text.
func toolThenText(up **fakeUpstream) upstreamHandler {
	return func(w http.ResponseWriter, r *http.Request, call *upstreamCall) {
		if (*up).count() == 1 {
			toolCallAnswer(w, r, call)
			return
		}
		textAnswer("It is ", "18C")(w, r, call)
	}
}

// functionCall returns the one function_call item of a response.
func functionCall(t *testing.T, resp map[string]any) map[string]any {
	t.Helper()
	items, _ := resp["output"].([]any)
	var calls []map[string]any
	for _, it := range items {
		if item, _ := it.(map[string]any); item["type"] == "function_call" {
			calls = append(calls, item)
		}
	}
	if len(calls) != 1 {
		t.Fatalf("output = %v, want one function_call item", resp["output"])
	}
	return calls[0]
}

func TestResponseFunctionCallChain(t *testing.T) {
	for _, stream := range []bool{false, true} {
		var up *fakeUpstream
		up = newUpstream(t, toolThenText(&up))
		a := startAPI(t, useUpstream(up))
		body := map[string]any{"input": "weather in Lyon?", "tools": responsesTools, "stream": stream}
		var first map[string]any
		if stream {
			s := a.openStream("/v1/responses", body)
			events := s.rest()
			names := collapse(eventTypes(t, events))
			want := []string{
				"response.created", "response.in_progress", "response.output_item.added",
				"response.function_call_arguments.delta", "response.function_call_arguments.done",
				"response.output_item.done", "response.completed",
			}
			if !reflect.DeepEqual(names, want) {
				t.Errorf("events = %v, want %v", names, want)
			}
			first, _ = events[len(events)-1].json(t)["response"].(map[string]any)
		} else {
			r := a.call(http.MethodPost, "/v1/responses", body)
			if r.status != http.StatusOK {
				t.Fatalf("status = %d: %s", r.status, r.body)
			}
			first = r.json(t)
		}
		call := functionCall(t, first)
		if call["call_id"] != "call_xyz" || call["name"] != "get_weather" ||
			call["arguments"] != `{"city":"Lyon"}` || call["status"] != "completed" {
			t.Errorf("stream=%v: function_call = %v", stream, call)
		}
		tools, _ := up.call(0).body["tools"].([]any)
		if tool, _ := tools[0].(map[string]any); len(tools) != 1 || tool["type"] != "function" ||
			tool["function"].(map[string]any)["name"] != "get_weather" {
			t.Errorf("upstream tools = %v, want the chat shape", up.call(0).body["tools"])
		}

		id, _ := first["id"].(string)
		r := a.call(http.MethodPost, "/v1/responses", map[string]any{
			"previous_response_id": id,
			"input": []any{map[string]any{
				"type": "function_call_output", "call_id": "call_xyz", "output": "18C and sunny",
			}},
		})
		if r.status != http.StatusOK {
			t.Fatalf("stream=%v: follow-up: %d %s", stream, r.status, r.body)
		}
		if text := outputText(r.json(t)); text != "It is 18C" {
			t.Errorf("stream=%v: follow-up text = %q", stream, text)
		}
		msgs := up.call(1).messages()
		if len(msgs) != 3 {
			t.Fatalf("stream=%v: upstream history = %v", stream, msgs)
		}
		calls, _ := msgs[1]["tool_calls"].([]any)
		tc, _ := calls[0].(map[string]any)
		if msgs[1]["role"] != "assistant" || len(calls) != 1 || tc["id"] != "call_xyz" {
			t.Errorf("stream=%v: assistant turn = %v", stream, msgs[1])
		}
		if msgs[2]["role"] != "tool" || msgs[2]["tool_call_id"] != "call_xyz" ||
			msgs[2]["content"] != "18C and sunny" {
			t.Errorf("stream=%v: tool turn = %v", stream, msgs[2])
		}
	}
}

func TestResponseInputForms(t *testing.T) {
	a := startAPI(t, nil)
	cases := []struct {
		name  string
		input any
		want  string
	}{
		{"string", "plain", "turn 1: plain"},
		{"message with string content", []any{
			map[string]any{"role": "user", "content": "as message"},
		}, "turn 1: as message"},
		{"typed message with parts", []any{map[string]any{
			"type": "message", "role": "user", "content": []any{
				map[string]any{"type": "input_text", "text": "first part"},
				map[string]any{"type": "input_text", "text": "second part"},
			},
		}}, "turn 1: first partsecond part"},
		{"several turns", []any{
			map[string]any{"role": "user", "content": "one"},
			map[string]any{"role": "assistant", "content": []any{
				map[string]any{"type": "output_text", "text": "reply"},
			}},
			map[string]any{"role": "user", "content": "two"},
		}, "turn 2: two"},
	}
	for _, c := range cases {
		_, text := a.respond(map[string]any{"input": c.input})
		if text != c.want {
			t.Errorf("%s: text = %q, want %q", c.name, text, c.want)
		}
	}
	bad := a.call(http.MethodPost, "/v1/responses", map[string]any{"input": []any{
		map[string]any{"role": "user", "content": []any{map[string]any{"type": "input_audio"}}},
	}})
	if bad.status != http.StatusBadRequest {
		t.Fatalf("unknown part type: status = %d", bad.status)
	}
	if p := bad.errorField(t, "param"); p != "input[0].content[0].type" {
		t.Errorf("param = %v", p)
	}
}
