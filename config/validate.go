package config

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Validate checks every field and returns all problems found, joined with
// errors.Join. Each problem is a *FieldError that names the field by its
// YAML path and gives the fix. Validate does not judge the API
// server key: Enrollment does, so that a bad key stops only that platform.
func (c Config) Validate() error {
	var v validator

	c.Gateway.validate(&v)
	c.Gateway.validateMetrics(&v)
	c.Agent.validate(&v)
	c.Platforms.APIServer.validate(&v)
	c.Platforms.validateChat(&v, c.Home)

	if c.Home == "" && c.Platforms.APIServer.DBPath == "" &&
		c.Platforms.APIServer.Enrollment().Status == Enrolled {
		v.add("platforms.api_server.db_path", "",
			"is empty and there is no data folder; set a path for the responses database")
	}

	return errors.Join(v.errs...)
}

type validator struct {
	errs []error
}

func (v *validator) add(path, env, problem string) {
	v.errs = append(v.errs, &FieldError{Path: path, Env: env, Problem: problem})
}

// positive adds a problem when d is not above zero.
func (v *validator) positive(path, env string, d time.Duration) {
	if d <= 0 {
		v.add(path, env, fmt.Sprintf("is %s; set a positive Go duration such as 30s", d))
	}
}

func (g GatewayConfig) validate(v *validator) {
	v.positive("gateway.backoff_base", "ACTORGATE_BACKOFF_BASE", g.BackoffBase)
	if g.BackoffCap < g.BackoffBase {
		v.add("gateway.backoff_cap", "ACTORGATE_BACKOFF_CAP", fmt.Sprintf(
			"is %s, below gateway.backoff_base (%s); set it to at least %s",
			g.BackoffCap, g.BackoffBase, g.BackoffBase))
	}
	v.positive("gateway.attention_after", "ACTORGATE_ATTENTION_AFTER", g.AttentionAfter)
	if g.ShutdownGrace < 0 {
		v.add("gateway.shutdown_grace", "ACTORGATE_SHUTDOWN_GRACE", fmt.Sprintf(
			"is %s; set 0 or a positive Go duration such as 10s", g.ShutdownGrace))
	}
}

func (a AgentConfig) validate(v *validator) {
	switch a.Backend {
	case BackendEcho:
	case BackendOpenAI:
		if problem := checkBaseURL(a.BaseURL); problem != "" {
			v.add("agent.base_url", "AGENT_BASE_URL", problem)
		}
	default:
		v.add("agent.backend", "AGENT_BACKEND", fmt.Sprintf(
			"%q is not a backend; set %s or %s", a.Backend, BackendEcho, BackendOpenAI))
	}

	v.positive("agent.timeout", "AGENT_TIMEOUT", a.Timeout)
}

func checkBaseURL(raw string) string {
	const example = "such as http://127.0.0.1:8000/v1"

	if raw == "" {
		return "is empty but agent.backend is openai; set the upstream URL, " + example
	}

	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("%q is not an absolute http or https URL; set one, %s",
			raw, example)
	}

	return ""
}

func (a APIServerConfig) validate(v *validator) {
	const prefix = "platforms.api_server."

	if problem := checkHost(a.Host); problem != "" {
		v.add(prefix+"host", "API_SERVER_HOST", problem)
	}
	if a.Port < 1 || a.Port > 65535 {
		v.add(prefix+"port", "API_SERVER_PORT",
			fmt.Sprintf("%d is not a port number; set 1-65535", a.Port))
	}
	if strings.TrimSpace(a.ModelName) == "" {
		v.add(prefix+"model_name", "API_SERVER_MODEL_NAME",
			"is empty; set the model id that /v1/models lists, such as "+DefaultModelName)
	}
	if a.MaxResponses < 1 {
		v.add(prefix+"max_responses", "API_SERVER_MAX_RESPONSES",
			fmt.Sprintf("is %d; set 1 or more", a.MaxResponses))
	}
	if a.MaxRequestBytes < 1024 {
		v.add(prefix+"max_request_bytes", "",
			fmt.Sprintf("is %d; set 1024 or more", a.MaxRequestBytes))
	}
	v.positive(prefix+"keepalive", "", a.KeepAlive)
	v.positive(prefix+"idempotency_ttl", "", a.IdempotencyTTL)

	for i, origin := range a.CORSOrigins {
		if problem := checkOrigin(origin); problem != "" {
			v.add(fmt.Sprintf("%scors_origins[%d]", prefix, i), "API_SERVER_CORS_ORIGINS",
				problem)
		}
	}
}

// checkHost accepts a host name or an IP address without brackets or port.
func checkHost(host string) string {
	switch {
	case strings.TrimSpace(host) == "":
		return "is empty; set an address to listen on, such as 127.0.0.1"
	case strings.ContainsAny(host, "/ []"):
		return fmt.Sprintf("%q is not a host name or IP address; "+
			"write an IPv6 address without brackets, such as ::1", host)
	case strings.Contains(host, ":"):
		if _, err := netip.ParseAddr(host); err != nil {
			return fmt.Sprintf("%q is not a host name or IP address; "+
				"set the port in platforms.api_server.port", host)
		}
	}

	return ""
}

// checkOrigin accepts "*" or a browser origin: scheme://host[:port], with
// no path, query or fragment.
func checkOrigin(origin string) string {
	if origin == "*" {
		return ""
	}

	bad := fmt.Sprintf("%q is not an origin; write scheme://host[:port], "+
		"such as http://localhost:3000, or *", origin)

	u, err := url.Parse(origin)
	if err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "" {
		return bad
	}

	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return bad
	}

	if u.Path != "" {
		return fmt.Sprintf("%q has a path; browsers send origins without one, "+
			"so remove everything after the host and port", origin)
	}

	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return bad
		}
	}

	return ""
}
