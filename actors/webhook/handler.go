package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/actorgate/actorgate/actors/chat"
	"github.com/actorgate/actorgate/messages"
)

// Path is the URL path of the webhook's signed POST requests.
const Path = "/webhook"

// replyGrace is how much longer than the agent timeout a synchronous
// request waits for its answer, to cover the sessions store and the
// queue of earlier messages of the same chat.
const replyGrace = 30 * time.Second

// Request is the JSON body of a webhook request.
type Request struct {
	ChatID   string `json:"chat_id"`
	UserID   string `json:"user_id"`
	UserName string `json:"user_name"`
	Text     string `json:"text"`
	// CallbackURL, when set, makes the request asynchronous: the answer
	// is posted there, signed like a request, and the request gets 202 at
	// once. Its origin must be on the callback allowlist.
	CallbackURL string `json:"callback_url,omitempty"`
}

// Reply is the JSON body of an answer, in the response or the callback.
type Reply struct {
	// RequestID identifies the request; a callback carries the id that
	// the 202 response announced.
	RequestID string   `json:"request_id"`
	ChatID    string   `json:"chat_id,omitempty"`
	Reply     string   `json:"reply"`
	Parts     []string `json:"parts"`
	// Error is set when the agent could not answer; Reply then holds the
	// apology meant for the user.
	Error *ErrorBody `json:"error,omitempty"`
}

// ErrorBody describes a failed request.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type handler struct {
	settings  Settings
	core      *chat.Core
	log       *zap.Logger
	verifier  *verifier
	callbacks *callbackClient
	// ctx ends when the adapter closes; callbacks use it.
	ctx context.Context
}

func (h *handler) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+Path, h.serve)
	mux.HandleFunc(Path, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed",
			"send the request with POST")
	})
	return mux
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "body_too_large",
			"the body is larger than 1 MiB or could not be read")
		return
	}
	if err := h.verifier.verify(r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature),
		body); err != nil {
		h.log.Warn("webhook request rejected", zap.String("remote_addr", r.RemoteAddr),
			zap.Error(err))
		writeError(w, http.StatusUnauthorized, verifyCode(err), err.Error())
		return
	}
	req, callback, status, problem := h.decode(body)
	if problem != "" {
		writeError(w, status, "invalid_request", problem)
		return
	}
	id := newRequestID()
	in := messages.InboundMessage{
		Platform: Name, ChatType: messages.ChatDM, ChatID: req.ChatID,
		UserID: req.UserID, UserName: req.UserName, MessageID: id, Text: req.Text,
	}
	if callback != nil {
		h.accept(w, in, callback)
		return
	}
	h.answer(w, r, in)
}

// decode parses and checks the body. It returns the HTTP status and a
// problem for the caller when the body is invalid.
func (h *handler) decode(body []byte) (Request, *url.URL, int, string) {
	var req Request
	dec := json.NewDecoder(strings.NewReader(string(body)))
	if err := dec.Decode(&req); err != nil {
		return req, nil, http.StatusBadRequest, "the body is not a JSON object with chat_id, " +
			"user_id and text: " + err.Error()
	}
	switch {
	case strings.TrimSpace(req.ChatID) == "":
		return req, nil, http.StatusBadRequest, "chat_id is missing; set it to a non-empty string"
	case strings.TrimSpace(req.UserID) == "":
		return req, nil, http.StatusBadRequest, "user_id is missing; set it to a non-empty string"
	}
	if strings.TrimSpace(req.Text) == "" {
		return req, nil, http.StatusBadRequest, "text is missing; set it to the user's message"
	}
	if req.CallbackURL == "" {
		return req, nil, 0, ""
	}
	u, err := h.allowedCallback(req.CallbackURL)
	if err != nil {
		return req, nil, http.StatusForbidden, err.Error()
	}
	return req, u, 0, ""
}

// allowedCallback parses raw and checks that its origin is on the
// allowlist.
func (h *handler) allowedCallback(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, errors.New("callback_url is not an absolute http or https URL")
	}
	origin := strings.ToLower(u.Scheme + "://" + u.Host)
	for _, allowed := range h.settings.Webhook.CallbackAllowlist {
		if strings.ToLower(strings.TrimSuffix(allowed, "/")) == origin {
			return u, nil
		}
	}
	return nil, errors.New("callback_url's origin " + origin + " is not on the callback " +
		"allowlist; ask the operator to add it to WEBHOOK_CALLBACK_ALLOWLIST")
}

// answer runs the message and writes the answer into the response.
func (h *handler) answer(w http.ResponseWriter, r *http.Request, in messages.InboundMessage) {
	done := make(chan chat.Result, 1)
	if err := h.core.Submit(chat.Job{
		Message: in, Silent: true,
		Done: func(res chat.Result) { done <- res },
	}); err != nil {
		writeError(w, http.StatusServiceUnavailable, "unavailable", "the webhook is stopping")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.settings.AgentTimeout+replyGrace)
	defer cancel()
	select {
	case res := <-done:
		status, reply := replyBody(in, res)
		writeJSON(w, status, reply)
	case <-ctx.Done():
		writeError(w, http.StatusGatewayTimeout, "timeout",
			"no answer in time; the answer, if any, is kept in the conversation")
	}
}

// accept answers 202 at once and posts the answer to the callback later.
func (h *handler) accept(w http.ResponseWriter, in messages.InboundMessage, callback *url.URL) {
	err := h.core.Submit(chat.Job{Message: in, Silent: true, Done: func(res chat.Result) {
		_, reply := replyBody(in, res)
		if err := h.callbacks.post(h.ctx, callback, h.settings, reply); err != nil &&
			h.ctx.Err() == nil {
			h.log.Error("webhook callback failed", zap.String("request_id", in.MessageID),
				zap.String("callback_origin", callback.Scheme+"://"+callback.Host), zap.Error(err))
		}
	}})
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "unavailable", "the webhook is stopping")
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{
		"request_id": in.MessageID, "status": "accepted",
	})
}

// replyBody turns a result into the HTTP status and the JSON answer.
func replyBody(in messages.InboundMessage, res chat.Result) (int, Reply) {
	reply := Reply{RequestID: in.MessageID, ChatID: in.ChatID, Reply: res.Reply, Parts: res.Parts}
	if reply.Parts == nil {
		reply.Parts = []string{}
	}
	if res.Outcome != chat.Failed {
		return http.StatusOK, reply
	}
	reply.Error = &ErrorBody{Code: "agent_failed", Message: "the agent could not answer; retry later"}
	return http.StatusBadGateway, reply
}

func verifyCode(err error) string {
	switch {
	case errors.Is(err, ErrUnsigned):
		return "unsigned"
	case errors.Is(err, ErrStale):
		return "stale_timestamp"
	case errors.Is(err, ErrReplayed):
		return "replayed"
	}
	return "invalid_signature"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]ErrorBody{"error": {Code: code, Message: message}})
}

// newRequestID returns "wh_" and 16 random hex digits.
func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "wh_" + hex.EncodeToString(b[:])
}
