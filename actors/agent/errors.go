package agent

import "errors"

// Sentinel errors of the agent package. Compare with errors.Is.
var (
	// ErrInvalidConfig is returned by the backend constructors when a field
	// of the configuration is invalid. The wrapping error names the field
	// and an example of a valid value.
	ErrInvalidConfig = errors.New("invalid agent configuration")

	// ErrInvalidRequest is wrapped by the request encoder when a field of an
	// AgentRequest cannot be sent upstream, for example a content part of
	// an unknown type. The wrapping error names the field.
	ErrInvalidRequest = errors.New("invalid agent request")

	// ErrMalformedStream is wrapped by the SSE reader when the upstream's
	// event stream breaks the format, for example with an event larger than
	// the limit.
	ErrMalformedStream = errors.New("malformed upstream event stream")

	// ErrBackendClosed is the cause reported when Run is called after Close.
	ErrBackendClosed = errors.New("agent backend closed")

	// ErrUpstreamCredentials is wrapped by the error that the runner logs
	// when the upstream responded with 401 or 403, which means that it
	// rejected agent.api_key. The wrapping error quotes the upstream's
	// message and names the setting.
	ErrUpstreamCredentials = errors.New("the upstream rejected the gateway's credentials")
)
