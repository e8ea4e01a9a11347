package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidateDefault(t *testing.T) {
	cfg := Default()
	cfg.Home = t.TempDir()

	if err := cfg.Validate(); err != nil {
		t.Errorf("Default().Validate() = %v", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Config)
		parts  []string
	}{
		{
			"port zero", func(c *Config) { c.Platforms.APIServer.Port = 0 },
			[]string{"platforms.api_server.port (API_SERVER_PORT): 0 is not a port number; " +
				"set 1-65535"},
		},
		{
			"port high", func(c *Config) { c.Platforms.APIServer.Port = 65536 },
			[]string{"platforms.api_server.port", "65536"},
		},
		{
			"host empty", func(c *Config) { c.Platforms.APIServer.Host = " " },
			[]string{"platforms.api_server.host (API_SERVER_HOST): is empty"},
		},
		{
			"host with port", func(c *Config) { c.Platforms.APIServer.Host = "127.0.0.1:80" },
			[]string{"platforms.api_server.host", "set the port in platforms.api_server.port"},
		},
		{
			"host with brackets", func(c *Config) { c.Platforms.APIServer.Host = "[::1]" },
			[]string{"platforms.api_server.host", "without brackets"},
		},
		{
			"host url", func(c *Config) { c.Platforms.APIServer.Host = "http://x" },
			[]string{"platforms.api_server.host"},
		},
		{
			"backoff base zero", func(c *Config) { c.Gateway.BackoffBase = 0 },
			[]string{"gateway.backoff_base (ACTORGATE_BACKOFF_BASE): is 0s; set a positive"},
		},
		{
			"backoff cap below base", func(c *Config) { c.Gateway.BackoffCap = time.Millisecond },
			[]string{
				"gateway.backoff_cap", "below gateway.backoff_base (1s)",
				"at least 1s",
			},
		},
		{
			"attention after", func(c *Config) { c.Gateway.AttentionAfter = -time.Second },
			[]string{"gateway.attention_after", "-1s"},
		},
		{
			"shutdown grace", func(c *Config) { c.Gateway.ShutdownGrace = -time.Second },
			[]string{"gateway.shutdown_grace", "set 0 or a positive"},
		},
		{
			"backend", func(c *Config) { c.Agent.Backend = "claude" },
			[]string{`agent.backend (AGENT_BACKEND): "claude" is not a backend; ` +
				"set echo or openai"},
		},
		{
			"base url missing", func(c *Config) { c.Agent.Backend = BackendOpenAI },
			[]string{"agent.base_url (AGENT_BASE_URL): is empty", "http://127.0.0.1:8000/v1"},
		},
		{"base url relative", func(c *Config) {
			c.Agent.Backend = BackendOpenAI
			c.Agent.BaseURL = "127.0.0.1:8000/v1"
		}, []string{"agent.base_url", "absolute http or https URL"}},
		{"base url scheme", func(c *Config) {
			c.Agent.Backend = BackendOpenAI
			c.Agent.BaseURL = "ftp://127.0.0.1/v1"
		}, []string{"agent.base_url"}},
		{
			"timeout", func(c *Config) { c.Agent.Timeout = 0 },
			[]string{"agent.timeout (AGENT_TIMEOUT): is 0s"},
		},
		{
			"model name", func(c *Config) { c.Platforms.APIServer.ModelName = "" },
			[]string{"platforms.api_server.model_name (API_SERVER_MODEL_NAME): is empty"},
		},
		{
			"max responses", func(c *Config) { c.Platforms.APIServer.MaxResponses = 0 },
			[]string{"platforms.api_server.max_responses", "set 1 or more"},
		},
		{
			"max request bytes", func(c *Config) { c.Platforms.APIServer.MaxRequestBytes = 1023 },
			[]string{"platforms.api_server.max_request_bytes: is 1023; set 1024 or more"},
		},
		{
			"keepalive", func(c *Config) { c.Platforms.APIServer.KeepAlive = 0 },
			[]string{"platforms.api_server.keepalive: is 0s"},
		},
		{
			"idempotency ttl", func(c *Config) { c.Platforms.APIServer.IdempotencyTTL = -1 },
			[]string{"platforms.api_server.idempotency_ttl"},
		},
		{"origin path", func(c *Config) {
			c.Platforms.APIServer.CORSOrigins = []string{"*", "http://a.test/app"}
		}, []string{"platforms.api_server.cors_origins[1]", "has a path"}},
		{"origin trailing slash", func(c *Config) {
			c.Platforms.APIServer.CORSOrigins = []string{"http://a.test/"}
		}, []string{"cors_origins[0]", "has a path"}},
		{"origin no scheme", func(c *Config) {
			c.Platforms.APIServer.CORSOrigins = []string{"localhost:3000"}
		}, []string{"cors_origins[0]", "is not an origin", "scheme://host[:port]"}},
		{"origin query", func(c *Config) {
			c.Platforms.APIServer.CORSOrigins = []string{"http://a.test?x=1"}
		}, []string{"cors_origins[0]", "is not an origin"}},
		{"origin bad port", func(c *Config) {
			c.Platforms.APIServer.CORSOrigins = []string{"http://a.test:99999"}
		}, []string{"cors_origins[0]", "is not an origin"}},
		{"origin user", func(c *Config) {
			c.Platforms.APIServer.CORSOrigins = []string{"http://u@a.test"}
		}, []string{"cors_origins[0]", "is not an origin"}},
		{"no db path without home", func(c *Config) {
			c.Home = ""
			c.Platforms.APIServer.Key = testKey
		}, []string{"platforms.api_server.db_path", "no data folder"}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Default()
			cfg.Home = t.TempDir()
			tt.mutate(&cfg)

			err := cfg.Validate()

			requireErrorContains(t, err, tt.parts...)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Errorf("error %v has no *FieldError", err)
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Config)
	}{
		{"ipv6 host", func(c *Config) { c.Platforms.APIServer.Host = "::1" }},
		{"zoned host", func(c *Config) { c.Platforms.APIServer.Host = "fe80::1%lo" }},
		{"name host", func(c *Config) { c.Platforms.APIServer.Host = "localhost" }},
		{"openai", func(c *Config) {
			c.Agent.Backend = BackendOpenAI
			c.Agent.BaseURL = "https://127.0.0.1:8443/v1"
		}},
		{"origins", func(c *Config) {
			c.Platforms.APIServer.CORSOrigins = []string{
				"*", "http://localhost:3000", "https://[::1]:8080", "app://desktop",
			}
		}},
		{"zero grace", func(c *Config) { c.Gateway.ShutdownGrace = 0 }},
		{"cap equals base", func(c *Config) { c.Gateway.BackoffCap = c.Gateway.BackoffBase }},
		{"db path without home", func(c *Config) {
			c.Home = ""
			c.Platforms.APIServer.Key = testKey
			c.Platforms.APIServer.DBPath = "/var/lib/gate/responses.db"
		}},
		{"no home, not enrolled", func(c *Config) { c.Home = "" }},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Default()
			cfg.Home = t.TempDir()
			tt.mutate(&cfg)

			if err := cfg.Validate(); err != nil {
				t.Errorf("Validate() = %v", err)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	cfg := Default()
	cfg.Home = t.TempDir()
	cfg.Platforms.APIServer.Port = -1
	cfg.Agent.Backend = ""
	cfg.Gateway.AttentionAfter = 0

	err := cfg.Validate()

	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 3 {
		t.Errorf("got %d problems, want 3:\n%v", len(lines), err)
	}
}
