package main

import "context"

// upstreamTrio is the mock, the proxy in front of it and the gateway with
// the openai backend in front of it.
type upstreamTrio struct {
	mock, proxy, gateway *server
	key                  string
}

// startUpstreamTrio starts the three servers for scenario name.
func (h *harness) startUpstreamTrio(ctx context.Context, name string, opts mockOptions,
) (*upstreamTrio, error) {
	bins, err := h.binaries(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := h.scenarioDir(name)
	if err != nil {
		return nil, err
	}
	env := &upstreamTrio{}
	if env.mock, err = startMock(ctx, bins, dir, "mock", opts); err != nil {
		return nil, err
	}
	if env.proxy, err = startProxy(ctx, bins, dir, "proxy", env.mock.url); err != nil {
		env.stop()
		return nil, err
	}
	env.gateway, env.key, err = startGateway(ctx, bins, dir, "gateway", gatewayOptions{
		backend: "openai", upstream: env.mock.url, logLevel: h.s.LogLevel,
		profilePrefix: h.profilePrefix(name),
	})
	if err != nil {
		env.stop()
		return nil, err
	}
	return env, nil
}

// stop stops every server that started, the gateway first.
func (e *upstreamTrio) stop() {
	e.gateway.stop()
	e.proxy.stop()
	e.mock.stop()
}
