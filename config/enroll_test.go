package config

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestEnrollment(t *testing.T) {
	tests := []struct {
		name       string
		enabled    *bool
		key        string
		wantStatus EnrollStatus
		wantCode   string
		reason     []string
	}{
		{
			name: "no key", wantStatus: NotConfigured, wantCode: CodeAPIServerKeyMissing,
			reason: []string{
				"API_SERVER_KEY is not set", "at least 16 characters",
				"platforms.api_server.key",
			},
		},
		{
			name: "enabled without key", enabled: boolPtr(true), wantStatus: NotConfigured,
			wantCode: CodeAPIServerKeyMissing,
		},
		{
			name: "disabled with key", enabled: boolPtr(false), key: testKey,
			wantStatus: Disabled, reason: []string{"enabled: false"},
		},
		{name: "disabled without key", enabled: boolPtr(false), wantStatus: Disabled},
		{
			name: "short", key: "abc123", wantStatus: Fatal, wantCode: CodeAPIServerKeyInvalid,
			reason: []string{
				"shorter than 16", "API_SERVER_KEY", "platforms.api_server.key",
				"SIGHUP", "restart",
			},
		},
		{
			name: "short after trim", key: "   0123456789abcde  ", wantStatus: Fatal,
			wantCode: CodeAPIServerKeyInvalid,
		},
		{name: "blank", key: "    ", wantStatus: Fatal, wantCode: CodeAPIServerKeyInvalid},
		{
			name: "fifteen", key: "0123456789abcde", wantStatus: Fatal,
			wantCode: CodeAPIServerKeyInvalid,
		},
		{
			name: "short word", key: "tiny", wantStatus: Fatal,
			wantCode: CodeAPIServerKeyInvalid, reason: []string{"shorter than 16"},
		},
		{name: "sixteen", key: "0123456789abcdef", wantStatus: Enrolled},
		{
			name: "placeholder long", key: "YOUR_API_KEY_HERE", wantStatus: Fatal,
			wantCode: CodeAPIServerKeyInvalid, reason: []string{"placeholder"},
		},
		{
			name: "placeholder short", key: "changeme", wantStatus: Fatal,
			wantCode: CodeAPIServerKeyInvalid, reason: []string{"placeholder"},
		},
		{
			name: "repeated character", key: strings.Repeat("x", 32), wantStatus: Fatal,
			wantCode: CodeAPIServerKeyInvalid, reason: []string{"placeholder"},
		},
		{
			name: "placeholder with suffix", key: "your-api-key-here", wantStatus: Fatal,
			wantCode: CodeAPIServerKeyInvalid, reason: []string{"placeholder"},
		},
		{
			name: "placeholder with digits", key: "changeme12345678", wantStatus: Fatal,
			wantCode: CodeAPIServerKeyInvalid, reason: []string{"placeholder"},
		},
		{
			name: "few characters", key: "sk-xxxxxxxxxxxxxxxxxxxxxxxx", wantStatus: Fatal,
			wantCode: CodeAPIServerKeyInvalid, reason: []string{"too few different characters"},
		},
		{
			name: "two characters", key: "abababababababab", wantStatus: Fatal,
			wantCode: CodeAPIServerKeyInvalid, reason: []string{"too few different characters"},
		},
		{name: "six characters", key: "abcdefabcdefabcd", wantStatus: Enrolled},
		{
			name: "enabled with key", enabled: boolPtr(true), key: testKey,
			wantStatus: Enrolled,
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := APIServerConfig{Enabled: tt.enabled, Key: tt.key}.Enrollment()

			if got.Status != tt.wantStatus {
				t.Errorf("Status = %s, want %s", got.Status, tt.wantStatus)
			}
			if got.Code != tt.wantCode {
				t.Errorf("Code = %q, want %q", got.Code, tt.wantCode)
			}
			for _, part := range tt.reason {
				if !strings.Contains(got.Reason, part) {
					t.Errorf("Reason %q does not contain %q", got.Reason, part)
				}
			}
			if tt.wantStatus != Enrolled && got.Reason == "" {
				t.Errorf("Reason is empty")
			}
			if strings.Contains(got.Reason, "\n") {
				t.Errorf("Reason has more than one line: %q", got.Reason)
			}
			if k := strings.TrimSpace(tt.key); k != "" && strings.Contains(got.Reason, k) {
				t.Errorf("Reason contains the key: %q", got.Reason)
			}
		})
	}
}

func TestEnrollmentNamesEnvFile(t *testing.T) {
	cfg := Default()
	cfg.Home = filepath.Join("/srv", "gate")

	missing := cfg.APIServerEnrollment()
	cfg.Platforms.APIServer.Key = "short"
	short := cfg.APIServerEnrollment()
	cfg.Home = ""
	noHome := cfg.APIServerEnrollment()

	want := filepath.Join("/srv", "gate", EnvFileName)
	if !strings.Contains(missing.Reason, want) {
		t.Errorf("missing-key Reason %q does not name %s", missing.Reason, want)
	}
	if !strings.Contains(short.Reason, want) {
		t.Errorf("invalid-key Reason %q does not name %s", short.Reason, want)
	}
	if !strings.Contains(noHome.Reason, "~/.actorgate/.env") {
		t.Errorf("Reason without home %q does not name the default", noHome.Reason)
	}
}

func TestUsableSecret(t *testing.T) {
	tests := []struct {
		s      string
		minLen int
		want   bool
	}{
		{"", 0, false},
		{"", 1, false},
		{"abcd", 4, true},
		{" abcd ", 5, false},
		{"abcd", 5, false},
		{"ключ-ключ-ключ-1", 16, true},
		{"aaaa", 4, false},
		{"NONE", 4, false},
		{"Password", 4, false},
		{"***", 1, false},
		{"test", 4, false},
		{"tests", 4, true},
	}

	for _, tt := range tests {
		if got := UsableSecret(tt.s, tt.minLen); got != tt.want {
			t.Errorf("UsableSecret(%q, %d) = %v, want %v", tt.s, tt.minLen, got, tt.want)
		}
	}
}

func TestEnrollStatusString(t *testing.T) {
	want := map[EnrollStatus]string{
		NotConfigured:    "not_configured",
		Disabled:         "disabled",
		Fatal:            "fatal",
		Enrolled:         "enrolled",
		EnrollStatus(42): "EnrollStatus(42)",
	}
	for s, w := range want {
		if s.String() != w {
			t.Errorf("String() = %q, want %q", s.String(), w)
		}
	}
}
