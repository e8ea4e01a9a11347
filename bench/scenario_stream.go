package main

import (
	"context"
	"fmt"

	"gonum.org/v1/plot"
)

// streamFigures are the raw figures of the stream scenario.
type streamFigures struct {
	// Load is each target at the configured concurrency.
	Load []targetFigures `json:"load"`
	// Single is each target at concurrency 1, for the time to first token.
	Single []targetFigures `json:"concurrency_1"`
	// AddedTTFT is the time to first token the proxy and the gateway add
	// over the mock at concurrency 1.
	AddedTTFT []addedLatency `json:"added_ttft"`
}

// runStream measures streamed chat completions (the mock streams 20
// content chunks) through the proxy and the gateway.
func runStream(ctx context.Context, h *harness) (*result, chartFunc, error) {
	env, err := h.startUpstreamTrio(ctx, "stream", mockOptions{})
	if err != nil {
		return nil, nil, err
	}
	defer env.stop()

	targets := []target{
		chatTarget("mock", env.mock, env.key, true),
		chatTarget("proxy", env.proxy, env.key, true, env.mock),
		chatTarget("gateway", env.gateway, env.key, true, env.mock),
	}
	bar := newProgress(h.stdout, h.plannedLoad(2*h.s.Rounds*len(targets)), "stream")
	defer bar.finish()
	client := newLoadClient(h.s.Concurrency)
	defer client.CloseIdleConnections()

	f := streamFigures{}
	if f.Load, err = h.measure(ctx, client, bar, targets, h.s.Concurrency); err != nil {
		return nil, nil, err
	}
	if f.Single, err = h.measure(ctx, client, bar, targets, 1); err != nil {
		return nil, nil, err
	}
	f.AddedTTFT = []addedLatency{
		addedTTFTOver(f.Single[0], f.Single[1]),
		addedTTFTOver(f.Single[0], f.Single[2]),
	}
	return streamResult(f), streamChart(f, h.s.Concurrency), nil
}

// addedTTFTOver returns the time to first token f adds over base.
func addedTTFTOver(base, f targetFigures) addedLatency {
	if base.TTFT == nil || f.TTFT == nil {
		return addedLatency{Target: f.Target}
	}
	return addedLatency{
		Target: f.Target,
		P50US:  f.TTFT.P50US - base.TTFT.P50US,
		MeanUS: f.TTFT.MeanUS - base.TTFT.MeanUS,
		P99US:  f.TTFT.P99US - base.TTFT.P99US,
	}
}

func streamResult(f streamFigures) *result {
	proxy, gw := f.Load[1], f.Load[2]
	proxyAdded, gwAdded := f.AddedTTFT[0], f.AddedTTFT[1]
	ratios := map[string]float64{
		"streams_vs_proxy":    ratio(gw.Throughput, proxy.Throughput),
		"streams_vs_mock":     ratio(gw.Throughput, f.Load[0].Throughput),
		"added_ttft_vs_proxy": ratio(gwAdded.P50US, proxyAdded.P50US),
		"stream_cpu_per_stream_vs_proxy": ratio(gw.CPUPerRequestUS["gateway"],
			proxy.CPUPerRequestUS["proxy"]),
	}
	notes := failureNotes(append(f.Load, f.Single...)...)
	notes = append(notes, fmt.Sprintf("added time to first token at concurrency 1 "+
		"(p50 over the mock): proxy %v, gateway %v",
		usToDuration(proxyAdded.P50US), usToDuration(gwAdded.P50US)))
	return &result{
		Figures: f,
		Ratios:  ratios,
		Targets: []targetCheck{
			check("streams_vs_proxy", ratios["streams_vs_proxy"], ">=", 1.0, "x"),
			check("gateway_added_ttft_p50", gwAdded.P50US, "<", 200, "µs"),
		},
		Notes: notes,
	}
}

func streamChart(f streamFigures, concurrency int) chartFunc {
	return func(path string) error {
		bars, err := barChart(fmt.Sprintf("Streams per second at concurrency %d", concurrency),
			"streams per second (20 chunks each)", throughputBars(f.Load))
		if err != nil {
			return err
		}
		ttft, err := cdfChart("Time to first token at concurrency 1", ttftSamples(f.Single))
		if err != nil {
			return err
		}
		return savePanels(path, []*plot.Plot{bars, ttft}...)
	}
}
