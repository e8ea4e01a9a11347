package config

import (
	"encoding/json"
	"fmt"
	"slices"
)

// redactedChat returns a deep copy of p's chat blocks with every token,
// password and secret replaced by RedactedText.
func (p PlatformsConfig) redactedChat() PlatformsConfig {
	p.Telegram = p.Telegram.redacted()
	p.IRC = p.IRC.redacted()
	p.Matrix = p.Matrix.redacted()
	p.Webhook = p.Webhook.redacted()

	return p
}

func (c TelegramConfig) redacted() TelegramConfig {
	c.Token = redact(c.Token)
	c.AllowedUsers = slices.Clone(c.AllowedUsers)

	return c
}

func (c IRCConfig) redacted() IRCConfig {
	c.SASLPassword = redact(c.SASLPassword)
	c.Channels = slices.Clone(c.Channels)
	c.AllowedUsers = slices.Clone(c.AllowedUsers)

	return c
}

func (c MatrixConfig) redacted() MatrixConfig {
	c.AccessToken = redact(c.AccessToken)
	c.Password = redact(c.Password)
	c.AllowedUsers = slices.Clone(c.AllowedUsers)

	return c
}

func (c WebhookConfig) redacted() WebhookConfig {
	c.Secret = redact(c.Secret)
	c.CallbackAllowlist = slices.Clone(c.CallbackAllowlist)
	if c.Enabled != nil {
		enabled := *c.Enabled
		c.Enabled = &enabled
	}

	return c
}

// The types below have the fields of the chat config types but none of
// their methods, so that the methods can format or encode a redacted copy
// without calling themselves.
type (
	plainTelegram TelegramConfig
	plainIRC      IRCConfig
	plainMatrix   MatrixConfig
	plainWebhook  WebhookConfig
)

// String formats c with its token redacted.
func (c TelegramConfig) String() string { return formatFields(plainTelegram(c.redacted())) }

// GoString is String for the %#v verb.
func (c TelegramConfig) GoString() string { return "config.TelegramConfig" + c.String() }

// Format writes String, or GoString for %#v, whatever the verb.
func (c TelegramConfig) Format(f fmt.State, verb rune) { formatRedacted(f, verb, c) }

// MarshalJSON encodes c with its token redacted.
func (c TelegramConfig) MarshalJSON() ([]byte, error) {
	return json.Marshal(plainTelegram(c.redacted()))
}

// MarshalYAML encodes c with its token redacted, so a marshalled
// configuration must not be written back as config.yaml.
func (c TelegramConfig) MarshalYAML() (any, error) { return plainTelegram(c.redacted()), nil }

// String formats c with its SASL password redacted.
func (c IRCConfig) String() string { return formatFields(plainIRC(c.redacted())) }

// GoString is String for the %#v verb.
func (c IRCConfig) GoString() string { return "config.IRCConfig" + c.String() }

// Format writes String, or GoString for %#v, whatever the verb.
func (c IRCConfig) Format(f fmt.State, verb rune) { formatRedacted(f, verb, c) }

// MarshalJSON encodes c with its SASL password redacted.
func (c IRCConfig) MarshalJSON() ([]byte, error) { return json.Marshal(plainIRC(c.redacted())) }

// MarshalYAML encodes c with its SASL password redacted.
func (c IRCConfig) MarshalYAML() (any, error) { return plainIRC(c.redacted()), nil }

// String formats c with its access token and password redacted.
func (c MatrixConfig) String() string { return formatFields(plainMatrix(c.redacted())) }

// GoString is String for the %#v verb.
func (c MatrixConfig) GoString() string { return "config.MatrixConfig" + c.String() }

// Format writes String, or GoString for %#v, whatever the verb.
func (c MatrixConfig) Format(f fmt.State, verb rune) { formatRedacted(f, verb, c) }

// MarshalJSON encodes c with its access token and password redacted.
func (c MatrixConfig) MarshalJSON() ([]byte, error) {
	return json.Marshal(plainMatrix(c.redacted()))
}

// MarshalYAML encodes c with its access token and password redacted.
func (c MatrixConfig) MarshalYAML() (any, error) { return plainMatrix(c.redacted()), nil }

// String formats c with its secret redacted.
func (c WebhookConfig) String() string { return formatFields(plainWebhook(c.redacted())) }

// GoString is String for the %#v verb.
func (c WebhookConfig) GoString() string { return "config.WebhookConfig" + c.String() }

// Format writes String, or GoString for %#v, whatever the verb.
func (c WebhookConfig) Format(f fmt.State, verb rune) { formatRedacted(f, verb, c) }

// MarshalJSON encodes c with its secret redacted.
func (c WebhookConfig) MarshalJSON() ([]byte, error) {
	return json.Marshal(plainWebhook(c.redacted()))
}

// MarshalYAML encodes c with its secret redacted.
func (c WebhookConfig) MarshalYAML() (any, error) { return plainWebhook(c.redacted()), nil }
