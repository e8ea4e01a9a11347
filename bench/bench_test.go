package main

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestQuickInProcessScenarios runs the harness the way CI does for the
// scenarios that need no binaries, and checks what it wrote.
func TestQuickInProcessScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the store and restart scenarios for a few seconds")
	}
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{
		"-quick", "-scenario", "store,restart", "-failures", "200",
		"-out", out,
	}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("run exited %d\nstdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
	}

	store := readResult(t, filepath.Join(out, "store.json"))
	for _, key := range []string{"throughput_vs_per_row", "throughput_vs_batched"} {
		if v, ok := store.Ratios[key]; !ok || v <= 0 {
			t.Errorf("store ratio %s = %v, present %t; want a positive ratio", key, v, ok)
		}
	}
	var sf storeFigures
	decodeFigures(t, store, &sf)
	for _, v := range sf.Variants {
		if v.Rows == 0 {
			t.Errorf("store variant %s wrote no rows", v.Name)
		}
		if v.Errors != 0 {
			t.Errorf("store variant %s had %d failed writes: %s", v.Name, v.Errors, v.FirstError)
		}
	}

	restart := readResult(t, filepath.Join(out, "restart.json"))
	var rf restartFigures
	decodeFigures(t, restart, &rf)
	if rf.Restart.Count != 200 {
		t.Errorf("restart latencies recorded: %d, want 200", rf.Restart.Count)
	}
	if rf.FDDelta != 0 {
		t.Errorf("file descriptors: %d before, %d after", rf.Before.FDs, rf.After.FDs)
	}
	if rf.GoroutineDelta != 0 {
		t.Errorf("goroutines: %d before, %d after", rf.Before.Goroutines, rf.After.Goroutines)
	}
	if len(rf.Samples) != 3 {
		t.Errorf("restart samples: %d, want 3 (at 0, 100 and 200 failures)", len(rf.Samples))
	}
	if rf.StoreErrors != 0 {
		t.Errorf("%d store probes failed: %s", rf.StoreErrors, rf.FirstError)
	}

	for _, r := range []*result{store, restart} {
		checkMachine(t, r)
		checkPNG(t, filepath.Join(out, r.Chart))
	}
}

func readResult(t *testing.T, path string) *result {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &r
}

// decodeFigures decodes the figures of r, which arrive as a map, into dst.
func decodeFigures(t *testing.T, r *result, dst any) {
	t.Helper()
	b, err := json.Marshal(r.Figures)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, dst); err != nil {
		t.Fatalf("%s figures: %v", r.Scenario, err)
	}
}

func checkMachine(t *testing.T, r *result) {
	t.Helper()
	m := r.Machine
	if m.GoVersion == "" || m.CPUModel == "" || m.Cores < 1 || m.Commit == "" {
		t.Errorf("%s machine is incomplete: %+v", r.Scenario, m)
	}
	if !r.Settings.Quick {
		t.Errorf("%s settings do not record -quick", r.Scenario)
	}
}

func checkPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", path, err)
	}
	if cfg.Width < 400 || cfg.Height < 200 {
		t.Errorf("%s is %dx%d, too small for a chart", path, cfg.Width, cfg.Height)
	}
}
