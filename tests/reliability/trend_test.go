//go:build reliability

package reliability

import (
	"fmt"
	"math"
	"testing"
	"time"
)

// series is one sampled resource of a soak: fds, goroutines, heap.
type series struct {
	name string
	unit string
	// tolerance is the most the fitted trend may grow over the whole run.
	tolerance float64
	at        []float64 // seconds since the run started
	values    []float64
}

func (s *series) add(at time.Duration, v float64) {
	s.at = append(s.at, at.Seconds())
	s.values = append(s.values, v)
}

// slope fits y = a + b·x by least squares and returns b. It returns 0 for
// fewer than two points or when every x is the same.
func slope(xs, ys []float64) float64 {
	n := float64(len(xs))
	if len(xs) < 2 {
		return 0
	}
	var sx, sy float64
	for i := range xs {
		sx += xs[i]
		sy += ys[i]
	}
	mx, my := sx/n, sy/n
	var sxy, sxx float64
	for i := range xs {
		dx := xs[i] - mx
		sxy += dx * (ys[i] - my)
		sxx += dx * dx
	}
	if sxx == 0 {
		return 0
	}
	return sxy / sxx
}

// warmupFraction is the share of the first samples left out of the fit,
// while pools, caches and the Go heap grow to their working size.
const warmupFraction = 0.25

// growth returns the growth over a run of duration that the trend after
// warm-up projects, and the number of samples fitted.
func (s *series) growth(duration time.Duration) (float64, int) {
	skip := int(math.Ceil(float64(len(s.values)) * warmupFraction))
	xs, ys := s.at[skip:], s.values[skip:]
	return slope(xs, ys) * duration.Seconds(), len(xs)
}

// check fails the test when the projected growth exceeds the tolerance.
// Comparing a trend, not the first and last sample, keeps one noisy sample
// from failing or passing a run.
func (s *series) check(t *testing.T, duration time.Duration) {
	t.Helper()
	g, n := s.growth(duration)
	if n < 3 {
		t.Errorf("%s: only %d samples after warm-up; run the soak longer", s.name, n)
		return
	}
	summary := fmt.Sprintf("%s: %d samples, first %.0f, last %.0f %s, trend %+.1f %s over %s",
		s.name, len(s.values), s.values[0], s.values[len(s.values)-1], s.unit, g, s.unit,
		duration.Round(time.Second))
	if g > s.tolerance {
		t.Errorf("%s grows without bound: %s, tolerance %.0f", s.name, summary, s.tolerance)
		return
	}
	t.Log(summary)
}

func TestSlope(t *testing.T) {
	cases := []struct {
		name string
		ys   []float64
		want float64
	}{
		{"flat", []float64{5, 5, 5, 5}, 0},
		{"linear", []float64{1, 3, 5, 7}, 2},
		{"noisy flat", []float64{10, 12, 9, 11, 10, 12, 9, 11}, 0},
		{"one point", []float64{4}, 0},
		{"falling", []float64{8, 6, 4, 2}, -2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			xs := make([]float64, len(tc.ys))
			for i := range xs {
				xs[i] = float64(i)
			}
			if got := slope(xs, tc.ys); math.Abs(got-tc.want) > 0.1 {
				t.Errorf("slope = %.3f, want %.3f", got, tc.want)
			}
		})
	}
}

func TestSeriesGrowth(t *testing.T) {
	leak := &series{name: "fds", tolerance: 4}
	steady := &series{name: "fds", tolerance: 4}
	for i := range 20 {
		at := time.Duration(i) * time.Second
		// Both climb during warm-up; only the leak keeps climbing after it.
		leak.add(at, float64(10+i))
		steady.add(at, float64(10+min(i, 4)))
	}
	if g, _ := leak.growth(20 * time.Second); g < 19 {
		t.Errorf("leak growth = %.1f, want about 20", g)
	}
	if g, _ := steady.growth(20 * time.Second); g > 0.5 {
		t.Errorf("steady growth = %.1f, want about 0", g)
	}
}
