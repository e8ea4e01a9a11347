package config

import (
	"errors"
	"testing"
)

func TestCheckMetricsAddr(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"", true},
		{"127.0.0.1:9464", true},
		{"127.0.0.2:9464", true},
		{"[::1]:9464", true},
		{"localhost:9464", true},
		{"127.0.0.1:0", true},
		{"0.0.0.0:9464", false},
		{":9464", false},
		{"192.168.1.10:9464", false},
		{"example.com:9464", false},
		{"127.0.0.1", false},
		{"127.0.0.1:http", false},
		{"127.0.0.1:70000", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			problem := CheckMetricsAddr(tt.addr)
			if tt.ok && problem != "" {
				t.Errorf("CheckMetricsAddr(%q) = %q, want no problem", tt.addr, problem)
			}
			if !tt.ok && problem == "" {
				t.Errorf("CheckMetricsAddr(%q) found no problem", tt.addr)
			}
		})
	}
}

func TestValidateMetricsAddr(t *testing.T) {
	c := Default()
	c.Gateway.MetricsAddr = "0.0.0.0:9464"
	err := c.Validate()
	requireErrorContains(t, err, "gateway.metrics_addr", "ACTORGATE_METRICS_ADDR", "loopback")

	var fe *FieldError
	if !errors.As(err, &fe) || fe.Path != "gateway.metrics_addr" {
		t.Errorf("error is not a *FieldError for gateway.metrics_addr: %v", err)
	}
}

func TestMetricsSettingsFromEnv(t *testing.T) {
	res := mustRead(t, "", map[string]string{
		"ACTORGATE_METRICS_ADDR":    "127.0.0.1:9464",
		"API_SERVER_METRICS_PUBLIC": "yes",
	})
	if got := res.Config.Gateway.MetricsAddr; got != "127.0.0.1:9464" {
		t.Errorf("MetricsAddr = %q, want 127.0.0.1:9464", got)
	}
	if !res.Config.Platforms.APIServer.MetricsPublic {
		t.Error("MetricsPublic = false, want true")
	}
}

func TestMetricsSettingsFromYAML(t *testing.T) {
	home := writeHome(t, map[string]string{"config.yaml": "gateway:\n" +
		"  metrics_addr: \"[::1]:9464\"\n" +
		"platforms:\n  api_server:\n    metrics_public: true\n"})
	res := mustRead(t, home, nil)
	if got := res.Config.Gateway.MetricsAddr; got != "[::1]:9464" {
		t.Errorf("MetricsAddr = %q, want [::1]:9464", got)
	}
	if !res.Config.Platforms.APIServer.MetricsPublic {
		t.Error("MetricsPublic = false, want true")
	}
	if len(res.Warnings) != 0 {
		t.Errorf("warnings: %v", res.Warnings)
	}
}

func TestMetricsPublicRejectsNonBoolean(t *testing.T) {
	_, err := Read("", envOf(map[string]string{"API_SERVER_METRICS_PUBLIC": "maybe"}))
	requireErrorContains(t, err, "API_SERVER_METRICS_PUBLIC", "maybe", "boolean")
}
