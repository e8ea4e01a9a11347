package config

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
)

// init adds the metrics variables to envSettings, so that the loader in
// env.go applies them like every other variable.
func init() {
	envSettings = append(envSettings, metricsEnvSettings...)
}

// metricsEnvSettings lists the variables of the metrics endpoints.
var metricsEnvSettings = []envSetting{
	{"ACTORGATE_METRICS_ADDR", func(c *Config, v string) string {
		c.Gateway.MetricsAddr = v
		return ""
	}},
	{"API_SERVER_METRICS_PUBLIC", func(c *Config, v string) string {
		b, err := parseBool(v)
		if err != nil {
			return "is not a boolean; set true, false, 1, 0, yes or no"
		}
		c.Platforms.APIServer.MetricsPublic = b
		return ""
	}},
}

func (g GatewayConfig) validateMetrics(v *validator) {
	if problem := CheckMetricsAddr(g.MetricsAddr); problem != "" {
		v.add("gateway.metrics_addr", "ACTORGATE_METRICS_ADDR", problem)
	}
}

// CheckMetricsAddr returns what is wrong with addr as the address of the
// metrics listener, or "" when it is empty or a loopback host:port. The
// listener has no authentication, so it binds only 127.0.0.0/8, ::1 or
// localhost. Port 0 picks a free port.
func CheckMetricsAddr(addr string) string {
	if addr == "" {
		return ""
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Sprintf("%q is not host:port; set a loopback address such as 127.0.0.1:9464",
			addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Sprintf("%q has no valid port; set a port of 0-65535, such as 127.0.0.1:9464",
			addr)
	}
	if host == "localhost" {
		return ""
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsLoopback() {
		return ""
	}
	return fmt.Sprintf("%q is not a loopback address; the metrics listener has no "+
		"authentication, so set 127.0.0.1:PORT, [::1]:PORT or localhost:PORT, and scrape "+
		"remotely through the API server's /metrics route, which asks for the key", addr)
}
