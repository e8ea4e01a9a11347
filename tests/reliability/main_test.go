//go:build reliability

package reliability

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// binary is the actorgate binary, built once for the suite without the
// race detector, so that load and crash tests measure the product rather
// than the detector.
var binary string

// suiteMode is the mode the suite runs in, read once by TestMain.
var suiteMode mode

// tally counts what the suite did. TestMain prints it at the end, so that
// a run reports how many faults it injected and what it verified.
var tally struct {
	crashTrials       atomic.Int64
	responsesVerified atomic.Int64
	faultsInjected    atomic.Int64
	logLinesScanned   atomic.Int64
}

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	var err error
	suiteMode, err = modeFromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "reliability:", err)
		return 2
	}
	if err := raiseFileLimit(); err != nil {
		fmt.Fprintln(os.Stderr, "reliability: raising RLIMIT_NOFILE failed:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "actorgate-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "reliability:", err)
		return 1
	}
	defer func() { _ = os.RemoveAll(dir) }()
	binary = filepath.Join(dir, "actorgate")
	build := exec.Command("go", "build", "-o", binary, "../../cmd/actorgate")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "reliability: building actorgate failed:", err)
		return 1
	}

	code := m.Run()
	fmt.Printf("reliability %s mode: crash_trials=%d responses_verified=%d faults_injected=%d "+
		"log_lines_scanned=%d\n", suiteMode.name, tally.crashTrials.Load(),
		tally.responsesVerified.Load(), tally.faultsInjected.Load(), tally.logLinesScanned.Load())
	if code == 0 {
		if err := findLeaks(); err != nil {
			fmt.Fprintln(os.Stderr, "reliability: goroutines left after the suite:", err)
			code = 1
		}
	}
	return code
}

// findLeaks calls goleak.Find until it finds no goroutine left or 5 s have
// passed. After a dead letter, protoactor-go keeps a throttle goroutine for
// 1 s, longer than goleak.Find retries by default.
func findLeaks() error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := goleak.Find()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// raiseFileLimit sets this process's soft RLIMIT_NOFILE to its hard limit.
// Setting it through syscall.Setrlimit also makes the child processes
// inherit the raised limit, where Go would otherwise restore the original
// one for them.
func raiseFileLimit() error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	lim.Cur = lim.Max
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
}
