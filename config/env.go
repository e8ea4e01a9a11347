package config

import (
	"cmp"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// envSource looks variables up in the environment first and in the .env
// file second, so that a .env value never overrides a variable that is
// already set. A variable that is empty or only white space counts as
// unset.
type envSource struct {
	getenv  func(string) string
	dotenv  map[string]string
	envPath string
}

// lookup returns the trimmed value of name and where it came from: "" for
// the environment, else the path of the .env file.
func (s envSource) lookup(name string) (value, from string, ok bool) {
	if s.getenv != nil {
		if v := strings.TrimSpace(s.getenv(name)); v != "" {
			return v, "", true
		}
	}

	if v := strings.TrimSpace(s.dotenv[name]); v != "" {
		return v, s.envPath, true
	}

	return "", "", false
}

// envSetting is one environment variable that sets a Config field. apply
// sets the field from value, or returns the problem with value (what is
// wrong and the expected form) for the error message.
type envSetting struct {
	name  string
	apply func(c *Config, value string) (problem string)
}

// KeyFromEnvironment is APIServerConfig.KeyFrom for a key set by the
// API_SERVER_KEY environment variable.
const KeyFromEnvironment = "environment"

// envSettings lists the variables in the order they are applied.
// API_SERVER_ENABLED is handled by applyEnabled.
var envSettings = []envSetting{
	{"API_SERVER_KEY", func(c *Config, v string) string {
		c.Platforms.APIServer.Key = v
		return ""
	}},
	{"API_SERVER_HOST", func(c *Config, v string) string {
		c.Platforms.APIServer.Host = v
		return ""
	}},
	{"API_SERVER_PORT", func(c *Config, v string) string {
		return parsePort(v, &c.Platforms.APIServer.Port)
	}},
	{"API_SERVER_CORS_ORIGINS", func(c *Config, v string) string {
		c.Platforms.APIServer.CORSOrigins = splitList(v)
		return ""
	}},
	{"API_SERVER_MODEL_NAME", func(c *Config, v string) string {
		c.Platforms.APIServer.ModelName = v
		return ""
	}},
	{"API_SERVER_MAX_RESPONSES", func(c *Config, v string) string {
		return parseCount(v, &c.Platforms.APIServer.MaxResponses)
	}},
	{"AGENT_BACKEND", func(c *Config, v string) string {
		c.Agent.Backend = v
		return ""
	}},
	{"AGENT_BASE_URL", func(c *Config, v string) string {
		c.Agent.BaseURL = v
		return ""
	}},
	{"AGENT_API_KEY", func(c *Config, v string) string {
		c.Agent.APIKey = v
		return ""
	}},
	{"AGENT_MODEL", func(c *Config, v string) string {
		c.Agent.Model = v
		return ""
	}},
	{"AGENT_TIMEOUT", func(c *Config, v string) string {
		return parseDuration(v, &c.Agent.Timeout)
	}},
	{"ACTORGATE_BACKOFF_BASE", func(c *Config, v string) string {
		return parseDuration(v, &c.Gateway.BackoffBase)
	}},
	{"ACTORGATE_BACKOFF_CAP", func(c *Config, v string) string {
		return parseDuration(v, &c.Gateway.BackoffCap)
	}},
	{"ACTORGATE_ATTENTION_AFTER", func(c *Config, v string) string {
		return parseDuration(v, &c.Gateway.AttentionAfter)
	}},
	{"ACTORGATE_SHUTDOWN_GRACE", func(c *Config, v string) string {
		return parseDuration(v, &c.Gateway.ShutdownGrace)
	}},
}

// applyEnv sets the fields of c that the variables in src override, and
// returns one error for each malformed value.
func applyEnv(c *Config, src envSource) error {
	var errs []error
	for _, s := range envSettings {
		value, from, ok := src.lookup(s.name)
		if !ok {
			continue
		}

		if problem := s.apply(c, value); problem != "" {
			errs = append(errs, envError(s.name, value, from, problem))
		}
		if s.name == "API_SERVER_KEY" {
			c.Platforms.APIServer.KeyFrom = cmp.Or(from, KeyFromEnvironment)
		}
	}

	if err := applyEnabled(c, src); err != nil {
		errs = append(errs, err)
	}

	return errors.Join(errs...)
}

// applyEnabled sets platforms.api_server.enabled from API_SERVER_ENABLED,
// except when config.yaml set it to false: that explicit false wins.
func applyEnabled(c *Config, src envSource) error {
	const name = "API_SERVER_ENABLED"

	value, from, ok := src.lookup(name)
	if !ok {
		return nil
	}

	enabled, err := parseBool(value)
	if err != nil {
		return envError(name, value, from,
			"is not a boolean; set true, false, 1, 0, yes or no")
	}

	api := &c.Platforms.APIServer
	if api.Enabled != nil && !*api.Enabled {
		return nil
	}
	api.Enabled = &enabled

	return nil
}

func envError(name, value, from, problem string) error {
	if from != "" {
		return fmt.Errorf("%w: %s=%q in %s %s", ErrEnvValue, name, value, from, problem)
	}

	return fmt.Errorf("%w: %s=%q %s", ErrEnvValue, name, value, problem)
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true", "1", "yes", "on":
		return true, nil
	case "false", "0", "no", "off":
		return false, nil
	}

	return false, fmt.Errorf("not a boolean: %q", v)
}

func parsePort(v string, dst *int) string {
	port, err := strconv.Atoi(v)
	if err != nil || port < 1 || port > 65535 {
		return "is not a port number; set 1-65535"
	}
	*dst = port

	return ""
}

func parseCount(v string, dst *int) string {
	n, err := strconv.Atoi(v)
	if err != nil {
		return "is not a whole number; set a count such as 10000"
	}
	*dst = n

	return ""
}

func parseDuration(v string, dst *time.Duration) string {
	d, err := time.ParseDuration(v)
	if err == nil {
		*dst = d

		return ""
	}

	if _, numErr := strconv.ParseFloat(v, 64); numErr == nil {
		return "has no unit; set a Go duration such as " + v + "s"
	}

	return "is not a duration; set a Go duration such as 90s or 5m"
}
