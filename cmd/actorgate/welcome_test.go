package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/actorgate/actorgate/config"
)

func TestKeyLocationFollowsPrecedence(t *testing.T) {
	const (
		envKey  = "Kq2v9WmX4tLp8sRz"
		fileKey = "Hb7nC3yDf6Jg1VwQ"
		yamlKey = "Ts5eR8uPa2Zk4MxN"
	)
	cases := []struct {
		name        string
		yaml, env   bool
		environment bool
		want        string
	}{
		{"config.yaml only", true, false, false, "platforms.api_server.key in "},
		{".env over config.yaml", true, true, false, "API_SERVER_KEY in "},
		{"environment over both", true, true, true, "the API_SERVER_KEY environment variable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			wantPath := ""
			if tc.yaml {
				wantPath = filepath.Join(home, config.ConfigFileName)
				writeFile(t, wantPath, "platforms:\n  api_server:\n    key: "+yamlKey+"\n")
			}
			if tc.env {
				wantPath = filepath.Join(home, config.EnvFileName)
				writeFile(t, wantPath, "API_SERVER_KEY="+fileKey+"\n")
			}
			getenv := func(string) string { return "" }
			if tc.environment {
				wantPath = ""
				getenv = func(name string) string {
					if name == "API_SERVER_KEY" {
						return envKey
					}
					return ""
				}
			}
			res, err := config.Read(home, getenv)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			got := keyLocation(res.Config.Platforms.APIServer)
			if !strings.HasPrefix(got, tc.want) || !strings.HasSuffix(got, wantPath) {
				t.Errorf("keyLocation = %q, want %q followed by %q", got, tc.want, wantPath)
			}
		})
	}
}
