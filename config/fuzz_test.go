package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoadYAML feeds arbitrary bytes as config.yaml through Load and every
// check that runs on the result. None of them may panic, and an error must
// wrap ErrConfigFile.
func FuzzLoadYAML(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte("platforms:\n  api_server:\n    key: " + testKey + "\n    port: 9000\n"))
	f.Add([]byte("gateway: {backoff_base: 1s, backoff_cap: 1ms}\nagent: {backend: openai}\n"))
	f.Add([]byte("a: &a [*a]\nplatforms: &p {api_server: *p}\n"))

	// Each fuzz worker calls the target sequentially, so one folder per
	// worker is enough and much faster than one per input.
	home := f.TempDir()
	path := filepath.Join(home, ConfigFileName)

	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}

		cfg, err := Load(home, nil, nil)
		if err != nil {
			if !errors.Is(err, ErrConfigFile) {
				t.Fatalf("error %v does not wrap ErrConfigFile", err)
			}

			return
		}

		_ = cfg.Validate()
		_ = cfg.APIServerEnrollment()
		_ = fmt.Sprintf("%+v %#v", cfg, cfg.Redacted())
		_ = cfg.Platforms.APIServer.Addr()
		_ = cfg.Platforms.APIServer.ResolvedDBPath(home)
	})
}

// FuzzParseDotEnv checks that parsing never panics and that an error never
// quotes the file's text.
func FuzzParseDotEnv(f *testing.F) {
	f.Add("A=1\nexport B='x'\nC=\"a\\nb\" # c\n")
	f.Add("KEY=\"open\n")
	f.Add("novalue-secretmarker\n")

	f.Fuzz(func(t *testing.T, text string) {
		vars, err := parseDotEnv(text)
		if err != nil {
			const marker = "secretmarker"
			if strings.Contains(text, marker) && strings.Contains(err.Error(), marker) {
				t.Fatalf("error quotes the text: %v", err)
			}

			return
		}

		for name := range vars {
			if name == "" || strings.ContainsAny(name, " =\n") {
				t.Fatalf("parsed a bad name %q", name)
			}
		}
	})
}
