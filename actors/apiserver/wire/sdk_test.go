package wire

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"

	"github.com/actorgate/actorgate/messages"
)

// These tests run the official Go SDK against a small server on 127.0.0.1
// built from this package alone: it decodes what the SDK sends with the
// decoders and answers with the encoders. The SDK parsing every byte, and
// the decoders accepting every body the SDK builds, is what they check.

// script is what the test server answers with.
type script struct {
	deltas []*messages.AgentDelta
	reply  *messages.AgentReply
}

// sdkServer is the test server plus the requests it decoded.
type sdkServer struct {
	*httptest.Server
	script   script
	chat     chan *ChatRequest
	response chan *ResponsesRequest
}

func newSDKServer(t *testing.T, sc script) *sdkServer {
	t.Helper()
	s := &sdkServer{
		script:   sc,
		chat:     make(chan *ChatRequest, 1),
		response: make(chan *ResponsesRequest, 1),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.handleChat)
	mux.HandleFunc("POST /v1/responses", s.handleResponses)
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(AppendModelList(nil, []string{"actorgate", "other"}, testCreated, "me"))
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		WriteError(w, InvalidRequest("", "", "reading body: %v", err))
		return nil, false
	}
	return body, true
}

func (s *sdkServer) handleChat(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	req, e := DecodeChatRequest(body)
	if e != nil {
		WriteError(w, e)
		return
	}
	s.chat <- req
	id := NewChatCompletionID()
	reply := s.script.reply
	if !req.Stream {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(AppendChatCompletion(nil, id, testCreated, req.Model, reply))
		return
	}

	sse := NewSSEWriter(w)
	var buf []byte
	buf = AppendChatChunkRole(buf[:0], id, testCreated, req.Model)
	_ = sse.Data(buf)
	for _, d := range s.script.deltas {
		buf = AppendChatChunkDelta(buf[:0], id, testCreated, req.Model, d)
		_ = sse.Data(buf)
	}
	buf = AppendChatChunkFinish(buf[:0], id, testCreated, req.Model, finishReason(reply))
	_ = sse.Data(buf)
	if req.IncludeUsage {
		buf = AppendChatChunkUsage(buf[:0], id, testCreated, req.Model, reply.Usage)
		_ = sse.Data(buf)
	}
	_ = sse.Done()
}

func (s *sdkServer) handleResponses(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	req, e := DecodeResponsesRequest(body)
	if e != nil {
		WriteError(w, e)
		return
	}
	s.response <- req
	params := req.ResponseParams(NewResponseID(NewThreadKey()), req.Model, testCreated)
	if !req.Stream {
		params.Reply = s.script.reply
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(NewResponseObject(params).AppendJSON(nil))
		return
	}

	sse := NewSSEWriter(w)
	stream := NewResponseStream(NewResponseObject(params))
	_ = stream.Start(sse)
	for _, d := range s.script.deltas {
		_ = stream.Delta(sse, d)
	}
	_ = stream.Finish(sse, s.script.reply)
}

func clientOptions(s *sdkServer) []option.RequestOption {
	return []option.RequestOption{
		option.WithBaseURL(s.URL + "/v1/"),
		option.WithAPIKey("sk-test-0123456789"),
		option.WithHTTPClient(s.Client()),
		option.WithMaxRetries(0),
	}
}

func toolScript() script {
	return script{
		deltas: []*messages.AgentDelta{
			{Text: "Checking "},
			{Text: "now."},
			{ToolCalls: []messages.ToolCallDelta{{
				Index: 0, ID: "call_w", Type: "function",
				Name: "get_weather", Arguments: `{"city":`,
			}}},
			{ToolCalls: []messages.ToolCallDelta{{Index: 0, Arguments: `"Oslo"}`}}},
		},
		reply: &messages.AgentReply{
			Text: "Checking now.",
			ToolCalls: []messages.ToolCall{{
				ID: "call_w", Type: "function", Name: "get_weather",
				Arguments: `{"city":"Oslo"}`,
			}},
			FinishReason: messages.FinishToolCalls,
			Usage:        messages.Usage{PromptTokens: 11, CompletionTokens: 7, TotalTokens: 18},
		},
	}
}

func chatParams() openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model: "actorgate",
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.SystemMessage("be brief"),
			openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
				openai.TextContentPart("what is this?"),
				openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{
					URL: "data:image/png;base64,iVBORw0KGgo=", Detail: "low",
				}),
			}),
			openai.AssistantMessage("a picture"),
			openai.UserMessage("weather?"),
		},
		Tools: []openai.ChatCompletionToolUnionParam{
			openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
				Name:        "get_weather",
				Description: openai.String("weather by city"),
				Parameters: shared.FunctionParameters{
					"type":       "object",
					"properties": map[string]any{"city": map[string]any{"type": "string"}},
				},
			}),
		},
		Temperature: openai.Float(0.2),
		Seed:        openai.Int(7),
	}
}

func TestSDKChatCompletion(t *testing.T) {
	srv := newSDKServer(t, toolScript())
	svc := openai.NewChatCompletionService(clientOptions(srv)...)
	got, err := svc.New(context.Background(), chatParams())
	if err != nil {
		t.Fatalf("SDK call failed: %v", err)
	}
	req := <-srv.chat
	checkSDKChatRequest(t, req)

	if got.Object != "chat.completion" || !strings.HasPrefix(got.ID, ChatCompletionIDPrefix) {
		t.Errorf("object %q id %q", got.Object, got.ID)
	}
	if got.Model != "actorgate" || got.Created != testCreated {
		t.Errorf("model %q created %d", got.Model, got.Created)
	}
	if len(got.Choices) != 1 {
		t.Fatalf("choices = %d", len(got.Choices))
	}
	msg := got.Choices[0].Message
	if msg.Content != "Checking now." || got.Choices[0].FinishReason != "tool_calls" {
		t.Errorf("content %q finish %q", msg.Content, got.Choices[0].FinishReason)
	}
	if len(msg.ToolCalls) != 1 {
		t.Fatalf("tool calls = %d", len(msg.ToolCalls))
	}
	fn := msg.ToolCalls[0].Function
	if msg.ToolCalls[0].ID != "call_w" || fn.Name != "get_weather" ||
		fn.Arguments != `{"city":"Oslo"}` {
		t.Errorf("tool call = %+v", msg.ToolCalls[0])
	}
	if got.Usage.PromptTokens != 11 || got.Usage.CompletionTokens != 7 ||
		got.Usage.TotalTokens != 18 {
		t.Errorf("usage = %+v", got.Usage)
	}
}

func checkSDKChatRequest(t *testing.T, req *ChatRequest) {
	t.Helper()
	if req.Model != "actorgate" || len(req.Messages) != 4 {
		t.Fatalf("decoded model %q with %d messages", req.Model, len(req.Messages))
	}
	img := req.Messages[1].Parts
	if len(img) != 2 || img[1].ImageURL != "data:image/png;base64,iVBORw0KGgo=" ||
		img[1].Detail != "low" {
		t.Errorf("image message = %+v", req.Messages[1])
	}
	if !strings.Contains(string(req.Tools), `"get_weather"`) {
		t.Errorf("tools = %s", req.Tools)
	}
	if string(req.Options["temperature"]) != "0.2" || string(req.Options["seed"]) != "7" {
		t.Errorf("options = %v", req.Options)
	}
}

func TestSDKChatStreamAccumulator(t *testing.T) {
	srv := newSDKServer(t, toolScript())
	svc := openai.NewChatCompletionService(clientOptions(srv)...)
	params := chatParams()
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{
		IncludeUsage: openai.Bool(true),
	}
	stream := svc.NewStreaming(context.Background(), params)
	acc := openai.ChatCompletionAccumulator{}
	chunks := 0
	for stream.Next() {
		if !acc.AddChunk(stream.Current()) {
			t.Fatalf("accumulator rejected chunk %d: %s", chunks, stream.Current().RawJSON())
		}
		chunks++
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream error: %v", err)
	}
	_ = stream.Close()
	if req := <-srv.chat; !req.Stream || !req.IncludeUsage {
		t.Errorf("decoded stream %v include_usage %v", req.Stream, req.IncludeUsage)
	}

	// role, 4 deltas, finish, usage
	if chunks != 7 {
		t.Errorf("chunks = %d, want 7", chunks)
	}
	if len(acc.Choices) != 1 {
		t.Fatalf("accumulated choices = %d", len(acc.Choices))
	}
	msg := acc.Choices[0].Message
	if msg.Content != "Checking now." {
		t.Errorf("accumulated content = %q", msg.Content)
	}
	if len(msg.ToolCalls) != 1 || msg.ToolCalls[0].Function.Arguments != `{"city":"Oslo"}` ||
		msg.ToolCalls[0].Function.Name != "get_weather" || msg.ToolCalls[0].ID != "call_w" {
		t.Errorf("accumulated tool calls = %+v", msg.ToolCalls)
	}
	if acc.Choices[0].FinishReason != "tool_calls" {
		t.Errorf("finish reason = %q", acc.Choices[0].FinishReason)
	}
	if acc.Usage.TotalTokens != 18 || acc.Usage.PromptTokens != 11 {
		t.Errorf("accumulated usage = %+v", acc.Usage)
	}
}

func TestSDKModelList(t *testing.T) {
	srv := newSDKServer(t, script{})
	svc := openai.NewModelService(clientOptions(srv)...)
	page, err := svc.List(context.Background())
	if err != nil {
		t.Fatalf("list models: %v", err)
	}
	if len(page.Data) != 2 || page.Data[0].ID != "actorgate" || page.Data[0].OwnedBy != "me" ||
		page.Data[0].Created != testCreated || page.Data[0].Object != "model" {
		t.Errorf("models = %+v", page.Data)
	}
}

func TestSDKErrorEnvelope(t *testing.T) {
	srv := newSDKServer(t, script{})
	svc := openai.NewChatCompletionService(clientOptions(srv)...)
	params := chatParams()
	params.N = openai.Int(3)
	_, err := svc.New(context.Background(), params)
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("error = %v, want *openai.Error", err)
	}
	if apiErr.StatusCode != http.StatusBadRequest || apiErr.Param != "n" ||
		apiErr.Code != CodeUnsupported || apiErr.Type != TypeInvalidRequest ||
		!strings.Contains(apiErr.Message, "n must be 1") {
		t.Errorf("API error = status %d param %q code %q type %q message %q",
			apiErr.StatusCode, apiErr.Param, apiErr.Code, apiErr.Type, apiErr.Message)
	}
}

func responsesParams() responses.ResponseNewParams {
	return responses.ResponseNewParams{
		Model:        "actorgate",
		Instructions: openai.String("be brief"),
		Input: responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{
			responses.ResponseInputItemParamOfMessage("weather in Oslo?",
				responses.EasyInputMessageRoleUser),
		}},
		Tools: []responses.ToolUnionParam{
			responses.ToolParamOfFunction("get_weather", map[string]any{
				"type":       "object",
				"properties": map[string]any{"city": map[string]any{"type": "string"}},
			}, false),
		},
		ToolChoice: responses.ResponseNewParamsToolChoiceUnion{
			OfFunctionTool: &responses.ToolChoiceFunctionParam{Name: "get_weather"},
		},
		MaxOutputTokens: openai.Int(50),
		Conversation: responses.ResponseNewParamsConversationUnion{
			OfConversationObject: &responses.ResponseConversationParam{ID: "trip"},
		},
	}
}

func TestSDKResponsesCreate(t *testing.T) {
	srv := newSDKServer(t, toolScript())
	svc := responses.NewResponseService(clientOptions(srv)...)
	resp, err := svc.New(context.Background(), responsesParams())
	if err != nil {
		t.Fatalf("SDK call failed: %v", err)
	}
	req := <-srv.response
	if req.Conversation != "trip" || req.Instructions != "be brief" ||
		string(req.Options["max_tokens"]) != "50" {
		t.Errorf("decoded request = %+v", req)
	}
	if string(req.ToolChoice) != `{"type":"function","function":{"name":"get_weather"}}` {
		t.Errorf("converted tool_choice = %s", req.ToolChoice)
	}
	checkSDKResponse(t, resp)

	// Replaying the output as input is how SDK users continue by hand.
	// ToParam sends the item's raw JSON, so its Go fields stay empty.
	next := responsesParams()
	next.Conversation = responses.ResponseNewParamsConversationUnion{}
	msg := resp.Output[0].AsMessage().ToParam()
	call := resp.Output[1].AsFunctionCall().ToParam()
	output := responses.ResponseInputItemParamOfFunctionCallOutput(`{"temp":3}`)
	output.OfFunctionCallOutput.CallID = param.NewOpt(resp.Output[1].AsFunctionCall().CallID)
	next.Input.OfInputItemList = append(next.Input.OfInputItemList,
		responses.ResponseInputItemUnionParam{OfOutputMessage: &msg},
		responses.ResponseInputItemUnionParam{OfFunctionCall: &call},
		output,
	)
	next.PreviousResponseID = param.NewOpt(resp.ID)
	if _, err := svc.New(context.Background(), next); err != nil {
		t.Fatalf("replaying the output failed: %v", err)
	}
	replayed := <-srv.response
	want := []messages.ChatMessage{
		{Role: "user", Content: "weather in Oslo?"},
		{Role: "assistant", Content: "Checking now.", ToolCalls: []messages.ToolCall{
			{ID: "call_w", Type: "function", Name: "get_weather", Arguments: `{"city":"Oslo"}`},
		}},
		{Role: "tool", ToolCallID: "call_w", Content: `{"temp":3}`},
	}
	assertMessages(t, replayed.Input, want)
	if replayed.PreviousResponseID != resp.ID {
		t.Errorf("previous_response_id = %q", replayed.PreviousResponseID)
	}
}

func checkSDKResponse(t *testing.T, resp *responses.Response) {
	t.Helper()
	if _, ok := ParseResponseID(resp.ID); !ok {
		t.Errorf("response id %q does not parse", resp.ID)
	}
	if resp.Status != "completed" || resp.Object != "response" || resp.CreatedAt != testCreated {
		t.Errorf("status %q object %q created %v", resp.Status, resp.Object, resp.CreatedAt)
	}
	if resp.OutputText() != "Checking now." {
		t.Errorf("OutputText = %q", resp.OutputText())
	}
	if resp.Conversation.ID != "trip" || resp.Instructions.OfString != "be brief" {
		t.Errorf("conversation %q instructions %+v", resp.Conversation.ID, resp.Instructions)
	}
	if len(resp.Output) != 2 {
		t.Fatalf("output items = %d, want 2", len(resp.Output))
	}
	call := resp.Output[1].AsFunctionCall()
	if call.CallID != "call_w" || call.Name != "get_weather" ||
		call.Arguments != `{"city":"Oslo"}` || call.Status != "completed" {
		t.Errorf("function call = %+v", call)
	}
	if resp.Usage.InputTokens != 11 || resp.Usage.OutputTokens != 7 ||
		resp.Usage.TotalTokens != 18 {
		t.Errorf("usage = %+v", resp.Usage)
	}
	if len(resp.Tools) != 1 || resp.Tools[0].Name != "get_weather" {
		t.Errorf("echoed tools = %+v", resp.Tools)
	}
}

func TestSDKResponsesStream(t *testing.T) {
	srv := newSDKServer(t, toolScript())
	svc := responses.NewResponseService(clientOptions(srv)...)
	stream := svc.NewStreaming(context.Background(), responsesParams())
	var (
		types     []string
		text      string
		arguments string
		final     responses.Response
		seq       int64
	)
	for stream.Next() {
		ev := stream.Current()
		if ev.SequenceNumber != seq {
			t.Errorf("event %s: sequence_number %d, want %d", ev.Type, ev.SequenceNumber, seq)
		}
		seq++
		types = append(types, ev.Type)
		switch ev.Type {
		case "response.output_text.delta":
			text += ev.AsResponseOutputTextDelta().Delta
		case "response.function_call_arguments.delta":
			arguments += ev.AsResponseFunctionCallArgumentsDelta().Delta
		case "response.output_item.added":
			if item := ev.AsResponseOutputItemAdded().Item; item.ID == "" || item.Type == "" {
				t.Errorf("output_item.added without an item: %s", ev.RawJSON())
			}
		case "response.completed":
			final = ev.AsResponseCompleted().Response
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream error: %v", err)
	}
	_ = stream.Close()
	if req := <-srv.response; !req.Stream {
		t.Error("decoded stream = false")
	}

	if text != "Checking now." || arguments != `{"city":"Oslo"}` {
		t.Errorf("deltas add up to %q and %q", text, arguments)
	}
	if len(types) == 0 || types[0] != "response.created" ||
		types[len(types)-1] != "response.completed" {
		t.Errorf("event types = %v", types)
	}
	checkSDKResponse(t, &final)
}

func TestSDKResponsesFailedStream(t *testing.T) {
	srv := newSDKServer(t, script{
		deltas: []*messages.AgentDelta{{Text: "par"}},
		reply: &messages.AgentReply{Text: "par", Err: &messages.AgentError{
			Code: "upstream_error", Message: "upstream returned 500",
		}},
	})
	svc := responses.NewResponseService(clientOptions(srv)...)
	stream := svc.NewStreaming(context.Background(), responses.ResponseNewParams{
		Model: "actorgate",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("hi")},
	})
	var failed *responses.Response
	for stream.Next() {
		if ev := stream.Current(); ev.Type == "response.failed" {
			r := ev.AsResponseFailed().Response
			failed = &r
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream error: %v", err)
	}
	_ = stream.Close()
	<-srv.response
	if failed == nil {
		t.Fatal("no response.failed event")
	}
	if failed.Status != "failed" || failed.Error.Code != "upstream_error" ||
		failed.Error.Message != "upstream returned 500" || failed.OutputText() != "par" {
		t.Errorf("failed response = status %q error %+v text %q", failed.Status, failed.Error,
			failed.OutputText())
	}
}

func TestSDKResponseObjectsUnmarshal(t *testing.T) {
	for _, tc := range responseCases() {
		t.Run(tc.name, func(t *testing.T) {
			obj := NewResponseObject(tc.params)
			var resp responses.Response
			mustUnmarshal(t, obj.AppendJSON(nil), &resp)
			if resp.ID != obj.ID || string(resp.Status) != obj.Status {
				t.Errorf("id %q status %q", resp.ID, resp.Status)
			}
			if resp.OutputText() != obj.OutputText() {
				t.Errorf("OutputText = %q, want %q", resp.OutputText(), obj.OutputText())
			}
			if obj.Error != nil && string(resp.Error.Code) != obj.Error.Code {
				t.Errorf("error code = %q", resp.Error.Code)
			}
			if resp.IncompleteDetails.Reason != obj.IncompleteReason {
				t.Errorf("incomplete reason = %q", resp.IncompleteDetails.Reason)
			}
			if resp.PreviousResponseID != obj.PreviousResponseID {
				t.Errorf("previous_response_id = %q", resp.PreviousResponseID)
			}
		})
	}
}
