package main

import (
	"errors"
	"io"
	"slices"
	"testing"
	"time"
)

func TestParseSettings(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		check func(t *testing.T, s settings)
	}{
		{"full defaults", nil, func(t *testing.T, s settings) {
			if s.Concurrency != 64 || s.Duration != 4*time.Second || s.Rounds != 3 ||
				s.Failures != 10_000 || s.Streams != 1000 || s.LogLevel != "info" {
				t.Errorf("defaults: %+v", s)
			}
			if !slices.Equal(s.Scenarios, scenarioOrder) {
				t.Errorf("scenarios: %v", s.Scenarios)
			}
		}},
		{"quick defaults", []string{"-quick"}, func(t *testing.T, s settings) {
			if !s.Quick || s.Duration != 500*time.Millisecond || s.Rounds != 1 ||
				s.Failures != 500 {
				t.Errorf("quick defaults: %+v", s)
			}
		}},
		{
			"explicit flag wins over quick",
			[]string{"-quick", "-duration", "2s", "-rounds", "2"},
			func(t *testing.T, s settings) {
				if s.Duration != 2*time.Second || s.Rounds != 2 {
					t.Errorf("explicit flags: %+v", s)
				}
			},
		},
		{
			"list runs in canonical order",
			[]string{"-scenario", "memory, store,restart"},
			func(t *testing.T, s settings) {
				if want := []string{"restart", "store", "memory"}; !slices.Equal(s.Scenarios, want) {
					t.Errorf("scenarios %v, want %v", s.Scenarios, want)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := parseSettings(tc.args, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, s)
		})
	}
}

func TestParseSettingsRejects(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want error
	}{
		{"unknown scenario", []string{"-scenario", "apis"}, errUnknownScenario},
		{"negative concurrency", []string{"-concurrency", "-1"}, errInvalidSettings},
		{"huge concurrency", []string{"-concurrency", "100000"}, errInvalidSettings},
		{"long duration", []string{"-duration", "1h"}, errInvalidSettings},
		{"too many streams", []string{"-streams", "20000"}, errInvalidSettings},
		{"unknown log level", []string{"-gateway-log-level", "loud"}, errInvalidSettings},
		{"stray argument", []string{"api"}, errInvalidSettings},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseSettings(tc.args, io.Discard)
			if !errors.Is(err, tc.want) {
				t.Fatalf("parseSettings(%q) = %v, want %v", tc.args, err, tc.want)
			}
		})
	}
}
