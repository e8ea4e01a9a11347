package agent

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
)

func TestEchoText(t *testing.T) {
	tests := []struct {
		name string
		req  messages.AgentRequest
		want string
	}{
		{"one turn", messages.AgentRequest{Messages: []messages.ChatMessage{
			{Role: "user", Content: "hello world"},
		}}, "turn 1: hello world"},
		{"counts user turns only", messages.AgentRequest{Messages: []messages.ChatMessage{
			{Role: "system", Content: "be nice"},
			{Role: "developer", Content: "rules"},
			{Role: "user", Content: "a"},
			{Role: "assistant", Content: "turn 1: a"},
			{Role: "user", Content: "b c"},
		}}, "turn 2: b c"},
		{"instructions change nothing", messages.AgentRequest{
			Instructions: "speak French",
			Messages:     []messages.ChatMessage{{Role: "user", Content: "hi"}},
		}, "turn 1: hi"},
		{"empty text", messages.AgentRequest{Messages: []messages.ChatMessage{
			{Role: "user", Content: ""},
		}}, "turn 1: (empty)"},
		{"blank text", messages.AgentRequest{Messages: []messages.ChatMessage{
			{Role: "user", Content: " \n "},
		}}, "turn 1: (empty)"},
		{"no messages", messages.AgentRequest{}, "turn 0: (empty)"},
		{"text parts joined", messages.AgentRequest{Messages: []messages.ChatMessage{
			{Role: "user", Content: "ignored", Parts: []messages.ContentPart{
				{Type: "text", Text: "look"},
				{Type: "image_url", ImageURL: "https://x/y.png"},
				{Type: "text", Text: "here"},
			}},
		}}, "turn 1: look here"},
		{"last user message after tool turns", messages.AgentRequest{Messages: []messages.ChatMessage{
			{Role: "user", Content: "first"}, {Role: "tool", Content: "42"},
		}}, "turn 1: first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply := NewEcho().Run(context.Background(), &tt.req, nil)

			if reply.Err != nil {
				t.Fatalf("Run failed: %v", reply.Err)
			}
			if reply.Text != tt.want {
				t.Errorf("text = %q, want %q", reply.Text, tt.want)
			}
			if reply.FinishReason != messages.FinishStop {
				t.Errorf("finish reason = %q, want stop", reply.FinishReason)
			}
		})
	}
}

func TestEchoStreamConcatenation(t *testing.T) {
	inputs := []string{"hello world", "  spaced\tout\n\nlines  ", "ünïcödé  wörds", "one"}
	for _, input := range inputs {
		t.Run(input, func(t *testing.T) {
			req := &messages.AgentRequest{
				RequestID: "r", Stream: true,
				Messages: []messages.ChatMessage{{Role: "user", Content: input}},
			}
			emit, deltas := collectDeltas()

			reply := NewEcho().Run(context.Background(), req, emit)

			if reply.Err != nil {
				t.Fatalf("Run failed: %v", reply.Err)
			}
			if got := joinText(*deltas); got != reply.Text {
				t.Errorf("deltas join to %q, want the text %q", got, reply.Text)
			}
			for i, d := range *deltas {
				if strings.TrimSpace(d.Text) == "" || strings.ContainsAny(strings.TrimSpace(d.Text), " \t\n") {
					t.Errorf("delta %d = %q, want one word and its trailing space", i, d.Text)
				}
				if d.RequestID != "r" {
					t.Errorf("delta %d request id = %q, want r", i, d.RequestID)
				}
			}
			if len(*deltas) != countWords(reply.Text) {
				t.Errorf("got %d deltas for %d words", len(*deltas), countWords(reply.Text))
			}
		})
	}
}

func TestEchoUsage(t *testing.T) {
	req := &messages.AgentRequest{
		Instructions: "be brief",
		Messages: []messages.ChatMessage{
			{Role: "system", Content: "three words here"},
			{Role: "user", Content: "hello  there\tfriend"},
			{Role: "user", Parts: []messages.ContentPart{
				{Type: "text", Text: "a b"},
				{Type: "image_url", ImageURL: "https://x/y.png"},
			}},
		},
	}

	reply := NewEcho().Run(context.Background(), req, nil)

	// "turn 2: a b" has four words; the prompt has 2 + 3 + 3 + 2.
	want := messages.Usage{PromptTokens: 10, CompletionTokens: 4, TotalTokens: 14}
	if reply.Usage != want {
		t.Errorf("usage = %+v, want %+v", reply.Usage, want)
	}
	if reply.Model != "echo" {
		t.Errorf("model = %q, want echo when the request names none", reply.Model)
	}
}

func TestEchoCancelled(t *testing.T) {
	req := &messages.AgentRequest{
		Stream: true, Model: "mine",
		Messages: []messages.ChatMessage{{Role: "user", Content: "one two three four"}},
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got []string
	emit := func(d agentDelta) {
		got = append(got, d.Text)
		if len(got) == 2 {
			cancel()
		}
	}

	reply := NewEcho().Run(ctx, req, emit)

	requireError(t, reply, CodeCancelled)
	if reply.Text != "turn 1: " {
		t.Errorf("text = %q, want the two words produced before the cancel", reply.Text)
	}
	if reply.FinishReason != messages.FinishError {
		t.Errorf("finish reason = %q, want error", reply.FinishReason)
	}
	if len(got) != 2 {
		t.Errorf("emitted %d deltas after the cancel, want 2 in all", len(got))
	}
	if reply.Usage.CompletionTokens != 2 {
		t.Errorf("completion tokens = %d, want the 2 words produced", reply.Usage.CompletionTokens)
	}
	if reply.Model != "mine" {
		t.Errorf("model = %q, want the request's", reply.Model)
	}
}

func TestEchoCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	reply := NewEcho().Run(ctx, userRequest("hi", false), nil)

	requireError(t, reply, CodeCancelled)
	if reply.Text != "" {
		t.Errorf("text = %q, want none", reply.Text)
	}
}

func TestNewFromConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     config.AgentConfig
		backend string
		err     string
	}{
		{"default", config.AgentConfig{}, "echo", ""},
		{"echo", config.AgentConfig{Backend: "echo"}, "echo", ""},
		{"openai", config.AgentConfig{
			Backend: "openai", BaseURL: "http://127.0.0.1:9/v1",
			Timeout: time.Second,
		}, "openai", ""},
		{
			"openai without url",
			config.AgentConfig{Backend: "openai", Timeout: time.Second},
			"",
			"agent.base_url",
		},
		{"unknown", config.AgentConfig{Backend: "llama"}, "", "agent.backend"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := NewFromConfig(tt.cfg, nil)

			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want one naming %s", err, tt.err)
				}
				if !errors.Is(err, ErrInvalidConfig) {
					t.Errorf("error %v does not wrap ErrInvalidConfig", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewFromConfig: %v", err)
			}
			defer func() { _ = b.Close() }()
			if b.Name() != tt.backend {
				t.Errorf("backend = %q, want %q", b.Name(), tt.backend)
			}
		})
	}
}
