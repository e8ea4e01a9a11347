package apiserver_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
)

// holdUntilEnded replies with a partial text, streamed when the request
// streams, after waiting until the run's context ends. started receives
// one value once the run has begun.
func holdUntilEnded(text string, started chan<- struct{}) func(context.Context,
	*messages.AgentRequest, func(messages.AgentDelta)) messages.AgentReply {
	return func(ctx context.Context, req *messages.AgentRequest,
		emit func(messages.AgentDelta),
	) messages.AgentReply {
		if req.Stream && text != "" {
			emit(messages.AgentDelta{RequestID: req.RequestID, Text: text})
		}
		started <- struct{}{}
		<-ctx.Done()
		return messages.AgentReply{
			RequestID: req.RequestID, Text: text, FinishReason: messages.FinishError,
			Err: &messages.AgentError{Code: "canceled", Message: ctx.Err().Error()},
		}
	}
}

// startHeld starts a gateway with a short grace period whose backend blocks
// every run until its context ends.
func startHeld(t *testing.T, text string) (*api, chan struct{}) {
	t.Helper()
	started := make(chan struct{}, 1)
	b := &scriptedBackend{answer: holdUntilEnded(text, started)}
	a := startAPIWith(t, func(c *config.Config) {
		c.Gateway.ShutdownGrace = 100 * time.Millisecond
	}, b.option())
	return a, started
}

// sendDuringClose sends body to path, stops the gateway once the backend
// has the run, and returns what the client received.
func sendDuringClose(t *testing.T, a *api, started <-chan struct{}, path string,
	body map[string]any,
) result {
	t.Helper()
	done := make(chan result, 1)
	go func() {
		r, err := a.send(http.MethodPost, path, body)
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	<-started
	a.close()
	return <-done
}

func TestShutdownEndsStreamWithClosingEvents(t *testing.T) {
	a, started := startHeld(t, "partial ")
	r := sendDuringClose(t, a, started, "/v1/chat/completions", map[string]any{
		"model": "m", "stream": true,
		"messages": []map[string]any{{"role": "user", "content": "hi"}},
	})
	body := string(r.body)
	if r.status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", r.status, body)
	}
	if !strings.Contains(body, `"content":"partial "`) {
		t.Errorf("stream lost the text sent before the shutdown: %s", body)
	}
	if !strings.Contains(body, `"finish_reason":"error"`) {
		t.Errorf("stream has no finish chunk with the reason error: %s", body)
	}
	if !strings.HasSuffix(strings.TrimSpace(body), "data: [DONE]") {
		t.Errorf("stream does not end with data: [DONE]: %s", body)
	}
}

func TestShutdownWaitingRequestGets503(t *testing.T) {
	a, started := startHeld(t, "")
	r := sendDuringClose(t, a, started, "/v1/chat/completions", map[string]any{
		"model": "m", "messages": []map[string]any{{"role": "user", "content": "hi"}},
	})
	if r.status != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503; body %s", r.status, r.body)
	}
	if code := r.errorField(t, "code"); code != "server_shutting_down" {
		t.Errorf("code = %v, want server_shutting_down", code)
	}
}

func TestShutdownEndsResponseStreamFailed(t *testing.T) {
	a, started := startHeld(t, "partial ")
	r := sendDuringClose(t, a, started, "/v1/responses", map[string]any{
		"model": "m", "stream": true, "input": "hi",
	})
	body := string(r.body)
	if !strings.Contains(body, "server_shutting_down") {
		t.Errorf("stream has no server_shutting_down error: %s", body)
	}
	if !strings.Contains(body, "partial ") {
		t.Errorf("stream lost the text sent before the shutdown: %s", body)
	}
}
