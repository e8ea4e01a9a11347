package config

import (
	"path/filepath"
	"testing"
)

func TestAddr(t *testing.T) {
	tests := []struct {
		host string
		port int
		want string
	}{
		{"127.0.0.1", 8642, "127.0.0.1:8642"},
		{"::1", 80, "[::1]:80"},
		{"localhost", 1, "localhost:1"},
		{"", 9000, ":9000"},
	}

	for _, tt := range tests {
		if got := (APIServerConfig{Host: tt.host, Port: tt.port}).Addr(); got != tt.want {
			t.Errorf("Addr(%q, %d) = %q, want %q", tt.host, tt.port, got, tt.want)
		}
	}
}

func TestResolvedDBPath(t *testing.T) {
	home := filepath.Join("/srv", "gate")
	abs := filepath.Join("/var", "db", "r.db")

	tests := []struct {
		name   string
		dbPath string
		home   string
		want   string
	}{
		{"default", "", home, filepath.Join(home, ResponsesDB)},
		{"absolute", abs, home, abs},
		{"relative to home", "db/r.db", home, filepath.Join(home, "db", "r.db")},
		{"relative without home", "r.db", "", "r.db"},
		{"nothing", "", "", ""},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := APIServerConfig{DBPath: tt.dbPath}.ResolvedDBPath(tt.home)
			if got != tt.want {
				t.Errorf("ResolvedDBPath = %q, want %q", got, tt.want)
			}
		})
	}
}
