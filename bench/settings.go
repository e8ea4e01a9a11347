package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// settings are the harness's flags after defaults and validation. Every
// JSON result file records them.
type settings struct {
	Scenarios   []string      `json:"scenarios"`
	Quick       bool          `json:"quick"`
	Concurrency int           `json:"concurrency"`
	Duration    time.Duration `json:"duration_ns"`
	Warmup      time.Duration `json:"warmup_ns"`
	Rounds      int           `json:"rounds"`
	Failures    int           `json:"failures"`
	Streams     int           `json:"streams"`
	MaxRequests int64         `json:"max_requests"`
	LogLevel    string        `json:"gateway_log_level"`
	Out         string        `json:"-"`
	Keep        bool          `json:"-"`
	// Profile is the folder for gateway profiles; when set, the gateway
	// runs under the CPU profiler.
	Profile string `json:"profile,omitempty"`
}

// Defaults of a full run and of a -quick run.
var (
	fullDefaults = settings{
		Concurrency: 64, Duration: 4 * time.Second, Warmup: time.Second, Rounds: 3,
		Failures: 10_000, Streams: 1000, MaxRequests: 2_000_000, LogLevel: "info",
	}
	quickDefaults = settings{
		Concurrency: 64, Duration: 500 * time.Millisecond, Warmup: 200 * time.Millisecond,
		Rounds: 1, Failures: 500, Streams: 100, MaxRequests: 2_000_000, LogLevel: "info",
	}
)

// scenarioOrder is the order of a run of every scenario. restart runs
// first so that no goroutine or connection left from another scenario can
// end during it and skew its counts.
var scenarioOrder = []string{"restart", "store", "api", "echo", "stream", "memory"}

// Limits of the flags, so that a typo cannot start an unbounded run.
const (
	maxConcurrency = 4096
	maxDuration    = 10 * time.Minute
	maxRounds      = 20
	maxFailures    = 1_000_000
	maxStreams     = 10_000
)

// parseSettings parses the command line. An explicit flag wins over the
// defaults that -quick selects.
func parseSettings(args []string, stderr io.Writer) (settings, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scenario := fs.String("scenario", "all",
		"scenario to run: all, or a comma-separated list of "+strings.Join(scenarioOrder, ", "))
	quick := fs.Bool("quick", false, "run each scenario for a few seconds (a smoke test; "+
		"results go to a temporary folder unless -out is set)")
	concurrency := fs.Int("concurrency", 0, "concurrent requests or writers (default 64)")
	duration := fs.Duration("duration", 0, "measured time per target and round "+
		"(default 4s, 500ms with -quick)")
	warmup := fs.Duration("warmup", 0, "unmeasured load before each measurement "+
		"(default 1s, 200ms with -quick)")
	rounds := fs.Int("rounds", 0, "rounds of every target, run in turn so that drift "+
		"spreads evenly (default 3, 1 with -quick)")
	failures := fs.Int("failures", 0, "forced adapter failures in the restart scenario "+
		"(default 10000, 500 with -quick)")
	streams := fs.Int("streams", 0, "idle open streams in the memory scenario "+
		"(default 1000, 100 with -quick)")
	maxRequests := fs.Int64("max-requests", 0, "most requests counted in one measurement; "+
		"it ends early when reached (default 2000000)")
	logLevel := fs.String("gateway-log-level", "", "ACTORGATE_LOG_LEVEL of the gateway "+
		"process: debug, info, warn or error (default info, the binary's default)")
	out := fs.String("out", "", "folder for the JSON results and charts "+
		"(default bench/results, a temporary folder with -quick)")
	profile := fs.String("profile", "", "write CPU and heap profiles to this `folder`: "+
		"the gateway process runs in-process under the profiler, and the harness profiles "+
		"itself for the store and restart scenarios (figures then include the "+
		"profiler's cost)")
	keep := fs.Bool("keep", false, "keep the work folder (binaries, server logs, databases) "+
		"and print its path")
	if err := fs.Parse(args); err != nil {
		return settings{}, err
	}
	if fs.NArg() > 0 {
		return settings{}, fmt.Errorf("%w: unexpected arguments %q; pass options as flags",
			errInvalidSettings, fs.Args())
	}

	s := fullDefaults
	if *quick {
		s = quickDefaults
	}
	s.Quick = *quick
	s.Out = *out
	s.Keep = *keep
	s.Profile = *profile
	setIfNonZero(&s.Concurrency, *concurrency)
	setIfNonZero(&s.Duration, *duration)
	setIfNonZero(&s.Warmup, *warmup)
	setIfNonZero(&s.Rounds, *rounds)
	setIfNonZero(&s.Failures, *failures)
	setIfNonZero(&s.Streams, *streams)
	setIfNonZero(&s.MaxRequests, *maxRequests)
	setIfNonZero(&s.LogLevel, *logLevel)

	names, err := parseScenarios(*scenario)
	if err != nil {
		return settings{}, err
	}
	s.Scenarios = names
	return s, s.validate()
}

func setIfNonZero[T comparable](dst *T, v T) {
	var zero T
	if v != zero {
		*dst = v
	}
}

// parseScenarios expands "all" and checks every name.
func parseScenarios(value string) ([]string, error) {
	if value == "all" || value == "" {
		return slices.Clone(scenarioOrder), nil
	}
	var names []string
	for name := range strings.SplitSeq(value, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(scenarioOrder, name) {
			return nil, fmt.Errorf("%w: %q; use all or one of %s", errUnknownScenario, name,
				strings.Join(scenarioOrder, ", "))
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	// Run in the canonical order whatever the order of the list.
	slices.SortFunc(names, func(a, b string) int {
		return slices.Index(scenarioOrder, a) - slices.Index(scenarioOrder, b)
	})
	return names, nil
}

func (s settings) validate() error {
	checks := []struct {
		ok   bool
		flag string
		got  any
		want string
	}{
		{
			s.Concurrency >= 1 && s.Concurrency <= maxConcurrency, "-concurrency", s.Concurrency,
			fmt.Sprintf("a count from 1 to %d", maxConcurrency),
		},
		{
			s.Duration > 0 && s.Duration <= maxDuration, "-duration", s.Duration,
			"a positive duration up to " + maxDuration.String(),
		},
		{
			s.Warmup >= 0 && s.Warmup <= maxDuration, "-warmup", s.Warmup,
			"a duration from 0 to " + maxDuration.String(),
		},
		{
			s.Rounds >= 1 && s.Rounds <= maxRounds, "-rounds", s.Rounds,
			fmt.Sprintf("a count from 1 to %d", maxRounds),
		},
		{
			s.Failures >= 1 && s.Failures <= maxFailures, "-failures", s.Failures,
			fmt.Sprintf("a count from 1 to %d", maxFailures),
		},
		{
			s.Streams >= 1 && s.Streams <= maxStreams, "-streams", s.Streams,
			fmt.Sprintf("a count from 1 to %d", maxStreams),
		},
		{s.MaxRequests >= 1, "-max-requests", s.MaxRequests, "a positive count"},
		{
			slices.Contains([]string{"debug", "info", "warn", "error"}, s.LogLevel),
			"-gateway-log-level", s.LogLevel, "debug, info, warn or error",
		},
	}
	for _, c := range checks {
		if !c.ok {
			return fmt.Errorf("%w: %s is %v; use %s", errInvalidSettings, c.flag, c.got, c.want)
		}
	}
	return nil
}
