package config

import (
	"reflect"
	"slices"
	"testing"
)

func TestSuggestKey(t *testing.T) {
	api := reflect.TypeFor[APIServerConfig]()
	agent := reflect.TypeFor[AgentConfig]()
	root := reflect.TypeFor[Config]()

	tests := []struct {
		name   string
		parent reflect.Type
		want   string
	}{
		{"api_key", api, "key"},
		{"PORT", api, "port"},
		{"keep_alive", api, "keepalive"},
		{"cors-origins", api, "cors_origins"},
		{"max_response", api, "max_responses"},
		{"hots", api, "host"},
		{"model", api, "model_name"},
		{"max_request_size", api, "max_request_bytes"},
		{"max_foo", api, ""},
		{"timeout", api, "agent.timeout"},
		{"base_url", api, "agent.base_url"},
		{"key", agent, "api_key"},
		{"backend_url", agent, ""},
		{"api_server", root, "platforms.api_server"},
		{"shutdown_grace", root, "gateway.shutdown_grace"},
		{"colour", root, ""},
		{"x", api, ""},
		{"", api, ""},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := suggestKey(tt.name, tt.parent); got != tt.want {
				t.Errorf("suggestKey(%q, %s) = %q, want %q", tt.name, tt.parent, got, tt.want)
			}
		})
	}
}

func TestKnownPaths(t *testing.T) {
	paths := knownPaths(reflect.TypeFor[Config](), "")

	for _, want := range []string{
		"gateway.backoff_base", "agent.api_key", "platforms.api_server.key",
		"platforms.api_server.idempotency_ttl",
	} {
		if !slices.Contains(paths, want) {
			t.Errorf("knownPaths has no %s", want)
		}
	}
	for path := range secretPaths {
		if !slices.Contains(paths, path) {
			t.Errorf("secret path %s is not a field", path)
		}
	}
	if slices.Contains(paths, "home") {
		t.Errorf("knownPaths lists Home, which has yaml:\"-\"")
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"", "abc", 3},
		{"port", "port", 0},
		{"prot", "port", 1},
		{"ca", "abc", 3},
		{"hots", "host", 1},
		{"keepalive", "keepalives", 1},
		{"kitten", "sitting", 3},
	}

	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
