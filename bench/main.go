package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run runs the scenarios the flags select and returns the exit code: 0
// when every scenario produced its result (whether or not the gateway met
// its targets), 1 when one failed, 2 for invalid flags.
func run(args []string, stdout, stderr io.Writer) int {
	s, err := parseSettings(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	h, err := newHarness(ctx, s, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	defer h.close()

	failed := false
	for _, name := range s.Scenarios {
		if err := h.runScenario(ctx, name); err != nil {
			fmt.Fprintf(stderr, "bench: scenario %s failed: %v\n", name, err)
			failed = true
		}
		if ctx.Err() != nil {
			break
		}
	}
	if failed || ctx.Err() != nil {
		return 1
	}
	return 0
}
