package wire

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// TestMain fails the run when a test leaves a goroutine behind; the SSE
// tests start HTTP servers.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// checkGolden compares got with testdata/golden/name, or rewrites the file
// when -update is set. got must be valid JSON unless name ends in .sse.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	if filepath.Ext(name) == ".json" && !json.Valid(got) {
		t.Fatalf("%s: output is not valid JSON: %s", name, got)
	}
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("writing golden file: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file\n got: %s\nwant: %s", name, got, want)
	}
}

// mustUnmarshal decodes JSON into v, failing the test on error.
func mustUnmarshal(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("unmarshal %s: %v", data, err)
	}
}
