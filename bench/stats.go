package main

import (
	"math"
	"slices"
	"time"
)

// latencySummary is the distribution of a set of durations, in
// microseconds so that the JSON stays readable.
type latencySummary struct {
	Count  int     `json:"count"`
	MeanUS float64 `json:"mean_us"`
	P50US  float64 `json:"p50_us"`
	P90US  float64 `json:"p90_us"`
	P99US  float64 `json:"p99_us"`
	P999US float64 `json:"p999_us"`
	MaxUS  float64 `json:"max_us"`
}

// summarize sorts ds in place and returns its distribution. An empty
// slice gives a zero summary.
func summarize(ds []time.Duration) latencySummary {
	if len(ds) == 0 {
		return latencySummary{}
	}
	slices.Sort(ds)
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return latencySummary{
		Count:  len(ds),
		MeanUS: micros(sum) / float64(len(ds)),
		P50US:  micros(percentile(ds, 50)),
		P90US:  micros(percentile(ds, 90)),
		P99US:  micros(percentile(ds, 99)),
		P999US: micros(percentile(ds, 99.9)),
		MaxUS:  micros(ds[len(ds)-1]),
	}
}

// percentile returns the nearest-rank percentile p (0 < p <= 100) of a
// sorted, non-empty slice. The small tolerance keeps a rank such as
// 99.9% of 1000 at 999 when floating point makes it 999.0000000000001.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p/100*float64(len(sorted))-1e-9)) - 1
	rank = max(0, min(rank, len(sorted)-1))
	return sorted[rank]
}

func micros(d time.Duration) float64 {
	return float64(d) / float64(time.Microsecond)
}

// ratio returns a/b, or 0 when b is 0, so that a failed baseline shows as
// a zero ratio instead of an infinity that JSON cannot encode.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
