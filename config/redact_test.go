package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"gopkg.in/yaml.v3"
)

const upstreamKey = "upstream-secret-key-0987654321"

func secretConfig() Config {
	cfg := Default()
	cfg.Home = "/srv/gate"
	cfg.Platforms.APIServer.Key = testKey
	cfg.Platforms.APIServer.Enabled = boolPtr(true)
	cfg.Platforms.APIServer.CORSOrigins = []string{"http://localhost:3000"}
	cfg.Agent.APIKey = upstreamKey

	return cfg
}

func TestConfigNeverPrintsKeys(t *testing.T) {
	cfg := secretConfig()
	api := cfg.Platforms.APIServer

	outputs := map[string]string{
		"Sprint": fmt.Sprint(cfg),
		"slice":  fmt.Sprint([]APIServerConfig{api}),
	}
	// The verbs come from a slice so that vet accepts %d on a struct, which
	// is the case that would print a string field without Format.
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%q"} {
		outputs[verb] = fmt.Sprintf(verb, cfg)
		outputs["pointer "+verb] = fmt.Sprintf(verb, &cfg)
		outputs["api server "+verb] = fmt.Sprintf(verb, api)
		outputs["agent "+verb] = fmt.Sprintf(verb, cfg.Agent)
	}

	jsonOut, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	outputs["json"] = string(jsonOut)

	yamlOut, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	outputs["yaml"] = string(yamlOut)

	var buf bytes.Buffer
	logger := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()),
		zapcore.AddSync(&buf), zapcore.DebugLevel))
	logger.Info("cfg", zap.Any("config", cfg), zap.Stringer("api", api))
	outputs["zap"] = buf.String()

	for name, out := range outputs {
		if strings.Contains(out, testKey) || strings.Contains(out, upstreamKey) {
			t.Errorf("%s output contains a key: %s", name, out)
		}
		if !strings.Contains(out, RedactedText) && !strings.HasSuffix(name, "%x") {
			t.Errorf("%s output has no %s: %s", name, RedactedText, out)
		}
	}
}

func TestStringShowsValues(t *testing.T) {
	api := secretConfig().Platforms.APIServer

	got := api.String()

	for _, part := range []string{
		"Enabled:true", "Host:127.0.0.1", "Port:8642",
		"Key:[redacted]", "CORSOrigins:[http://localhost:3000]", "KeepAlive:30s",
	} {
		if !strings.Contains(got, part) {
			t.Errorf("String() = %s, missing %s", got, part)
		}
	}
	if !strings.HasPrefix(fmt.Sprintf("%#v", api), "config.APIServerConfig{") {
		t.Errorf("%%#v = %#v", api)
	}
	if !strings.Contains(APIServerConfig{}.String(), "Enabled:<nil>") {
		t.Errorf("nil Enabled not shown as <nil>: %s", APIServerConfig{})
	}
}

func TestYAMLOutputReadsBack(t *testing.T) {
	out, err := yaml.Marshal(secretConfig())
	if err != nil {
		t.Fatal(err)
	}
	home := writeHome(t, map[string]string{ConfigFileName: string(out)})

	res := mustRead(t, home, nil)

	if len(res.Warnings) != 0 {
		t.Errorf("marshalled config has unknown keys: %v\n%s", res.Warnings, out)
	}
	if res.Config.Platforms.APIServer.Key != RedactedText {
		t.Errorf("read-back key is not the redacted text")
	}
}

func TestRedacted(t *testing.T) {
	cfg := secretConfig()

	red := cfg.Redacted()

	if red.Platforms.APIServer.Key != RedactedText || red.Agent.APIKey != RedactedText {
		t.Errorf("keys not redacted")
	}
	if cfg.Platforms.APIServer.Key != testKey || cfg.Agent.APIKey != upstreamKey {
		t.Errorf("Redacted changed the original")
	}

	*red.Platforms.APIServer.Enabled = false
	red.Platforms.APIServer.CORSOrigins[0] = "changed"
	if !*cfg.Platforms.APIServer.Enabled || cfg.Platforms.APIServer.CORSOrigins[0] == "changed" {
		t.Errorf("Redacted shares memory with the original")
	}

	empty := Default().Redacted()
	if empty.Platforms.APIServer.Key != "" || empty.Agent.APIKey != "" {
		t.Errorf("empty keys became %q and %q, want empty",
			empty.Platforms.APIServer.Key, empty.Agent.APIKey)
	}
}
