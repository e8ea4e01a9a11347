package gctarget

import (
	"runtime/debug"
	"testing"
)

func TestSetWithoutGOGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	Set(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != Percent {
		t.Fatalf("GC percent = %d, want %d", got, Percent)
	}
}

func TestSetKeepsGOGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(150))
	Set(func(string) string { return "150" })
	if got := debug.SetGCPercent(150); got != 150 {
		t.Fatalf("GC percent = %d, want 150 from GOGC", got)
	}
}
