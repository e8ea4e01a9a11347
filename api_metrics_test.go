package actorgate_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/actorgate/actorgate/actors/apiserver"
	"github.com/actorgate/actorgate/messages"
)

// getWithKey calls GET url, with the bearer key when key is not empty, and
// returns the status code and body.
func getWithKey(t *testing.T, url, key string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func TestAPIServerMetricsRoute(t *testing.T) {
	tests := []struct {
		name          string
		public        bool
		withoutKeyGot int
	}{
		{"behind the key", false, http.StatusUnauthorized},
		{"public", true, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			system := newHost(t)
			cfg := withAPIServer(t, testConfig())
			cfg.Platforms.APIServer.MetricsPublic = tt.public
			gw := startGateway(t, system, "gw", cfg)
			waitRow(t, gw, apiserver.Name, "connected", inState(messages.StateConnected))
			base := fmt.Sprintf("http://127.0.0.1:%d", cfg.Platforms.APIServer.Port)

			if got := getModels(t, cfg); got != http.StatusOK {
				t.Fatalf("GET /v1/models = %d", got)
			}
			if code, _ := getWithKey(t, base+"/metrics", ""); code != tt.withoutKeyGot {
				t.Errorf("GET /metrics without the key = %d, want %d", code, tt.withoutKeyGot)
			}
			code, body := getWithKey(t, base+"/metrics", cfg.Platforms.APIServer.Key)
			if code != http.StatusOK {
				t.Fatalf("GET /metrics with the key = %d", code)
			}
			for _, want := range []string{
				`actorgate_http_requests_total{code="200",route="GET /v1/models"} 1`,
				`actorgate_http_request_duration_seconds_count{route="GET /v1/models"} 1`,
				`actorgate_platform_state{platform="api_server",state="connected"} 1`,
				"actorgate_http_active_streams 0",
			} {
				if !strings.Contains(body, want) {
					t.Errorf("/metrics lacks %q", want)
				}
			}
			if strings.Contains(body, cfg.Platforms.APIServer.Key) {
				t.Error("the API key appears in the metrics")
			}
		})
	}
}
