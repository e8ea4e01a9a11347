package main

import (
	"errors"
	"os"
	"testing"
)

func TestParseStatCPU(t *testing.T) {
	cases := []struct {
		name string
		stat string
		want float64
		err  bool
	}{
		{"plain name", "42 (mock) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0", 3.0, false},
		{"name with spaces and parens", "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0", 0.03, false},
		{"no name", "42 mock S 1", 0, true},
		{"too short", "42 (mock) S 1 2 3", 0, true},
		{"not a number", "42 (mock) S 1 42 42 0 -1 4194560 100 0 0 0 x 50 0", 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStatCPU([]byte(tc.stat))
			if tc.err {
				if !errors.Is(err, errProcRead) {
					t.Fatalf("parseStatCPU = %v, %v; want errProcRead", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("parseStatCPU = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestParseVmRSS(t *testing.T) {
	cases := []struct {
		name   string
		status string
		want   int64
		err    bool
	}{
		{
			"present", "Name:\tmock\nVmPeak:\t  9 kB\nVmRSS:\t   12345 kB\nThreads: 4\n",
			12345 * 1024, false,
		},
		{"missing", "Name:\tmock\n", 0, true},
		{"other unit", "VmRSS:\t 12 MB\n", 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseVmRSS([]byte(tc.status))
			if tc.err != (err != nil) || got != tc.want {
				t.Fatalf("parseVmRSS = %d, %v; want %d, error %t", got, err, tc.want, tc.err)
			}
		})
	}
}

func TestProcReadersOnSelf(t *testing.T) {
	cpu, err := cpuSeconds(os.Getpid())
	if err != nil || cpu < 0 {
		t.Fatalf("cpuSeconds = %v, %v", cpu, err)
	}
	rss, err := rssBytes(os.Getpid())
	if err != nil || rss <= 0 {
		t.Fatalf("rssBytes = %v, %v", rss, err)
	}
	fds, err := countFDs()
	if err != nil || fds < 3 {
		t.Fatalf("countFDs = %v, %v", fds, err)
	}
}
