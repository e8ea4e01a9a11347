package main

import (
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress is the terminal progress bar of one scenario. Its unit is
// whatever the scenario counts (milliseconds of load, failures). A nil
// *progress, used when stdout is not a terminal, does nothing.
type progress struct {
	bar *progressbar.ProgressBar
}

// newProgress returns a bar of max units, or nil when w is not a terminal.
func newProgress(w io.Writer, max int64, description string) *progress {
	if !isTerminal(w) {
		return nil
	}
	return &progress{bar: progressbar.NewOptions64(max,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(description),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionClearOnFinish(),
	)}
}

// isTerminal reports whether w is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

func (p *progress) describe(description string) {
	if p != nil {
		p.bar.Describe(description)
	}
}

func (p *progress) add(n int64) {
	if p != nil && n > 0 {
		_ = p.bar.Add64(n)
	}
}

// addDuration adds d in milliseconds, for bars that count load time.
func (p *progress) addDuration(d time.Duration) {
	p.add(d.Milliseconds())
}

func (p *progress) finish() {
	if p != nil {
		_ = p.bar.Finish()
	}
}
