//go:build reliability && race

package reliability

// raceEnabled reports whether the suite runs under the race detector,
// which allows at most 8128 goroutines at once.
const raceEnabled = true
