package messages

import (
	"fmt"
	"time"
)

// PlatformState is the lifecycle state of one platform in the status table.
type PlatformState string

// Platform states, as shown by the status table.
const (
	// StateConnecting: the adapter is starting.
	StateConnecting PlatformState = "connecting"
	// StateConnected: the listener is bound, or the chat service accepted
	// the login.
	StateConnected PlatformState = "connected"
	// StateRetrying: the last start failed with a retryable error and a
	// restart is scheduled at NextRetryAt.
	StateRetrying PlatformState = "retrying"
	// StateFatal: the last start failed with an error that a retry cannot
	// fix. The platform stays stopped until the configuration is reloaded
	// or an operator resumes it.
	StateFatal PlatformState = "fatal"
	// StatePaused: an operator paused the platform.
	StatePaused PlatformState = "paused"
	// StateStopped: the gateway is shutting down or the platform was
	// removed from the configuration.
	StateStopped PlatformState = "stopped"
)

// PlatformStatus is one row of the gateway's status table.
type PlatformStatus struct {
	Name           string        `json:"name"`
	State          PlatformState `json:"state"`
	ErrorCode      string        `json:"error_code,omitempty"`
	ErrorMessage   string        `json:"error_message,omitempty"`
	Attempts       int           `json:"attempts"`
	Restarts       int           `json:"restarts"`
	NextRetryAt    time.Time     `json:"next_retry_at,omitzero"`
	NeedsAttention bool          `json:"needs_attention"`
	Since          time.Time     `json:"since"`
}

// StatusRequest asks the gateway for its status table.
type StatusRequest struct {
	RequestID string
}

// StatusReply is the gateway's status table, one row per enrolled platform,
// sorted by name.
type StatusReply struct {
	RequestID string
	Gateway   string
	Platforms []PlatformStatus
}

// PausePlatform asks the gateway to stop a platform and keep it stopped
// until a ResumePlatform or a reload.
type PausePlatform struct {
	RequestID string
	Name      string
}

// ResumePlatform asks the gateway to start a paused or fatal platform again.
type ResumePlatform struct {
	RequestID string
	Name      string
}

// PlatformCommandReply answers PausePlatform and ResumePlatform. Err is nil
// on success.
type PlatformCommandReply struct {
	RequestID string
	Err       error
}

// PlatformConnected is sent by an adapter to the gateway once it is really
// connected.
type PlatformConnected struct {
	Platform string
}

// PlatformError is the typed failure of a platform adapter. An adapter
// escalates it to the gateway when it cannot start or loses its connection.
type PlatformError struct {
	Platform string
	// Code is a stable snake_case identifier such as
	// "api_server_port_in_use".
	Code string
	// Message tells the operator what failed and what to change.
	Message string
	// Retryable is true when the same configuration may work later
	// (network down, upstream unavailable).
	Retryable bool
	// Cause is the underlying error, if any. It is not shown to clients.
	Cause error
}

func (e *PlatformError) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %s (%v)", e.Platform, e.Code, e.Message, e.Cause)
	}
	return fmt.Sprintf("%s: %s: %s", e.Platform, e.Code, e.Message)
}

func (e *PlatformError) Unwrap() error { return e.Cause }
