package main

import (
	"fmt"
	"image/color"
	"os"
	"slices"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Size of one chart panel.
const (
	panelWidth  = 6 * vg.Inch
	panelHeight = 4 * vg.Inch
)

// bar is one labelled value of a bar chart.
type bar struct {
	label string
	value float64
}

// barChart draws one bar per value, with the value printed above it.
func barChart(title, yLabel string, bars []bar) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = yLabel
	values := make(plotter.Values, len(bars))
	labels := make([]string, len(bars))
	for i, b := range bars {
		values[i] = b.value
		labels[i] = b.label
	}
	bc, err := plotter.NewBarChart(values, vg.Points(40))
	if err != nil {
		return nil, fmt.Errorf("drawing %q: %w", title, err)
	}
	bc.Color = plotutil.Color(0)
	bc.LineStyle.Width = 0
	p.Add(bc)
	p.NominalX(labels...)
	p.Y.Min = 0
	p.Y.Max = max(slices.Max(values)*1.15, 1e-9)

	var xys plotter.XYLabels
	for i, b := range bars {
		xys.XYs = append(xys.XYs, plotter.XY{X: float64(i), Y: b.value})
		xys.Labels = append(xys.Labels, formatValue(b.value))
	}
	l, err := plotter.NewLabels(xys)
	if err != nil {
		return nil, fmt.Errorf("labelling %q: %w", title, err)
	}
	for i := range l.TextStyle {
		l.TextStyle[i].XAlign = draw.XCenter
		l.TextStyle[i].YAlign = draw.YBottom
	}
	p.Add(l)
	return p, nil
}

// formatValue prints a bar's value with three significant digits.
func formatValue(v float64) string {
	switch {
	case v >= 1000:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}

// durations is one named latency sample for a distribution chart.
type durations struct {
	name   string
	values []time.Duration
}

// cdfChart draws the cumulative distribution of each sample on a
// logarithmic latency axis. Each sample must be sorted.
func cdfChart(title string, samples []durations) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "milliseconds (log scale)"
	p.Y.Label.Text = "fraction at or below"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Y.Min, p.Y.Max = 0, 1
	p.Legend.Top = false
	p.Legend.Left = false
	for i, s := range samples {
		if len(s.values) == 0 {
			continue
		}
		line, err := plotter.NewLine(cdfPoints(s.values, 400))
		if err != nil {
			return nil, fmt.Errorf("drawing %q: %w", title, err)
		}
		line.Color = plotutil.Color(i)
		line.Dashes = plotutil.Dashes(i)
		line.Width = vg.Points(1.5)
		p.Add(line)
		p.Legend.Add(s.name, line)
	}
	p.Add(plotter.NewGrid())
	return p, nil
}

// cdfPoints returns at most n points of the distribution of sorted.
func cdfPoints(sorted []time.Duration, n int) plotter.XYs {
	step := max(1, len(sorted)/n)
	pts := make(plotter.XYs, 0, len(sorted)/step+1)
	for i := 0; i < len(sorted); i += step {
		pts = append(pts, cdfPoint(sorted, i))
	}
	return append(pts, cdfPoint(sorted, len(sorted)-1))
}

func cdfPoint(sorted []time.Duration, i int) plotter.XY {
	ms := max(float64(sorted[i])/float64(time.Millisecond), 1e-3)
	return plotter.XY{X: ms, Y: float64(i+1) / float64(len(sorted))}
}

// series is one named line of a line chart.
type series struct {
	name string
	xys  plotter.XYs
}

// plainTicks are the default ticks labelled without trailing zeros, so
// that counts read 2500 rather than 2500.00.
type plainTicks struct{}

func (plainTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'g', -1, 64)
		}
	}
	return ticks
}

// lineChart draws each series as a line.
func lineChart(title, xLabel, yLabel string, lines []series) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.X.Tick.Marker = plainTicks{}
	p.Y.Tick.Marker = plainTicks{}
	p.Y.Min = 0
	p.Legend.Top = true
	for i, s := range lines {
		line, err := plotter.NewLine(s.xys)
		if err != nil {
			return nil, fmt.Errorf("drawing %q: %w", title, err)
		}
		line.Color = plotutil.Color(i)
		line.Width = vg.Points(1.5)
		p.Add(line)
		p.Legend.Add(s.name, line)
		for _, xy := range s.xys {
			p.Y.Max = max(p.Y.Max, xy.Y*1.2)
		}
	}
	p.Add(plotter.NewGrid())
	return p, nil
}

// savePanels draws the plots side by side into one PNG file.
func savePanels(path string, plots ...*plot.Plot) error {
	img := vgimg.New(panelWidth*vg.Length(len(plots)), panelHeight)
	dc := draw.New(img)
	dc.SetColor(color.White)
	dc.Fill(dc.Path())
	tiles := draw.Tiles{
		Rows: 1, Cols: len(plots), PadX: vg.Points(20),
		PadTop: vg.Points(10), PadBottom: vg.Points(10), PadLeft: vg.Points(10),
		PadRight: vg.Points(10),
	}
	canvases := plot.Align([][]*plot.Plot{plots}, tiles, dc)
	for i, p := range plots {
		p.Draw(canvases[0][i])
	}
	f, err := os.Create(path) //nolint:gosec // G304: the results folder the harness chose
	if err != nil {
		return fmt.Errorf("writing the chart: %w", err)
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		_ = f.Close()
		return fmt.Errorf("writing the chart %s: %w", path, err)
	}
	return f.Close()
}
