package main

import (
	"io"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestRunRequiresProfilePaths(t *testing.T) {
	cases := []struct {
		name string
		args []string
	}{
		{"no flags", nil},
		{"no heap path", []string{"-cpuprofile", "cpu.pprof"}},
		{"no cpu path", []string{"-memprofile", "heap.pprof"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := run(tc.args, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "required") {
				t.Fatalf("run(%q) = %v, want an error naming the required flags", tc.args, err)
			}
		})
	}
}

func TestNewLoggerLevels(t *testing.T) {
	cases := []struct {
		level string
		ok    bool
	}{
		{"", true},
		{"debug", true},
		{"WARN", true},
		{"loud", false},
	}
	for _, tc := range cases {
		_, err := newLogger(io.Discard, tc.level)
		if tc.ok != (err == nil) {
			t.Errorf("newLogger(%q) = %v, want success %t", tc.level, err, tc.ok)
		}
	}
}
