package main

import (
	"context"
	"fmt"

	"gonum.org/v1/plot"
)

// apiFigures are the raw figures of the api scenario.
type apiFigures struct {
	// Load is each target at the configured concurrency.
	Load []targetFigures `json:"load"`
	// Single is the direct mock, the proxy and the gateway at concurrency 1.
	Single []targetFigures `json:"concurrency_1"`
	// Added is the latency the proxy and the gateway add over the mock at
	// concurrency 1.
	Added []addedLatency `json:"added_latency"`
}

// runAPI measures non-streaming chat completions and stored responses
// through the gateway against the mock alone and a bare proxy.
func runAPI(ctx context.Context, h *harness) (*result, chartFunc, error) {
	env, err := h.startUpstreamTrio(ctx, "api", mockOptions{})
	if err != nil {
		return nil, nil, err
	}
	defer env.stop()

	load := []target{
		chatTarget("mock", env.mock, env.key, false),
		chatTarget("proxy", env.proxy, env.key, false, env.mock),
		chatTarget("gateway", env.gateway, env.key, false, env.mock),
		responsesTarget("gateway_responses", env.gateway, env.key, env.mock),
	}
	single := load[:3]
	bar := newProgress(h.stdout, h.plannedLoad(h.s.Rounds*(len(load)+len(single))), "api")
	defer bar.finish()
	client := newLoadClient(h.s.Concurrency)
	defer client.CloseIdleConnections()

	figs := apiFigures{}
	if figs.Load, err = h.measure(ctx, client, bar, load, h.s.Concurrency); err != nil {
		return nil, nil, err
	}
	if figs.Single, err = h.measure(ctx, client, bar, single, 1); err != nil {
		return nil, nil, err
	}
	figs.Added = []addedLatency{
		addedOver(figs.Single[0], figs.Single[1]),
		addedOver(figs.Single[0], figs.Single[2]),
	}
	return apiResult(figs, h.s.Concurrency), apiChart(figs, h.s.Concurrency), nil
}

func responsesTarget(name string, s *server, key string, servers ...*server) target {
	return target{
		name: name, url: s.url + responsesPath, header: apiHeader(key),
		servers: append([]*server{s}, servers...), body: responsesBody, expect: responsesMarker,
	}
}

func apiResult(f apiFigures, concurrency int) *result {
	mock, proxy, gw, resp := f.Load[0], f.Load[1], f.Load[2], f.Load[3]
	proxyAdded, gwAdded := f.Added[0], f.Added[1]
	ratios := map[string]float64{
		"throughput_vs_proxy":           ratio(gw.Throughput, proxy.Throughput),
		"responses_throughput_vs_proxy": ratio(resp.Throughput, proxy.Throughput),
		"added_latency_vs_proxy":        ratio(gwAdded.P50US, proxyAdded.P50US),
		"proxy_throughput_vs_mock":      ratio(proxy.Throughput, mock.Throughput),
		"throughput_vs_mock":            ratio(gw.Throughput, mock.Throughput),
		"cpu_per_request_vs_proxy": ratio(gw.CPUPerRequestUS["gateway"],
			proxy.CPUPerRequestUS["proxy"]),
		"responses_cpu_per_request_vs_proxy": ratio(resp.CPUPerRequestUS["gateway"],
			proxy.CPUPerRequestUS["proxy"]),
	}
	notes := failureNotes(append(f.Load, f.Single...)...)
	notes = append(notes,
		fmt.Sprintf("added latency at concurrency 1 (p50 over the mock): proxy %v, gateway %v",
			usToDuration(proxyAdded.P50US), usToDuration(gwAdded.P50US)),
		fmt.Sprintf("throughput at concurrency %d is shared with the load generator and the "+
			"mock on the same cores", concurrency))
	if proxyAdded.P50US <= 0 {
		notes = append(notes, "the proxy added no measurable latency, so "+
			"added_latency_vs_proxy is not meaningful in this run")
	}
	return &result{
		Figures: f,
		Ratios:  ratios,
		Targets: []targetCheck{
			check("throughput_vs_proxy", ratios["throughput_vs_proxy"], ">=", 1.0, "x"),
			check("responses_throughput_vs_proxy", ratios["responses_throughput_vs_proxy"],
				">=", 0.9, "x"),
			check("added_latency_vs_proxy", ratios["added_latency_vs_proxy"], "<=", 1.0, "x"),
		},
		Notes: notes,
	}
}

func apiChart(f apiFigures, concurrency int) chartFunc {
	return func(path string) error {
		bars, err := barChart(fmt.Sprintf("Throughput at concurrency %d", concurrency),
			"requests per second", throughputBars(f.Load))
		if err != nil {
			return err
		}
		loaded, err := cdfChart(fmt.Sprintf("Latency at concurrency %d", concurrency),
			latencySamples(f.Load))
		if err != nil {
			return err
		}
		single, err := cdfChart("Latency at concurrency 1", latencySamples(f.Single))
		if err != nil {
			return err
		}
		return savePanels(path, []*plot.Plot{bars, loaded, single}...)
	}
}
