package main

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
)

// exerciseAPI drives a running gateway through every endpoint with the
// official Go SDK. want returns the answer the agent gives to the user
// turns so far.
func exerciseAPI(t *testing.T, p *gatewayProcess, want func(turns []string) string) {
	t.Helper()
	ctx := context.Background()
	client := p.client()

	models, err := client.Models.List(ctx)
	if err != nil {
		t.Fatalf("models: %v", err)
	}
	if len(models.Data) == 0 || models.Data[0].ID == "" {
		t.Fatalf("models list is empty: %+v", models.Data)
	}
	model := models.Data[0].ID

	chat, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    model,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hello there")},
	})
	if err != nil {
		t.Fatalf("chat completion: %v", err)
	}
	if got, w := chat.Choices[0].Message.Content, want([]string{"hello there"}); got != w {
		t.Errorf("chat completion text = %q, want %q", got, w)
	}
	if chat.Choices[0].FinishReason != "stop" {
		t.Errorf("finish reason = %q, want stop", chat.Choices[0].FinishReason)
	}

	stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model:         model,
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hello there")},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("streamed chat completion: %v", err)
	}
	if got := acc.Choices[0].Message.Content; got != chat.Choices[0].Message.Content {
		t.Errorf("streamed text = %q, want %q", got, chat.Choices[0].Message.Content)
	}
	if acc.Usage.TotalTokens != chat.Usage.TotalTokens {
		t.Errorf("streamed usage total = %d, want %d", acc.Usage.TotalTokens, chat.Usage.TotalTokens)
	}

	first, err := client.Responses.New(ctx, responses.ResponseNewParams{
		Model: model,
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("first turn")},
	})
	if err != nil {
		t.Fatalf("response: %v", err)
	}
	if got, w := first.OutputText(), want([]string{"first turn"}); got != w {
		t.Errorf("response text = %q, want %q", got, w)
	}
	if first.Status != "completed" {
		t.Errorf("response status = %q, want completed", first.Status)
	}

	second, err := client.Responses.New(ctx, responses.ResponseNewParams{
		Model:              model,
		Input:              responses.ResponseNewParamsInputUnion{OfString: openai.String("second turn")},
		PreviousResponseID: openai.String(first.ID),
	})
	if err != nil {
		t.Fatalf("chained response: %v", err)
	}
	if got, w := second.OutputText(), want([]string{"first turn", "second turn"}); got != w {
		t.Errorf("chained response text = %q, want %q", got, w)
	}
	if second.PreviousResponseID != first.ID {
		t.Errorf("previous_response_id = %q, want %q", second.PreviousResponseID, first.ID)
	}
	if !strings.HasPrefix(second.ID, first.ID[:21]) {
		t.Errorf("chained id %q does not carry the thread key of %q", second.ID, first.ID)
	}

	got, err := client.Responses.Get(ctx, first.ID, responses.ResponseGetParams{})
	if err != nil {
		t.Fatalf("get response: %v", err)
	}
	if got.ID != first.ID || got.OutputText() != first.OutputText() {
		t.Errorf("get returned %q %q, want %q %q", got.ID, got.OutputText(), first.ID, first.OutputText())
	}
	if err := client.Responses.Delete(ctx, first.ID); err != nil {
		t.Fatalf("delete response: %v", err)
	}
	_, err = client.Responses.Get(ctx, first.ID, responses.ResponseGetParams{})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 {
		t.Errorf("get after delete: err = %v, want 404", err)
	}
}

func echoAnswer(turns []string) string {
	return "turn " + strconv.Itoa(len(turns)) + ": " + turns[len(turns)-1]
}

func TestEchoEndToEnd(t *testing.T) {
	p := startGateway(t, nil)
	exerciseAPI(t, p, echoAnswer)
}
