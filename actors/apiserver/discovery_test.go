package apiserver_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
)

func TestDiscoveryRoutes(t *testing.T) {
	a := startAPI(t, func(c *config.Config) { c.Platforms.APIServer.ModelName = "house-model" })

	models := a.call(http.MethodGet, "/v1/models", nil).json(t)
	data, _ := models["data"].([]any)
	if models["object"] != "list" || len(data) != 1 {
		t.Fatalf("models = %v", models)
	}
	if m, _ := data[0].(map[string]any); m["id"] != "house-model" || m["object"] != "model" {
		t.Errorf("model = %v", data[0])
	}
	if r := a.call(http.MethodGet, "/v1/models/house-model", nil); r.json(t)["id"] != "house-model" {
		t.Errorf("GET model: %d %s", r.status, r.body)
	}
	r := a.call(http.MethodGet, "/v1/models/other", nil)
	if r.status != http.StatusNotFound || r.errorField(t, "param") != "model" {
		t.Errorf("unknown model: %d %s", r.status, r.body)
	}

	health := a.call(http.MethodGet, "/health", nil, "Authorization", "")
	if health.status != http.StatusOK || health.json(t)["status"] != "ok" {
		t.Errorf("health: %d %s", health.status, health.body)
	}
	detailed := a.call(http.MethodGet, "/health/detailed", nil).json(t)
	rows, _ := detailed["platforms"].([]any)
	found := false
	for _, row := range rows {
		p, _ := row.(map[string]any)
		if p["name"] == "api_server" {
			found = true
			if p["state"] != "connected" {
				t.Errorf("api_server state = %v", p["state"])
			}
		}
	}
	if !found {
		t.Errorf("health/detailed lists no api_server row: %v", detailed)
	}

	wrong := a.call(http.MethodPost, "/v1/models", nil)
	if wrong.status != http.StatusMethodNotAllowed || wrong.header.Get("Allow") != "GET" {
		t.Errorf("POST /v1/models: %d Allow=%q", wrong.status, wrong.header.Get("Allow"))
	}
	if code := wrong.errorField(t, "code"); code != "method_not_allowed" {
		t.Errorf("code = %v", code)
	}
	if r := a.call(http.MethodGet, "/v1/chat/completions", nil); r.header.Get("Allow") != "POST" {
		t.Errorf("GET /v1/chat/completions: %d Allow=%q", r.status, r.header.Get("Allow"))
	}
	if r := a.call(http.MethodGet, "/v1/unknown", nil); r.status != http.StatusNotFound {
		t.Errorf("unknown route: status %d", r.status)
	}
}

func TestCallersNeverShareSession(t *testing.T) {
	backend := &scriptedBackend{answer: func(_ context.Context, req *messages.AgentRequest,
		_ func(messages.AgentDelta),
	) messages.AgentReply {
		return messages.AgentReply{RequestID: req.RequestID, Text: "ok"}
	}}
	a := startAPIWith(t, nil, backend.option())
	callers := [][]string{nil, nil, {"X-Session-Key", "alice"}, {"X-Hermes-Session-Key", "bob"}}
	for _, h := range callers {
		if r := a.call(http.MethodPost, "/v1/chat/completions", chatBody("same words"), h...); r.status != 200 {
			t.Fatalf("chat: %d %s", r.status, r.body)
		}
	}
	for _, h := range callers {
		a.respond(map[string]any{"input": "same words"}, h...)
	}
	seen := map[string]bool{}
	for _, run := range backend.runs() {
		if run.SessionID == "" {
			t.Errorf("run %s has no session", run.RequestID)
		}
		if seen[run.SessionID] {
			t.Errorf("two callers share the session %q", run.SessionID)
		}
		seen[run.SessionID] = true
	}
	if len(seen) != 2*len(callers) {
		t.Errorf("got %d sessions for %d requests", len(seen), 2*len(callers))
	}
}

func TestSameClientRequestIDRunsApart(t *testing.T) {
	started := make(chan struct{}, 2)
	release := make(chan struct{})
	backend := &scriptedBackend{answer: func(_ context.Context, req *messages.AgentRequest,
		_ func(messages.AgentDelta),
	) messages.AgentReply {
		started <- struct{}{}
		<-release
		return messages.AgentReply{RequestID: req.RequestID, Text: "ok"}
	}}
	a := startAPIWith(t, nil, backend.option())

	var wg sync.WaitGroup
	results := make(chan result, 2)
	for range 2 {
		wg.Go(func() {
			r, err := a.send(http.MethodPost, "/v1/chat/completions", chatBody("hi"),
				"X-Request-Id", "same-id")
			if err != nil {
				r.body = []byte(err.Error())
			}
			results <- r
		})
	}
	for range 2 {
		select {
		case <-started:
		case <-time.After(10 * time.Second):
			t.Error("both runs did not start; one request was refused")
		}
	}
	close(release)
	wg.Wait()
	close(results)

	for r := range results {
		if r.status != http.StatusOK {
			t.Errorf("status = %d, want 200 for both requests: %s", r.status, r.body)
		}
	}
	runs := backend.runs()
	if len(runs) != 2 || runs[0].RequestID == runs[1].RequestID {
		t.Errorf("runs = %d with ids %v, want 2 distinct", len(runs), runs)
	}
	if !strings.HasPrefix(runs[0].RequestID, "req_") {
		t.Errorf("run id = %q, want a generated id", runs[0].RequestID)
	}
}
