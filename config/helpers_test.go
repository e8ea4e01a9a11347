package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testKey is a key that Enrollment accepts.
const testKey = "k3y-for-tests-0123456789abcdef"

// writeHome creates a data folder holding files, a map from file name to
// contents, and returns its path.
func writeHome(t *testing.T, files map[string]string) string {
	t.Helper()

	home := t.TempDir()
	for name, content := range files {
		path := filepath.Join(home, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatalf("writing %s: %v", path, err)
		}
	}

	return home
}

// envOf returns a getenv that reads vars.
func envOf(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

// mustRead calls Read and fails the test on error.
func mustRead(t *testing.T, home string, env map[string]string) LoadResult {
	t.Helper()

	res, err := Read(home, envOf(env))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}

	return res
}

// requireErrorContains fails unless err is not nil and its message
// contains every one of parts.
func requireErrorContains(t *testing.T, err error, parts ...string) {
	t.Helper()

	if err == nil {
		t.Fatalf("error = nil, want one containing %q", parts)
	}
	for _, part := range parts {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not contain %q", err, part)
		}
	}
}

func boolPtr(b bool) *bool { return &b }

// fmtAny formats a log field value for a substring search.
func fmtAny(v any) string {
	return fmt.Sprint(v)
}
