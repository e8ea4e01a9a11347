package config

import (
	"fmt"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

// EnrollStatus is the outcome of enrollment: whether a platform gets an
// adapter and, if not, which kind of reason stops it.
type EnrollStatus int

// Enrollment statuses.
const (
	// NotConfigured: a setting the platform needs is missing, so the
	// gateway starts nothing for it and logs one line.
	NotConfigured EnrollStatus = iota
	// Disabled: the configuration turns the platform off explicitly.
	Disabled
	// Fatal: the platform is configured but cannot start until an operator
	// changes the configuration; it is never retried before a reload.
	Fatal
	// Enrolled: the gateway starts the platform's adapter.
	Enrolled
)

// String returns the status in snake_case, as logs and status tables show
// it.
func (s EnrollStatus) String() string {
	switch s {
	case NotConfigured:
		return "not_configured"
	case Disabled:
		return "disabled"
	case Fatal:
		return "fatal"
	case Enrolled:
		return "enrolled"
	}

	return fmt.Sprintf("EnrollStatus(%d)", int(s))
}

// Stable error codes of Enrollment.Code.
const (
	CodeAPIServerKeyMissing = "api_server_key_missing"
	CodeAPIServerKeyInvalid = "api_server_key_invalid"
)

// Enrollment is the decision whether to start a platform, with the reason
// an operator reads when it is not started.
type Enrollment struct {
	Status EnrollStatus
	// Code is a stable snake_case code for NotConfigured and Fatal, and
	// empty otherwise.
	Code string
	// Reason is one line saying what is missing or wrong and which setting
	// fixes it; empty for Enrolled. It never contains a key.
	Reason string
}

// placeholderKeys are values that configuration examples use in place of a
// real key, compared in lower case.
var placeholderKeys = map[string]bool{
	"*": true, "**": true, "***": true,
	"changeme": true, "change-me": true,
	"your_api_key": true, "your_api_key_here": true, "your-api-key": true,
	"placeholder": true, "example": true, "dummy": true,
	"null": true, "none": true, "secret": true, "password": true, "test": true,
}

// UsableSecret reports whether s, with surrounding white space trimmed, is
// not empty, is at least minLen characters long, and is not a placeholder:
// one of the values that configuration examples use, a value containing
// one of their words, or a value with too few different characters (see
// isWeakSecret).
func UsableSecret(s string, minLen int) bool {
	s = strings.TrimSpace(s)

	return s != "" && utf8.RuneCountInString(s) >= minLen && !isWeakSecret(s, minLen)
}

// placeholderWords are the words of example values such as
// "your-api-key-here" or "changeme123", compared in lower case with
// separators removed. A random key is unlikely to contain one.
var placeholderWords = []string{
	"changeme", "yourapikey", "yourkey", "yoursecret", "yourtoken", "placeholder",
	"replaceme", "insertkey", "insertyour", "example", "dummy",
}

// minDistinctRunes is the fewest different characters a usable secret has
// when its minimum length is 11 or more. Example values such as
// "sk-xxxxxxxxxxxxxxxx" have fewer, while a random base64 key of 16
// characters has about 14.
const minDistinctRunes = 6

func isPlaceholder(s string) bool {
	if placeholderKeys[strings.ToLower(s)] {
		return true
	}
	if s == "" {
		return false
	}

	folded := strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', '.', ' ':
			return -1
		}
		return unicode.ToLower(r)
	}, s)
	for _, word := range placeholderWords {
		if strings.Contains(folded, word) {
			return true
		}
	}

	first, _ := utf8.DecodeRuneInString(s)
	return strings.Trim(s, string(first)) == ""
}

// isWeakSecret reports whether s is a placeholder or has fewer different
// characters than a random secret of minLen characters would have: at
// least minDistinctRunes, or half of minLen for a shorter minimum.
func isWeakSecret(s string, minLen int) bool {
	if isPlaceholder(s) {
		return true
	}
	want := min(minDistinctRunes, (minLen+1)/2)
	distinct := make(map[rune]struct{}, want)
	for _, r := range s {
		distinct[r] = struct{}{}
		if len(distinct) >= want {
			return false
		}
	}
	return true
}

// secretProblem describes why UsableSecret rejects a non-empty secret, in
// words that follow the setting's name. It checks, in order, for a value
// from a configuration example, a short value and too few different
// characters.
func secretProblem(s string, minLen int) string {
	s = strings.TrimSpace(s)
	switch {
	case isPlaceholder(s):
		return "is a placeholder"
	case utf8.RuneCountInString(s) < minLen:
		return fmt.Sprintf("is shorter than %d characters", minLen)
	default:
		return "has too few different characters to be a random value"
	}
}

// Enrollment decides whether the API server starts: Disabled when
// Enabled is false, NotConfigured without a key (also when Enabled is
// true), Fatal for a key that is too short or a placeholder, else
// Enrolled. The Reason refers to the .env file as
// ~/.actorgate/.env; Config.APIServerEnrollment names the real path.
func (c APIServerConfig) Enrollment() Enrollment {
	return c.enrollment(filepath.Join("~", HomeDirName, EnvFileName))
}

// APIServerEnrollment is Platforms.APIServer.Enrollment with a Reason that
// names the .env file in c.Home.
func (c Config) APIServerEnrollment() Enrollment {
	envPath := filepath.Join("~", HomeDirName, EnvFileName)
	if c.Home != "" {
		envPath = filepath.Join(c.Home, EnvFileName)
	}

	return c.Platforms.APIServer.enrollment(envPath)
}

func (c APIServerConfig) enrollment(envPath string) Enrollment {
	switch {
	case c.Enabled != nil && !*c.Enabled:
		return Enrollment{
			Status: Disabled,
			Reason: "API server disabled by platforms.api_server.enabled: false",
		}
	case c.Key == "":
		return Enrollment{
			Status: NotConfigured,
			Code:   CodeAPIServerKeyMissing,
			Reason: fmt.Sprintf("API server not enrolled: API_SERVER_KEY is not set; "+
				"set a key of at least %d characters in %s or platforms.api_server.key",
				MinAPIKeyLength, envPath),
		}
	case !UsableSecret(c.Key, MinAPIKeyLength):
		return Enrollment{
			Status: Fatal,
			Code:   CodeAPIServerKeyInvalid,
			Reason: invalidKeyReason(c.Key, envPath),
		}
	}

	return Enrollment{Status: Enrolled}
}

func invalidKeyReason(key, envPath string) string {
	problem := secretProblem(key, MinAPIKeyLength)

	return fmt.Sprintf("API server key %s; set API_SERVER_KEY in %s or "+
		"platforms.api_server.key to a random key of at least %d characters "+
		"(such as the output of openssl rand -base64 32), then reload with "+
		"SIGHUP or restart", problem, envPath, MinAPIKeyLength)
}
