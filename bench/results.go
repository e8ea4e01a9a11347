package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// result is the content of results/<scenario>.json.
type result struct {
	Scenario  string    `json:"scenario"`
	StartedAt time.Time `json:"started_at"`
	Seconds   float64   `json:"seconds"`
	Machine   machine   `json:"machine"`
	Settings  settings  `json:"settings"`
	// Figures holds every raw figure of the scenario.
	Figures any `json:"figures"`
	// Ratios holds each comparison with a baseline of the same run, keyed
	// by what it compares.
	Ratios map[string]float64 `json:"ratios"`
	// Targets states, for each goal the gateway should reach, the figure
	// measured and whether it was met.
	Targets []targetCheck `json:"targets"`
	Chart   string        `json:"chart"`
	// Notes explain what a figure means or why it may mislead.
	Notes []string `json:"notes,omitempty"`
}

// targetCheck is one goal: Measured Op Want, such as 1.08 >= 1.0.
type targetCheck struct {
	Figure   string  `json:"figure"`
	Measured float64 `json:"measured"`
	Op       string  `json:"op"`
	Want     float64 `json:"want"`
	Unit     string  `json:"unit,omitempty"`
	Met      bool    `json:"met"`
}

// check builds a targetCheck. op is one of >=, <=, < and ==.
func check(figure string, measured float64, op string, want float64, unit string) targetCheck {
	var met bool
	switch op {
	case ">=":
		met = measured >= want
	case "<=":
		met = measured <= want
	case "<":
		met = measured < want
	case "==":
		met = measured == want
	}
	return targetCheck{Figure: figure, Measured: measured, Op: op, Want: want, Unit: unit, Met: met}
}

// writeResult writes the JSON file of a scenario into dir.
func writeResult(dir string, r *result) (string, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encoding the %s result: %w", r.Scenario, err)
	}
	path := filepath.Join(dir, r.Scenario+".json")
	//nolint:gosec // G703: the results folder the harness chose
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return "", fmt.Errorf("writing the %s result: %w", r.Scenario, err)
	}
	return path, nil
}

// printSummary writes the ratios and targets of a result to w.
func printSummary(w io.Writer, r *result, path string) {
	fmt.Fprintf(w, "%s (%.0fs): %s\n", r.Scenario, r.Seconds, path)
	keys := make([]string, 0, len(r.Ratios))
	for k := range r.Ratios {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %-36s %10.3f\n", k, r.Ratios[k])
	}
	for _, t := range r.Targets {
		state := "met"
		if !t.Met {
			state = "NOT MET"
		}
		fmt.Fprintf(w, "  target %-29s %10.3f %s %g %s  %s\n", t.Figure, t.Measured, t.Op,
			t.Want, t.Unit, state)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
}
