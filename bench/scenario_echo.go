package main

import (
	"context"
	"fmt"

	"gonum.org/v1/plot"
)

// echoFigures are the raw figures of the echo scenario.
type echoFigures struct {
	Load []targetFigures `json:"load"`
}

// runEcho measures the gateway with its built-in echo backend, which
// needs no upstream, against the mock serving the same requests directly:
// the cost of the gateway's own path with no upstream hop.
func runEcho(ctx context.Context, h *harness) (*result, chartFunc, error) {
	bins, err := h.binaries(ctx)
	if err != nil {
		return nil, nil, err
	}
	dir, err := h.scenarioDir("echo")
	if err != nil {
		return nil, nil, err
	}
	mock, err := startMock(ctx, bins, dir, "mock", mockOptions{})
	if err != nil {
		return nil, nil, err
	}
	defer mock.stop()
	gw, key, err := startGateway(ctx, bins, dir, "gateway",
		gatewayOptions{
			backend: "echo", logLevel: h.s.LogLevel,
			profilePrefix: h.profilePrefix("echo"),
		})
	if err != nil {
		return nil, nil, err
	}
	defer gw.stop()

	targets := []target{
		chatTarget("mock", mock, key, false),
		chatTarget("gateway_echo", gw, key, false),
	}
	bar := newProgress(h.stdout, h.plannedLoad(h.s.Rounds*len(targets)), "echo")
	defer bar.finish()
	client := newLoadClient(h.s.Concurrency)
	defer client.CloseIdleConnections()
	figs, err := h.measure(ctx, client, bar, targets, h.s.Concurrency)
	if err != nil {
		return nil, nil, err
	}

	f := echoFigures{Load: figs}
	ratios := map[string]float64{
		"echo_throughput_vs_mock": ratio(figs[1].Throughput, figs[0].Throughput),
		"echo_cpu_per_request_vs_mock": ratio(figs[1].CPUPerRequestUS["gateway"],
			figs[0].CPUPerRequestUS["mock"]),
	}
	res := &result{
		Figures: f,
		Ratios:  ratios,
		Targets: []targetCheck{
			check("echo_throughput_vs_mock", ratios["echo_throughput_vs_mock"], ">=", 0.5, "x"),
		},
		Notes: failureNotes(figs...),
	}
	return res, echoChart(f, h.s.Concurrency), nil
}

func echoChart(f echoFigures, concurrency int) chartFunc {
	return func(path string) error {
		bars, err := barChart(fmt.Sprintf("Throughput at concurrency %d", concurrency),
			"requests per second", throughputBars(f.Load))
		if err != nil {
			return err
		}
		cdf, err := cdfChart(fmt.Sprintf("Latency at concurrency %d", concurrency),
			latencySamples(f.Load))
		if err != nil {
			return err
		}
		return savePanels(path, []*plot.Plot{bars, cdf}...)
	}
}
