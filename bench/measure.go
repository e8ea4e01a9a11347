package main

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// measure runs every target at concurrency c for every round, in turn,
// and merges the rounds of each target.
func (h *harness) measure(ctx context.Context, client *http.Client, bar *progress,
	targets []target, c int,
) ([]targetFigures, error) {
	round := 0
	runOne := func(t target) (loadResult, error) {
		if t.name == targets[0].name {
			round++
		}
		bar.describe(fmt.Sprintf("%-18s c=%-4d round %d/%d", t.name, c, round, h.s.Rounds))
		r, err := runLoad(ctx, client, t, h.loadConfig(c), bar.addDuration)
		if err != nil {
			return r, fmt.Errorf("measuring %s at concurrency %d: %w", t.name, c, err)
		}
		return r, nil
	}
	results, err := roundRobin(h.s.Rounds, targets, runOne)
	if err != nil {
		return nil, err
	}
	figs := make([]targetFigures, len(targets))
	for i, t := range targets {
		figs[i] = mergeRounds(t.name, c, results[i])
	}
	return figs, nil
}

// failureNotes returns one note per target that had failed requests, so
// that a fast but failing run is visible next to its throughput.
func failureNotes(figs ...targetFigures) []string {
	var notes []string
	for _, f := range figs {
		if n := f.failures(); n > 0 {
			notes = append(notes, fmt.Sprintf("%s at concurrency %d: %d failed requests "+
				"(%d errors, %d non-200, %d malformed); first: %s", f.Target, f.Concurrency, n,
				f.Errors, f.Non200, f.Malformed, f.FirstError))
		}
		if f.Requests == 0 {
			notes = append(notes, fmt.Sprintf("%s at concurrency %d: no successful request, "+
				"so its ratios are 0", f.Target, f.Concurrency))
		}
	}
	return notes
}

// addedLatency is the latency a target adds over the direct mock at
// concurrency 1.
type addedLatency struct {
	Target string  `json:"target"`
	P50US  float64 `json:"p50_us"`
	MeanUS float64 `json:"mean_us"`
	P99US  float64 `json:"p99_us"`
}

func addedOver(base, f targetFigures) addedLatency {
	return addedLatency{
		Target: f.Target,
		P50US:  f.Latency.P50US - base.Latency.P50US,
		MeanUS: f.Latency.MeanUS - base.Latency.MeanUS,
		P99US:  f.Latency.P99US - base.Latency.P99US,
	}
}

// throughputBars returns one bar per target.
func throughputBars(figs []targetFigures) []bar {
	bars := make([]bar, len(figs))
	for i, f := range figs {
		bars[i] = bar{label: f.Target, value: f.Throughput}
	}
	return bars
}

// latencySamples returns the latency distribution of each target.
func latencySamples(figs []targetFigures) []durations {
	out := make([]durations, len(figs))
	for i, f := range figs {
		out[i] = durations{name: f.Target, values: f.latencies}
	}
	return out
}

// ttftSamples returns the time-to-first-token distribution of each target.
func ttftSamples(figs []targetFigures) []durations {
	out := make([]durations, len(figs))
	for i, f := range figs {
		out[i] = durations{name: f.Target, values: f.ttfts}
	}
	return out
}

// usToDuration converts microseconds to a duration, for messages.
func usToDuration(us float64) time.Duration {
	return time.Duration(us * float64(time.Microsecond))
}
