package wire

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/actorgate/actorgate/internal/jsonstr"
)

// Errors returned by the stream writers. Compare with errors.Is.
var (
	// ErrInvalidFrame is returned when an event name, data or comment
	// contains a line break, which would split one SSE frame into several.
	ErrInvalidFrame = errors.New("invalid server-sent event frame")
	// ErrStreamClosed is returned by every call after a write or flush to
	// the client failed once; the client is gone and nothing more is sent.
	ErrStreamClosed = errors.New("event stream closed")
	// ErrResponseFinished is returned by a ResponseStream after Finish.
	ErrResponseFinished = errors.New("response stream already finished")
)

// OpenAI error types, the "type" field of the error envelope.
const (
	TypeInvalidRequest = "invalid_request_error"
	TypeAuthentication = "authentication_error"
	TypePermission     = "permission_error"
	TypeRateLimit      = "rate_limit_error"
	TypeServer         = "server_error"
)

// Error codes that the decoders put in the "code" field.
const (
	CodeInvalidJSON      = "invalid_json"
	CodeMissingParameter = "missing_required_parameter"
	CodeInvalidType      = "invalid_type"
	CodeInvalidValue     = "invalid_value"
	CodeUnsupported      = "unsupported_value"
	CodeTooLarge         = "too_large"
	CodeNotFound         = "not_found"
)

// Error is an OpenAI-style API error: an HTTP status plus the envelope
// {"error":{"message","type","param","code"}}. Param and Code are written
// as JSON null when empty.
type Error struct {
	Status  int
	Message string
	Type    string
	Param   string
	Code    string
	// RetryAfter, when positive, is the wait that WriteError announces in
	// the Retry-After header, in whole seconds rounded up, and in the
	// retry-after-ms header, which openai-go v3 reads before Retry-After.
	RetryAfter time.Duration
}

// Error returns the message, which names the parameter when there is one.
func (e *Error) Error() string {
	return e.Message
}

// NewError builds an Error with a formatted message.
func NewError(status int, typ, param, code, format string, args ...any) *Error {
	return &Error{
		Status:  status,
		Message: fmt.Sprintf(format, args...),
		Type:    typ,
		Param:   param,
		Code:    code,
	}
}

// InvalidRequest builds a 400 invalid_request_error about param.
func InvalidRequest(param, code, format string, args ...any) *Error {
	return NewError(http.StatusBadRequest, TypeInvalidRequest, param, code, format, args...)
}

// NotFound builds a 404 invalid_request_error about param, the type OpenAI
// uses for an unknown response or model id.
func NotFound(param, format string, args ...any) *Error {
	return NewError(http.StatusNotFound, TypeInvalidRequest, param, CodeNotFound, format, args...)
}

// AppendJSON appends the error envelope to dst.
func (e *Error) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"error":{"message":`...)
	dst = jsonstr.Append(dst, e.Message)
	dst = append(dst, `,"type":`...)
	dst = jsonstr.Append(dst, e.Type)
	dst = append(dst, `,"param":`...)
	dst = appendStringOrNull(dst, e.Param)
	dst = append(dst, `,"code":`...)
	dst = appendStringOrNull(dst, e.Code)
	return append(dst, "}}"...)
}

// WriteError writes e as a JSON error response with e.Status, or 500 when
// the status is not a valid HTTP error status. A nil e writes a generic 500.
func WriteError(w http.ResponseWriter, e *Error) {
	if e == nil {
		e = &Error{
			Status: http.StatusInternalServerError, Message: "internal error",
			Type: TypeServer,
		}
	}
	status := e.Status
	if status < 400 || status > 599 {
		status = http.StatusInternalServerError
	}

	body := e.AppendJSON(make([]byte, 0, 128+len(e.Message)))
	body = append(body, '\n')
	h := w.Header()
	h["Content-Type"] = ContentTypeJSON
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.FormatInt(ceilDiv(e.RetryAfter, time.Second), 10))
		h.Set("Retry-After-Ms", strconv.FormatInt(ceilDiv(e.RetryAfter, time.Millisecond), 10))
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// ceilDiv returns a positive d in whole units, rounded up.
func ceilDiv(d, unit time.Duration) int64 {
	n := int64(d / unit)
	if d%unit != 0 {
		n++
	}
	return n
}

// ContentTypeJSON is the Content-Type of a JSON response as a shared,
// read-only header value, which saves the slice that Header.Set allocates.
var ContentTypeJSON = []string{"application/json"}
