package main

import "time"

// targetFigures are the merged figures of every round of one target.
type targetFigures struct {
	Target      string `json:"target"`
	Concurrency int    `json:"concurrency"`
	// Requests counts the successful requests in the measured windows.
	Requests  int64 `json:"requests"`
	Errors    int64 `json:"errors"`
	Non200    int64 `json:"non_200"`
	Malformed int64 `json:"malformed"`
	// FirstError is the first failure seen, if any.
	FirstError string  `json:"first_error,omitempty"`
	Seconds    float64 `json:"seconds"`
	// Throughput is successful requests per second over all rounds.
	Throughput      float64        `json:"requests_per_second"`
	RoundThroughput []float64      `json:"round_requests_per_second"`
	Latency         latencySummary `json:"latency"`
	// TTFT is the time to the first content chunk of streams.
	TTFT *latencySummary `json:"ttft,omitempty"`
	// EventsPerStream is the mean number of data events per stream.
	EventsPerStream float64 `json:"events_per_stream,omitempty"`
	// CPUPerRequestUS is CPU time per successful request in microseconds,
	// by process ("harness" is the load generator).
	CPUPerRequestUS map[string]float64 `json:"cpu_us_per_request"`
	// CPUCores is the mean number of cores each process kept busy.
	CPUCores map[string]float64 `json:"cpu_cores"`

	latencies []time.Duration
	ttfts     []time.Duration
}

// mergeRounds merges the results of every round of one target.
func mergeRounds(name string, concurrency int, rounds []loadResult) targetFigures {
	f := targetFigures{
		Target: name, Concurrency: concurrency,
		CPUPerRequestUS: map[string]float64{}, CPUCores: map[string]float64{},
	}
	var elapsed time.Duration
	var events int64
	cpu := map[string]float64{}
	for _, r := range rounds {
		f.Requests += r.OK
		f.Errors += r.Errors
		f.Non200 += r.Non200
		f.Malformed += r.Malformed
		if f.FirstError == "" {
			f.FirstError = r.FirstError
		}
		elapsed += r.Elapsed
		events += r.Events
		f.latencies = append(f.latencies, r.Latencies...)
		f.ttfts = append(f.ttfts, r.TTFT...)
		f.RoundThroughput = append(f.RoundThroughput, ratio(float64(r.OK), r.Elapsed.Seconds()))
		for k, v := range r.CPU {
			cpu[k] += v
		}
	}
	f.Seconds = elapsed.Seconds()
	f.Throughput = ratio(float64(f.Requests), f.Seconds)
	f.Latency = summarize(f.latencies)
	if len(f.ttfts) > 0 {
		s := summarize(f.ttfts)
		f.TTFT = &s
		f.EventsPerStream = ratio(float64(events), float64(f.Requests))
	}
	for k, v := range cpu {
		f.CPUPerRequestUS[k] = ratio(v*1e6, float64(f.Requests))
		f.CPUCores[k] = ratio(v, f.Seconds)
	}
	return f
}

// failures is the number of failed requests of every kind.
func (f *targetFigures) failures() int64 {
	return f.Errors + f.Non200 + f.Malformed
}

// roundRobin runs each target once per round, in turn, so that drift of
// the machine spreads over all targets instead of hitting one. It returns
// the results of every round by target index.
func roundRobin(rounds int, targets []target, runOne func(target) (loadResult, error),
) ([][]loadResult, error) {
	out := make([][]loadResult, len(targets))
	for range rounds {
		for i, t := range targets {
			r, err := runOne(t)
			if err != nil {
				return nil, err
			}
			out[i] = append(out[i], r)
		}
	}
	return out, nil
}
