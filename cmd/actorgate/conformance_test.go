package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"
)

// The tests in this file drive the real binary with the official Go SDK,
// github.com/openai/openai-go/v3, and check that what it parses from a
// stream equals what it parses from the whole response.

// apiError returns the SDK's error for err, failing the test when err is
// not an API error with the given status.
func apiError(t *testing.T, err error, status int) *openai.Error {
	t.Helper()
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want an API error with status %d", err, status)
	}
	if apiErr.StatusCode != status {
		t.Fatalf("status = %d, want %d: %s", apiErr.StatusCode, status, apiErr.RawJSON())
	}
	return apiErr
}

// streamedChat accumulates a streamed chat completion with the SDK's
// ChatCompletionAccumulator and returns it with the finished content and
// tool calls it reported.
func streamedChat(t *testing.T, stream *ssestream.Stream[openai.ChatCompletionChunk]) (
	openai.ChatCompletionAccumulator, []string, []openai.FinishedChatCompletionToolCall,
) {
	t.Helper()
	var acc openai.ChatCompletionAccumulator
	var contents []string
	var calls []openai.FinishedChatCompletionToolCall
	id := ""
	for stream.Next() {
		chunk := stream.Current()
		if id == "" {
			id = chunk.ID
		}
		if chunk.ID != id {
			t.Errorf("chunk id %q differs from the first chunk's %q", chunk.ID, id)
		}
		if !acc.AddChunk(chunk) {
			t.Fatalf("the accumulator rejected chunk %s", chunk.RawJSON())
		}
		if content, ok := acc.JustFinishedContent(); ok {
			contents = append(contents, content)
		}
		if call, ok := acc.JustFinishedToolCall(); ok {
			calls = append(calls, call)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	return acc, contents, calls
}

// streamedResponse reads a Responses API stream, checks that
// sequence_number runs 0, 1, 2, ..., feeds every event to the SDK's
// ResponseAccumulator and returns it with the event types. It checks that
// the text accumulated before the terminal event equals the final text.
func streamedResponse(t *testing.T, stream *ssestream.Stream[responses.ResponseStreamEventUnion]) (
	*responses.ResponseAccumulator, []string,
) {
	t.Helper()
	acc := &responses.ResponseAccumulator{}
	var types []string
	before := ""
	for stream.Next() {
		ev := stream.Current()
		if ev.SequenceNumber != int64(len(types)) {
			t.Errorf("event %s: sequence_number = %d, want %d", ev.Type, ev.SequenceNumber, len(types))
		}
		types = append(types, ev.Type)
		switch ev.Type {
		case "response.completed", "response.failed", "response.incomplete":
			before = acc.Snapshot().OutputText()
		}
		var server responses.ResponsesServerEventUnion
		if err := json.Unmarshal([]byte(ev.RawJSON()), &server); err != nil {
			t.Fatalf("event %s: %v", ev.Type, err)
		}
		if err := acc.AddEvent(server); err != nil {
			t.Fatalf("the accumulator rejected event %s: %v\n%s", ev.Type, err, ev.RawJSON())
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if after := acc.Snapshot().OutputText(); before != after {
		t.Errorf("text from the deltas %q differs from the final text %q", before, after)
	}
	return acc, types
}

// sameJSON compares two JSON documents by value.
func sameJSON(t *testing.T, a, b string) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal([]byte(a), &va); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, a)
	}
	if err := json.Unmarshal([]byte(b), &vb); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return reflect.DeepEqual(va, vb)
}

func TestSDKConformance(t *testing.T) {
	p := startGateway(t, map[string]string{
		"API_SERVER_MODEL_NAME":   "house-model",
		"API_SERVER_CORS_ORIGINS": "http://app.test",
	})
	ctx := context.Background()
	client := p.client()

	t.Run("models", func(t *testing.T) {
		page, err := client.Models.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Data) != 1 || page.Data[0].ID != "house-model" {
			t.Fatalf("models = %+v", page.Data)
		}
		m, err := client.Models.Get(ctx, "house-model")
		if err != nil || m.ID != "house-model" || m.Object != "model" {
			t.Errorf("get model = %+v, %v", m, err)
		}
		_, err = client.Models.Get(ctx, "missing")
		if e := apiError(t, err, http.StatusNotFound); e.Code != "model_not_found" {
			t.Errorf("code = %q", e.Code)
		}
	})

	t.Run("chat", func(t *testing.T) {
		params := openai.ChatCompletionNewParams{
			Model:    "house-model",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("count the words")},
		}
		whole, err := client.Chat.Completions.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		acc, contents, _ := streamedChat(t, client.Chat.Completions.NewStreaming(ctx, params))
		if got, want := acc.Choices[0].Message.Content, whole.Choices[0].Message.Content; got != want {
			t.Errorf("streamed text = %q, want %q", got, want)
		}
		if want := []string{whole.Choices[0].Message.Content}; !reflect.DeepEqual(contents, want) {
			t.Errorf("finished contents = %q, want %q", contents, want)
		}
		if acc.Usage.PromptTokens != whole.Usage.PromptTokens ||
			acc.Usage.CompletionTokens != whole.Usage.CompletionTokens ||
			acc.Usage.TotalTokens != whole.Usage.TotalTokens || whole.Usage.TotalTokens == 0 {
			t.Errorf("streamed usage = %+v, want %+v", acc.Usage, whole.Usage)
		}
		if acc.Choices[0].FinishReason != "stop" || whole.Choices[0].FinishReason != "stop" {
			t.Errorf("finish reasons = %q, %q", acc.Choices[0].FinishReason,
				whole.Choices[0].FinishReason)
		}
	})

	t.Run("chat errors", func(t *testing.T) {
		_, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "m"})
		if e := apiError(t, err, http.StatusBadRequest); e.Param != "messages" {
			t.Errorf("param = %q, want messages", e.Param)
		}
		_, err = client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model: "m", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")},
			Temperature: openai.Float(7),
		})
		if e := apiError(t, err, http.StatusBadRequest); e.Param != "temperature" ||
			e.Code != "decimal_above_max_value" {
			t.Errorf("temperature 7: param %q code %q, want temperature, decimal_above_max_value",
				e.Param, e.Code)
		}
		bad := p.client(option.WithAPIKey("not-the-key-at-all"))
		_, err = bad.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model: "m", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")},
		})
		if e := apiError(t, err, http.StatusUnauthorized); e.Code != "invalid_api_key" {
			t.Errorf("code = %q", e.Code)
		}
	})

	t.Run("responses", func(t *testing.T) {
		params := responses.ResponseNewParams{
			Model: "house-model",
			Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("stream this")},
		}
		whole, err := client.Responses.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		acc, types := streamedResponse(t, client.Responses.NewStreaming(ctx, params))
		if types[0] != "response.created" || types[len(types)-1] != "response.completed" {
			t.Errorf("events = %v", types)
		}
		streamed, err := acc.ReconstructedResponse()
		if err != nil {
			t.Fatal(err)
		}
		if streamed.OutputText() != whole.OutputText() || streamed.Status != "completed" {
			t.Errorf("streamed = %q %s, want %q completed", streamed.OutputText(), streamed.Status,
				whole.OutputText())
		}
		if streamed.Usage.InputTokens != whole.Usage.InputTokens ||
			streamed.Usage.OutputTokens != whole.Usage.OutputTokens {
			t.Errorf("streamed usage = %+v, want %+v", streamed.Usage, whole.Usage)
		}
		got, err := client.Responses.Get(ctx, streamed.ID, responses.ResponseGetParams{})
		if err != nil {
			t.Fatal(err)
		}
		if !sameJSON(t, got.RawJSON(), streamed.RawJSON()) {
			t.Errorf("GET of the streamed id differs from the stream's final response:\n%s\n%s",
				got.RawJSON(), streamed.RawJSON())
		}

		next, err := client.Responses.New(ctx, responses.ResponseNewParams{
			Model:              "house-model",
			Input:              responses.ResponseNewParamsInputUnion{OfString: openai.String("more")},
			PreviousResponseID: openai.String(streamed.ID),
		})
		if err != nil {
			t.Fatal(err)
		}
		if next.OutputText() != "turn 2: more" || next.PreviousResponseID != streamed.ID {
			t.Errorf("chained = %q after %q", next.OutputText(), next.PreviousResponseID)
		}
		if err := client.Responses.Delete(ctx, next.ID); err != nil {
			t.Fatal(err)
		}
		_, err = client.Responses.Get(ctx, next.ID, responses.ResponseGetParams{})
		if e := apiError(t, err, http.StatusNotFound); e.Param != "response_id" {
			t.Errorf("param = %q", e.Param)
		}
		_, err = client.Responses.New(ctx, responses.ResponseNewParams{
			Model:              "house-model",
			Input:              responses.ResponseNewParamsInputUnion{OfString: openai.String("x")},
			PreviousResponseID: openai.String(next.ID),
		})
		if e := apiError(t, err, http.StatusNotFound); e.Param != "previous_response_id" {
			t.Errorf("param = %q", e.Param)
		}
	})

	t.Run("idempotency key", func(t *testing.T) {
		params := openai.ChatCompletionNewParams{
			Model:    "house-model",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("charge once")},
		}
		key := option.WithHeader("Idempotency-Key", "sdk-"+randomKey(t))
		var raw *http.Response
		first, err := client.Chat.Completions.New(ctx, params, key)
		if err != nil {
			t.Fatal(err)
		}
		again, err := client.Chat.Completions.New(ctx, params, key, option.WithResponseInto(&raw))
		if err != nil {
			t.Fatal(err)
		}
		if again.ID != first.ID || again.RawJSON() != first.RawJSON() {
			t.Errorf("replay = %s, want %s", again.RawJSON(), first.RawJSON())
		}
		if raw.Header.Get("Idempotency-Replayed") != "true" {
			t.Errorf("replay lacks Idempotency-Replayed: true")
		}
	})

	t.Run("cors", func(t *testing.T) {
		r, body := do(t, http.MethodGet, p.baseURL()+"/v1/models", p.key, nil,
			"Origin", "http://app.test")
		if r.StatusCode != 200 || r.Header.Get("Access-Control-Allow-Origin") != "http://app.test" {
			t.Errorf("listed origin: %d %q %s", r.StatusCode,
				r.Header.Get("Access-Control-Allow-Origin"), body)
		}
		r, body = do(t, http.MethodGet, p.baseURL()+"/health", "", nil, "Origin", "http://evil.test")
		var env struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		if err := json.Unmarshal(body, &env); err != nil || r.StatusCode != http.StatusForbidden ||
			env.Error.Code != "origin_not_allowed" {
			t.Errorf("unlisted origin: %d %s", r.StatusCode, body)
		}
	})

	t.Run("health", func(t *testing.T) {
		if r, body := do(t, http.MethodGet, p.baseURL()+"/health", "", nil); r.StatusCode != 200 {
			t.Errorf("/health: %d %s", r.StatusCode, body)
		}
		r, body := do(t, http.MethodGet, p.baseURL()+"/health/detailed", p.key, nil)
		var detailed struct {
			Platforms []struct {
				Name  string `json:"name"`
				State string `json:"state"`
			} `json:"platforms"`
		}
		if err := json.Unmarshal(body, &detailed); err != nil || r.StatusCode != 200 {
			t.Fatalf("/health/detailed: %d %s", r.StatusCode, body)
		}
		if len(detailed.Platforms) == 0 || detailed.Platforms[0].Name != "api_server" ||
			detailed.Platforms[0].State != "connected" {
			t.Errorf("platforms = %+v", detailed.Platforms)
		}
		if r, _ := do(t, http.MethodGet, p.baseURL()+"/health/detailed", "", nil); r.StatusCode != 401 {
			t.Errorf("/health/detailed without a key: %d", r.StatusCode)
		}
	})
}

var weatherParams = map[string]any{
	"type":       "object",
	"properties": map[string]any{"city": map[string]any{"type": "string"}},
	"required":   []any{"city"},
}

func TestSDKToolCalls(t *testing.T) {
	up := newToolUpstream(t)
	p := startGateway(t, map[string]string{
		"AGENT_BACKEND": "openai", "AGENT_BASE_URL": up.URL + "/v1",
	})
	ctx := context.Background()
	client := p.client()

	t.Run("chat", func(t *testing.T) {
		params := openai.ChatCompletionNewParams{
			Model:    "actorgate",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("weather in Lyon?")},
			Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(
				shared.FunctionDefinitionParam{Name: "get_weather", Parameters: weatherParams},
			)},
		}
		whole, err := client.Chat.Completions.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		calls := whole.Choices[0].Message.ToolCalls
		if len(calls) != 1 || calls[0].ID != "call_xyz" || calls[0].Function.Name != "get_weather" ||
			calls[0].Function.Arguments != `{"city":"Lyon"}` {
			t.Fatalf("tool calls = %+v", calls)
		}
		if whole.Choices[0].FinishReason != "tool_calls" {
			t.Errorf("finish reason = %q", whole.Choices[0].FinishReason)
		}
		acc, _, finished := streamedChat(t, client.Chat.Completions.NewStreaming(ctx, params))
		if len(finished) != 1 || finished[0].ID != "call_xyz" || finished[0].Name != "get_weather" ||
			finished[0].Arguments != `{"city":"Lyon"}` {
			t.Errorf("finished tool calls = %+v", finished)
		}
		if got := acc.Choices[0].Message.ToolCalls; len(got) != 1 || got[0].ID != calls[0].ID ||
			got[0].Function.Arguments != calls[0].Function.Arguments {
			t.Errorf("streamed tool calls = %+v", got)
		}
		if acc.Choices[0].FinishReason != "tool_calls" {
			t.Errorf("streamed finish reason = %q", acc.Choices[0].FinishReason)
		}

		params.Messages = append(params.Messages, whole.Choices[0].Message.ToParam(),
			openai.ToolMessage("18C and sunny", calls[0].ID))
		answer, err := client.Chat.Completions.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		if answer.Choices[0].Message.Content != "It is 18C" {
			t.Errorf("answer = %q", answer.Choices[0].Message.Content)
		}
		last := up.last(t)
		if len(last.Messages) != 3 || last.Messages[1].ToolCalls[0].ID != "call_xyz" ||
			last.Messages[2].Role != "tool" || last.Messages[2].ToolCallID != "call_xyz" {
			t.Errorf("upstream messages = %+v", last.Messages)
		}
		if len(last.Tools) != 1 || last.Tools[0].Function.Name != "get_weather" {
			t.Errorf("upstream tools = %+v", last.Tools)
		}
	})

	t.Run("responses", func(t *testing.T) {
		params := responses.ResponseNewParams{
			Model: "actorgate",
			Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("weather in Lyon?")},
			Tools: []responses.ToolUnionParam{responses.ToolParamOfFunction("get_weather",
				weatherParams, false)},
		}
		whole, err := client.Responses.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		if len(whole.Output) != 1 || whole.Output[0].Type != "function_call" {
			t.Fatalf("output = %s", whole.RawJSON())
		}
		call := whole.Output[0].AsFunctionCall()
		if call.CallID != "call_xyz" || call.Name != "get_weather" ||
			call.Arguments != `{"city":"Lyon"}` {
			t.Errorf("function call = %+v", call)
		}

		acc, types := streamedResponse(t, client.Responses.NewStreaming(ctx, params))
		if !containsAll(types, "response.function_call_arguments.delta",
			"response.function_call_arguments.done", "response.completed") {
			t.Errorf("events = %v", types)
		}
		streamed, err := acc.ReconstructedResponse()
		if err != nil {
			t.Fatal(err)
		}
		scall := streamed.Output[0].AsFunctionCall()
		if scall.CallID != call.CallID || scall.Arguments != call.Arguments || scall.Name != call.Name {
			t.Errorf("streamed function call = %+v, want %+v", scall, call)
		}

		output := responses.ResponseInputItemParamOfFunctionCallOutput("18C and sunny")
		output.OfFunctionCallOutput.CallID = openai.String(scall.CallID)
		next, err := client.Responses.New(ctx, responses.ResponseNewParams{
			Model:              "actorgate",
			PreviousResponseID: openai.String(streamed.ID),
			Input: responses.ResponseNewParamsInputUnion{
				OfInputItemList: responses.ResponseInputParam{output},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if next.OutputText() != "It is 18C" {
			t.Errorf("follow-up text = %q", next.OutputText())
		}
		last := up.last(t)
		if len(last.Messages) != 3 || last.Messages[2].Role != "tool" ||
			last.Messages[2].ToolCallID != "call_xyz" {
			t.Errorf("upstream messages = %+v", last.Messages)
		}
	})
}

func containsAll(list []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, s := range list {
			found = found || s == w
		}
		if !found {
			return false
		}
	}
	return true
}
