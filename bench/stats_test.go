package main

import (
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	ds := make([]time.Duration, 0, 1000)
	for i := 1000; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Microsecond)
	}
	s := summarize(ds)
	cases := []struct {
		name      string
		got, want float64
	}{
		{"count", float64(s.Count), 1000},
		{"p50", s.P50US, 500},
		{"p90", s.P90US, 900},
		{"p99", s.P99US, 990},
		{"p999", s.P999US, 999},
		{"max", s.MaxUS, 1000},
		{"mean", s.MeanUS, 500.5},
	}
	for _, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestSummarizeSmallAndEmpty(t *testing.T) {
	if s := summarize(nil); s.Count != 0 || s.P99US != 0 {
		t.Errorf("empty summary %+v", s)
	}
	s := summarize([]time.Duration{3 * time.Microsecond})
	if s.P50US != 3 || s.P999US != 3 {
		t.Errorf("one sample summary %+v", s)
	}
}

func TestCheck(t *testing.T) {
	cases := []struct {
		op       string
		measured float64
		want     float64
		met      bool
	}{
		{">=", 1.0, 1.0, true},
		{">=", 0.99, 1.0, false},
		{"<=", 1.0, 1.0, true},
		{"<", 2.0, 2.0, false},
		{"==", 0, 0, true},
		{"==", 1, 0, false},
		{"!=", 1, 0, false},
	}
	for _, tc := range cases {
		if got := check("x", tc.measured, tc.op, tc.want, ""); got.Met != tc.met {
			t.Errorf("%v %s %v: met %t, want %t", tc.measured, tc.op, tc.want, got.Met, tc.met)
		}
	}
}

func TestRatioOfZeroBaseline(t *testing.T) {
	if r := ratio(5, 0); r != 0 {
		t.Fatalf("ratio(5, 0) = %v, want 0", r)
	}
}
