package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// nodeTestsEnv turns on the Node conformance run.
const nodeTestsEnv = "ACTORGATE_NODE_TESTS"

// TestNodeConformance runs tests/node (the official OpenAI Node SDK) against
// the real binary with the echo agent. It runs only when
// ACTORGATE_NODE_TESTS=1, and then fails when node or the SDK is missing.
func TestNodeConformance(t *testing.T) {
	if os.Getenv(nodeTestsEnv) != "1" {
		t.Skipf("set %s=1 to run the Node SDK conformance tests in tests/node "+
			"(needs node 20 or newer and npm ci in tests/node)", nodeTestsEnv)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("%s=1 but node is not on PATH: %v; install Node.js 20 or newer", nodeTestsEnv, err)
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	sdk := filepath.Join(root, "tests", "node", "node_modules", "openai")
	if _, err := os.Stat(sdk); err != nil {
		t.Fatalf("%s=1 but the OpenAI Node SDK is missing (%v); run npm ci in tests/node",
			nodeTestsEnv, err)
	}

	p := startGateway(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "tests/node/")
	cmd.Dir = root
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"OPENAI_BASE_URL=" + p.baseURL() + "/v1",
		"OPENAI_API_KEY=" + p.key,
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test tests/node/ failed: %v\n%s", err, out)
	}
	t.Logf("node --test tests/node/:\n%s", out)
}
