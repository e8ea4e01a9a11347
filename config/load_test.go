package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestReadPrecedence(t *testing.T) {
	tests := []struct {
		name     string
		yaml     string
		dotenv   string
		env      map[string]string
		wantHost string
		wantPort int
	}{
		{name: "defaults", wantHost: DefaultAPIHost, wantPort: DefaultAPIPort},
		{
			name:     "yaml over default",
			yaml:     "platforms:\n  api_server:\n    host: 0.0.0.0\n    port: 9000\n",
			wantHost: "0.0.0.0",
			wantPort: 9000,
		},
		{
			name:     "env file over yaml",
			yaml:     "platforms:\n  api_server:\n    host: 0.0.0.0\n    port: 9000\n",
			dotenv:   "API_SERVER_PORT=9001\n",
			wantHost: "0.0.0.0",
			wantPort: 9001,
		},
		{
			name:     "environment over env file",
			yaml:     "platforms:\n  api_server:\n    port: 9000\n",
			dotenv:   "API_SERVER_PORT=9001\nAPI_SERVER_HOST=::1\n",
			env:      map[string]string{"API_SERVER_PORT": "9002"},
			wantHost: "::1",
			wantPort: 9002,
		},
		{
			name:     "empty variable counts as unset",
			dotenv:   "API_SERVER_PORT=9001\n",
			env:      map[string]string{"API_SERVER_PORT": "  "},
			wantHost: DefaultAPIHost,
			wantPort: 9001,
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{}
			if tt.yaml != "" {
				files[ConfigFileName] = tt.yaml
			}
			if tt.dotenv != "" {
				files[EnvFileName] = tt.dotenv
			}
			home := writeHome(t, files)

			cfg := mustRead(t, home, tt.env).Config
			if cfg.Home != home {
				t.Errorf("Home = %q, want %q", cfg.Home, home)
			}
			if got := cfg.Platforms.APIServer.Host; got != tt.wantHost {
				t.Errorf("Host = %q, want %q", got, tt.wantHost)
			}
			if got := cfg.Platforms.APIServer.Port; got != tt.wantPort {
				t.Errorf("Port = %d, want %d", got, tt.wantPort)
			}
		})
	}
}

func TestReadEverySetting(t *testing.T) {
	env := map[string]string{
		"API_SERVER_KEY":            "  " + testKey + "  ",
		"API_SERVER_HOST":           "0.0.0.0",
		"API_SERVER_PORT":           "8000",
		"API_SERVER_CORS_ORIGINS":   "http://localhost:3000, https://chat.example.org,,",
		"API_SERVER_MODEL_NAME":     "gate",
		"API_SERVER_MAX_RESPONSES":  "50",
		"AGENT_BACKEND":             "OpenAI",
		"AGENT_BASE_URL":            "http://127.0.0.1:8000/v1",
		"AGENT_API_KEY":             "upstream-key",
		"AGENT_MODEL":               "small",
		"AGENT_TIMEOUT":             "45s",
		"ACTORGATE_BACKOFF_BASE":    "2s",
		"ACTORGATE_BACKOFF_CAP":     "1m",
		"ACTORGATE_ATTENTION_AFTER": "30m",
		"ACTORGATE_SHUTDOWN_GRACE":  "0s",
		"API_SERVER_ENABLED":        "yes",
	}

	got := mustRead(t, "", env).Config

	want := Default()
	want.Platforms.APIServer.Key = testKey
	want.Platforms.APIServer.KeyFrom = KeyFromEnvironment
	want.Platforms.APIServer.Host = "0.0.0.0"
	want.Platforms.APIServer.Port = 8000
	want.Platforms.APIServer.CORSOrigins = []string{
		"http://localhost:3000", "https://chat.example.org",
	}
	want.Platforms.APIServer.ModelName = "gate"
	want.Platforms.APIServer.MaxResponses = 50
	want.Platforms.APIServer.Enabled = boolPtr(true)
	want.Agent = AgentConfig{
		Backend: BackendOpenAI,
		BaseURL: "http://127.0.0.1:8000/v1",
		APIKey:  "upstream-key",
		Model:   "small",
		Timeout: 45 * time.Second,
	}
	want.Gateway = GatewayConfig{
		BackoffBase:    2 * time.Second,
		BackoffCap:     time.Minute,
		AttentionAfter: 30 * time.Minute,
		ShutdownGrace:  0,
	}

	// String output redacts keys, so compare the keys and the rest apart.
	if got.Platforms.APIServer.Key != want.Platforms.APIServer.Key {
		t.Errorf("Key not trimmed to the test key")
	}
	if got.Agent.APIKey != want.Agent.APIKey {
		t.Errorf("Agent.APIKey = %q, want %q", got.Agent.APIKey, want.Agent.APIKey)
	}
	if g, w := got.Redacted(), want.Redacted(); !equalConfig(g, w) {
		t.Errorf("config =\n%+v\nwant\n%+v", g, w)
	}
}

func equalConfig(a, b Config) bool {
	ja, errA := a.Platforms.APIServer.MarshalJSON()
	jb, errB := b.Platforms.APIServer.MarshalJSON()
	ka, _ := a.Agent.MarshalJSON()
	kb, _ := b.Agent.MarshalJSON()

	return errA == nil && errB == nil && string(ja) == string(jb) &&
		string(ka) == string(kb) && a.Gateway == b.Gateway && a.Home == b.Home
}

func TestReadYAMLDurations(t *testing.T) {
	home := writeHome(t, map[string]string{ConfigFileName: `
gateway:
  backoff_base: 90s
  backoff_cap: "5m"
  attention_after: 1h30m
  shutdown_grace: 0s
agent:
  timeout: 2m
platforms:
  api_server:
    keepalive: 15s
    idempotency_ttl: 1h
`})

	cfg := mustRead(t, home, nil).Config

	checks := []struct {
		name string
		got  time.Duration
		want time.Duration
	}{
		{"backoff_base", cfg.Gateway.BackoffBase, 90 * time.Second},
		{"backoff_cap", cfg.Gateway.BackoffCap, 5 * time.Minute},
		{"attention_after", cfg.Gateway.AttentionAfter, 90 * time.Minute},
		{"shutdown_grace", cfg.Gateway.ShutdownGrace, 0},
		{"timeout", cfg.Agent.Timeout, 2 * time.Minute},
		{"keepalive", cfg.Platforms.APIServer.KeepAlive, 15 * time.Second},
		{"idempotency_ttl", cfg.Platforms.APIServer.IdempotencyTTL, time.Hour},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %s, want %s", c.name, c.got, c.want)
		}
	}
}

func TestReadYAMLValues(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		check func(t *testing.T, cfg Config)
	}{
		{
			name: "cors list",
			yaml: "platforms:\n  api_server:\n    cors_origins: [\"*\", http://a.test]\n",
			check: func(t *testing.T, cfg Config) {
				got := strings.Join(cfg.Platforms.APIServer.CORSOrigins, "|")
				if got != "*|http://a.test" {
					t.Errorf("CORSOrigins = %q", got)
				}
			},
		},
		{
			name: "cors comma string",
			yaml: "platforms:\n  api_server:\n    cors_origins: \"http://a.test, *\"\n",
			check: func(t *testing.T, cfg Config) {
				got := strings.Join(cfg.Platforms.APIServer.CORSOrigins, "|")
				if got != "http://a.test|*" {
					t.Errorf("CORSOrigins = %q", got)
				}
			},
		},
		{
			name: "whole float as integer",
			yaml: "platforms:\n  api_server:\n    max_request_bytes: 2e6\n",
			check: func(t *testing.T, cfg Config) {
				if got := cfg.Platforms.APIServer.MaxRequestBytes; got != 2_000_000 {
					t.Errorf("MaxRequestBytes = %d, want 2000000", got)
				}
			},
		},
		{
			name: "yes as boolean",
			yaml: "platforms:\n  api_server:\n    enabled: yes\n",
			check: func(t *testing.T, cfg Config) {
				if e := cfg.Platforms.APIServer.Enabled; e == nil || !*e {
					t.Errorf("Enabled = %v, want true", e)
				}
			},
		},
		{
			name: "null keeps default",
			yaml: "gateway:\nplatforms:\n  api_server:\n    port: ~\n    enabled: null\n",
			check: func(t *testing.T, cfg Config) {
				if got := cfg.Platforms.APIServer.Port; got != DefaultAPIPort {
					t.Errorf("Port = %d, want %d", got, DefaultAPIPort)
				}
				if e := cfg.Platforms.APIServer.Enabled; e != nil {
					t.Errorf("Enabled = %v, want nil", *e)
				}
			},
		},
		{
			name: "numeric key kept as text",
			yaml: "platforms:\n  api_server:\n    key: 12345678901234567890\n",
			check: func(t *testing.T, cfg Config) {
				if got := cfg.Platforms.APIServer.Key; got != "12345678901234567890" {
					t.Errorf("Key has %d characters, want the 20 digits", len(got))
				}
			},
		},
		{
			name: "alias",
			yaml: "agent:\n  model: &m small\nplatforms:\n  api_server:\n    model_name: *m\n",
			check: func(t *testing.T, cfg Config) {
				if got := cfg.Platforms.APIServer.ModelName; got != "small" {
					t.Errorf("ModelName = %q, want small", got)
				}
			},
		},
		{
			name: "empty file",
			yaml: "# nothing set yet\n",
			check: func(t *testing.T, cfg Config) {
				if got := cfg.Platforms.APIServer.Port; got != DefaultAPIPort {
					t.Errorf("Port = %d, want %d", got, DefaultAPIPort)
				}
			},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := writeHome(t, map[string]string{ConfigFileName: tt.yaml})
			res := mustRead(t, home, nil)
			if len(res.Warnings) != 0 {
				t.Errorf("warnings = %v, want none", res.Warnings)
			}
			tt.check(t, res.Config)
		})
	}
}

func TestReadEnabledPrecedence(t *testing.T) {
	tests := []struct {
		name        string
		yamlEnabled string
		envEnabled  string
		want        *bool
		wantStatus  EnrollStatus
	}{
		{name: "unset", want: nil, wantStatus: Enrolled},
		{
			name: "yaml false wins over key", yamlEnabled: "false", want: boolPtr(false),
			wantStatus: Disabled,
		},
		{
			name: "yaml false wins over env true", yamlEnabled: "false", envEnabled: "true",
			want: boolPtr(false), wantStatus: Disabled,
		},
		{name: "env false", envEnabled: "0", want: boolPtr(false), wantStatus: Disabled},
		{name: "env true", envEnabled: "TRUE", want: boolPtr(true), wantStatus: Enrolled},
		{
			name: "env false over yaml true", yamlEnabled: "true", envEnabled: "no",
			want: boolPtr(false), wantStatus: Disabled,
		},
		{name: "yaml true", yamlEnabled: "true", want: boolPtr(true), wantStatus: Enrolled},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{}
			if tt.yamlEnabled != "" {
				files[ConfigFileName] = "platforms:\n  api_server:\n    enabled: " +
					tt.yamlEnabled + "\n"
			}
			env := map[string]string{"API_SERVER_KEY": testKey}
			if tt.envEnabled != "" {
				env["API_SERVER_ENABLED"] = tt.envEnabled
			}

			cfg := mustRead(t, writeHome(t, files), env).Config

			got := cfg.Platforms.APIServer.Enabled
			switch {
			case (got == nil) != (tt.want == nil):
				t.Errorf("Enabled = %v, want %v", got, tt.want)
			case got != nil && *got != *tt.want:
				t.Errorf("Enabled = %v, want %v", *got, *tt.want)
			}
			if s := cfg.APIServerEnrollment().Status; s != tt.wantStatus {
				t.Errorf("enrollment = %s, want %s", s, tt.wantStatus)
			}
		})
	}
}

func TestReadEnvValueErrors(t *testing.T) {
	tests := []struct {
		name  string
		value string
		parts []string
	}{
		{
			"API_SERVER_PORT", "abc",
			[]string{`API_SERVER_PORT="abc" is not a port number; set 1-65535`},
		},
		{"API_SERVER_PORT", "70000", []string{`API_SERVER_PORT="70000"`, "1-65535"}},
		{"API_SERVER_PORT", "0", []string{`API_SERVER_PORT="0"`, "1-65535"}},
		{
			"API_SERVER_ENABLED", "maybe",
			[]string{`API_SERVER_ENABLED="maybe"`, "true, false, 1, 0, yes or no"},
		},
		{
			"API_SERVER_MAX_RESPONSES", "lots",
			[]string{`API_SERVER_MAX_RESPONSES="lots"`, "whole number"},
		},
		{"AGENT_TIMEOUT", "soon", []string{`AGENT_TIMEOUT="soon"`, "Go duration"}},
		{"AGENT_TIMEOUT", "300", []string{`AGENT_TIMEOUT="300"`, "no unit", "300s"}},
		{"ACTORGATE_BACKOFF_BASE", "1 s", []string{"ACTORGATE_BACKOFF_BASE", "duration"}},
		{"ACTORGATE_BACKOFF_CAP", "x", []string{"ACTORGATE_BACKOFF_CAP"}},
		{"ACTORGATE_ATTENTION_AFTER", "x", []string{"ACTORGATE_ATTENTION_AFTER"}},
		{"ACTORGATE_SHUTDOWN_GRACE", "x", []string{"ACTORGATE_SHUTDOWN_GRACE"}},
	}

	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			_, err := Read("", envOf(map[string]string{tt.name: tt.value}))
			requireErrorContains(t, err, tt.parts...)
			if !errors.Is(err, ErrEnvValue) {
				t.Errorf("error %v does not wrap ErrEnvValue", err)
			}
		})
	}
}

func TestReadEnvValueErrorsJoined(t *testing.T) {
	env := map[string]string{"API_SERVER_PORT": "x", "AGENT_TIMEOUT": "y"}

	_, err := Read("", envOf(env))

	requireErrorContains(t, err, "API_SERVER_PORT", "AGENT_TIMEOUT")
}

func TestReadEnvFileValueError(t *testing.T) {
	home := writeHome(t, map[string]string{EnvFileName: "API_SERVER_PORT=http\n"})

	_, err := Read(home, nil)

	requireErrorContains(t, err, `API_SERVER_PORT="http" in `+
		filepath.Join(home, EnvFileName)+" is not a port number")
}

func TestReadEnvFileNeverOverridesEnvironment(t *testing.T) {
	home := writeHome(t, map[string]string{
		EnvFileName: "API_SERVER_KEY=from-env-file-0123456789\nAGENT_MODEL=file\n",
	})
	env := map[string]string{"API_SERVER_KEY": testKey}

	cfg := mustRead(t, home, env).Config

	if cfg.Platforms.APIServer.Key != testKey {
		t.Errorf("Key came from the .env file, want the environment's")
	}
	if cfg.Agent.Model != "file" {
		t.Errorf("Model = %q, want file from the .env file", cfg.Agent.Model)
	}
}

func TestReadUnknownKeys(t *testing.T) {
	home := writeHome(t, map[string]string{ConfigFileName: `gateway:
  backof_base: 2s
agent:
  base_url: http://127.0.0.1:9/v1
  timeout: 1m
platforms:
  api_server:
    api_key: abc
    Port: 9000
    base_url: x
  slack:
    token: t
colour: blue
`})

	res := mustRead(t, home, nil)

	path := filepath.Join(home, ConfigFileName)
	want := []string{
		"unknown key gateway.backof_base in " + path + " line 2; did you mean backoff_base?",
		"unknown key platforms.api_server.api_key in " + path + " line 8; did you mean key?",
		"unknown key platforms.api_server.Port in " + path + " line 9; did you mean port?",
		"unknown key platforms.api_server.base_url in " + path +
			" line 10; did you mean agent.base_url?",
		"unknown key platforms.slack in " + path + " line 11",
		"unknown key colour in " + path + " line 13",
	}
	if len(res.Warnings) != len(want) {
		t.Fatalf("got %d warnings %v, want %d", len(res.Warnings), res.Warnings, len(want))
	}
	for i, w := range res.Warnings {
		if w.String() != want[i] {
			t.Errorf("warning %d = %q, want %q", i, w, want[i])
		}
		if w.Kind != WarningUnknownKey {
			t.Errorf("warning %d kind = %q", i, w.Kind)
		}
	}
	if res.Config.Agent.Timeout != time.Minute {
		t.Errorf("known keys beside unknown ones were not read")
	}
}

func TestReadYAMLErrors(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		parts []string
	}{
		{"syntax", "gateway:\n  backoff_base: 1s\n  bad: x: y\n", []string{"yaml: line 3"}},
		{"tab indent", "gateway:\n\tbackoff_base: 1s\n", []string{"line 2"}},
		{
			"port text", "platforms:\n  api_server:\n    port: abc\n",
			[]string{"line 3", "platforms.api_server.port", `"abc" is not a whole number`},
		},
		{
			"port fraction", "platforms:\n  api_server:\n    port: 80.5\n",
			[]string{"platforms.api_server.port", "whole number"},
		},
		{
			"port overflow", "platforms:\n  api_server:\n    port: 99999999999999999999\n",
			[]string{"platforms.api_server.port"},
		},
		{
			"duration without unit", "agent:\n  timeout: 300\n",
			[]string{"line 2", "agent.timeout", "no unit", "300s"},
		},
		{
			"duration text", "gateway:\n  backoff_cap: soon\n",
			[]string{"gateway.backoff_cap", `"soon" is not a duration`, `"90s"`},
		},
		{
			"boolean", "platforms:\n  api_server:\n    enabled: maybe\n",
			[]string{"platforms.api_server.enabled", "true or false"},
		},
		{
			"section scalar", "gateway: fast\n",
			[]string{"line 1", "gateway", "must be a mapping"},
		},
		{"root list", "- a\n- b\n", []string{"line 1", "must be a mapping"}},
		{
			"duplicate", "agent:\n  model: a\n  model: b\n",
			[]string{"agent.model", "set twice, at lines 2 and 3"},
		},
		{
			"second document", "agent:\n  model: a\n---\nagent:\n  model: b\n",
			[]string{"line 3", "second YAML document"},
		},
		{
			"merge key", "base: &b {model: a}\nagent:\n  <<: *b\n",
			[]string{"line 3", "merge keys"},
		},
		{"list key", "agent:\n  [a]: b\n", []string{"line 2", "plain name"}},
		{
			"string as list", "agent:\n  model: [a, b]\n",
			[]string{"agent.model", "a list", "single value"},
		},
		{
			"cors mapping", "platforms:\n  api_server:\n    cors_origins: {a: b}\n",
			[]string{"cors_origins", "list of strings"},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := writeHome(t, map[string]string{ConfigFileName: tt.yaml})

			_, err := Read(home, nil)

			parts := append([]string{filepath.Join(home, ConfigFileName)}, tt.parts...)
			requireErrorContains(t, err, parts...)
			if !errors.Is(err, ErrConfigFile) {
				t.Errorf("error %v does not wrap ErrConfigFile", err)
			}
		})
	}
}

func TestReadYAMLErrorHidesKey(t *testing.T) {
	const secret = "sekrit-value-0123456789"
	home := writeHome(t, map[string]string{ConfigFileName: "platforms:\n  api_server:\n" +
		"    key:\n      value: " + secret + "\nagent:\n  api_key: {v: " + secret + "}\n"})

	_, err := Read(home, nil)

	requireErrorContains(t, err, "platforms.api_server.key", "agent.api_key")
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error contains the key: %v", err)
	}
}

func TestReadEnvFileErrors(t *testing.T) {
	const secret = "sk-pasted-without-a-name-0123456789"
	home := writeHome(t, map[string]string{
		EnvFileName: "# keys\nAPI_SERVER_PORT=9000\n" + secret + "\n",
	})

	_, err := Read(home, nil)

	requireErrorContains(t, err, filepath.Join(home, EnvFileName), "line 3", "NAME=VALUE")
	if !errors.Is(err, ErrEnvFile) {
		t.Errorf("error %v does not wrap ErrEnvFile", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error contains the line's text: %v", err)
	}
}

func TestReadWithoutHome(t *testing.T) {
	res := mustRead(t, "", map[string]string{"API_SERVER_MODEL_NAME": "m"})

	if res.Config.Home != "" {
		t.Errorf("Home = %q, want empty", res.Config.Home)
	}
	if len(res.Files) != 0 {
		t.Errorf("Files = %v, want none", res.Files)
	}
	if res.Config.Platforms.APIServer.ModelName != "m" {
		t.Errorf("ModelName = %q, want m", res.Config.Platforms.APIServer.ModelName)
	}
}

func TestReadMissingHomeFolder(t *testing.T) {
	home := filepath.Join(t.TempDir(), "absent")

	res := mustRead(t, home, nil)

	if res.Config.Platforms.APIServer.Port != DefaultAPIPort {
		t.Errorf("Port = %d, want default", res.Config.Platforms.APIServer.Port)
	}
}

func TestReadFileProblems(t *testing.T) {
	t.Run("config is a folder", func(t *testing.T) {
		home := t.TempDir()
		if err := os.Mkdir(filepath.Join(home, ConfigFileName), 0o700); err != nil {
			t.Fatal(err)
		}

		_, err := Read(home, nil)

		requireErrorContains(t, err, filepath.Join(home, ConfigFileName))
		if !errors.Is(err, ErrConfigFile) {
			t.Errorf("error %v does not wrap ErrConfigFile", err)
		}
	})

	t.Run("config too large", func(t *testing.T) {
		big := "# " + strings.Repeat("x", maxFileBytes) + "\n"
		home := writeHome(t, map[string]string{ConfigFileName: big})

		_, err := Read(home, nil)

		requireErrorContains(t, err, "larger than")
	})
}

func TestReadWarnsAboutFiles(t *testing.T) {
	home := writeHome(t, map[string]string{
		"config.yml": "agent:\n  model: a\n",
		EnvFileName:  "API_SERVER_KEY=" + testKey + "\n",
	})
	envPath := filepath.Join(home, EnvFileName)
	if err := os.Chmod(envPath, 0o644); err != nil {
		t.Fatal(err)
	}

	res := mustRead(t, home, nil)

	if len(res.Warnings) != 2 {
		t.Fatalf("warnings = %v, want 2", res.Warnings)
	}
	requireErrorContains(t, errors.New(res.Warnings[0].String()),
		"config.yml", "rename it to config.yaml")
	requireErrorContains(t, errors.New(res.Warnings[1].String()),
		envPath, "0644", "chmod 600")
	if res.Config.Agent.Model != "" {
		t.Errorf("config.yml was read")
	}
}

func TestLoadLogsWarnings(t *testing.T) {
	home := writeHome(t, map[string]string{
		ConfigFileName: "platforms:\n  api_server:\n    api_key: x\n",
		EnvFileName:    "API_SERVER_KEY=" + testKey + "\n",
	})
	core, logs := observer.New(zapcore.DebugLevel)

	cfg, err := Load(home, nil, zap.New(core))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}

	warns := logs.FilterLevelExact(zapcore.WarnLevel).All()
	if len(warns) != 1 {
		t.Fatalf("got %d warn entries, want 1", len(warns))
	}
	fields := warns[0].ContextMap()
	if fields["key"] != "platforms.api_server.api_key" || fields["suggestion"] != "key" {
		t.Errorf("warn fields = %v", fields)
	}
	if logs.FilterMessage("configuration loaded").Len() != 1 {
		t.Errorf("no info entry for the loaded configuration")
	}
	for _, entry := range logs.All() {
		for k, v := range entry.ContextMap() {
			if strings.Contains(fmtAny(v), testKey) {
				t.Errorf("log field %s contains the key", k)
			}
		}
	}
	if cfg.Platforms.APIServer.Key != testKey {
		t.Errorf("Key not loaded from .env")
	}
}

func TestLoadLogsFileWarning(t *testing.T) {
	home := writeHome(t, map[string]string{EnvFileName: "AGENT_MODEL=m\n"})
	if err := os.Chmod(filepath.Join(home, EnvFileName), 0o640); err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.DebugLevel)

	if _, err := Load(home, nil, zap.New(core)); err != nil {
		t.Fatalf("Load: %v", err)
	}

	entries := logs.FilterMessage("configuration file problem").All()
	if len(entries) != 1 {
		t.Fatalf("got %d file warnings, want 1", len(entries))
	}
	if kind := entries[0].ContextMap()["kind"]; kind != WarningFileMode {
		t.Errorf("kind = %v, want %s", kind, WarningFileMode)
	}
}

func TestLoadErrorStillLogsWarnings(t *testing.T) {
	home := writeHome(t, map[string]string{
		ConfigFileName: "colour: blue\nagent:\n  timeout: 5\n",
	})
	core, logs := observer.New(zapcore.DebugLevel)

	cfg, err := Load(home, nil, zap.New(core))

	if !errors.Is(err, ErrConfigFile) {
		t.Errorf("error = %v, want ErrConfigFile", err)
	}
	if cfg.Platforms.APIServer.Port != 0 {
		t.Errorf("Load returned a config with its error")
	}
	if logs.FilterMessage("unknown configuration key").Len() != 1 {
		t.Errorf("unknown key not logged")
	}
}

func TestLoadNilLogger(t *testing.T) {
	if _, err := Load("", nil, nil); err != nil {
		t.Fatalf("Load: %v", err)
	}
}
