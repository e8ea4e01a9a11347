package apiserver

import (
	"context"
	"errors"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/actorgate/actorgate/actors/agent"
	"github.com/actorgate/actorgate/actors/apiserver/wire"
	"github.com/actorgate/actorgate/messages"
)

// lateReplyMargin is how much longer a requester waits than the deadline
// it gives the agent. The agent drops a reply whose deadline passed, so a
// reply never reaches a future that already timed out.
const lateReplyMargin = time.Second

func (s *server) chatCompletions(w http.ResponseWriter, r *http.Request) {
	buf := s.getBuf()
	defer func() { s.putBuf(buf) }()
	req, body, session, ok := readRequest(w, r, buf, wire.DecodeChatRequest)
	if !ok {
		return
	}

	runID := runIDFrom(r.Context())
	areq := &messages.AgentRequest{
		RequestID:  runID,
		SessionID:  sessionID(session, runID),
		Model:      s.model(req.Model),
		Messages:   req.Messages,
		Tools:      req.Tools,
		ToolChoice: req.ToolChoice,
		Options:    req.Options,
		Stream:     req.Stream,
		Deadline:   time.Now().Add(s.settings.AgentTimeout),
	}

	if req.Stream {
		// The decoded request holds copies of what it needs from the body,
		// so the buffer goes back to the pool before the stream starts
		// instead of staying with an idle stream.
		s.putBuf(buf)
		buf = nil
		s.streamChat(w, r, areq, req.IncludeUsage)
		return
	}
	if key := r.Header.Get(headerIdempotencyKey); key != "" {
		s.idempotent(w, r, key, session, body, func(w http.ResponseWriter) {
			s.completeChat(w, r.Context(), areq)
		})
		return
	}
	s.completeChat(w, r.Context(), areq)
}

// completeChat runs a non-streaming chat completion and writes the
// response.
func (s *server) completeChat(w http.ResponseWriter, ctx context.Context, areq *messages.AgentRequest) {
	reply, werr := s.runAgent(ctx, areq)
	if werr != nil {
		wire.WriteError(w, werr)
		return
	}
	if werr := incompleteError(reply); werr != nil {
		wire.WriteError(w, werr)
		return
	}
	reply.FinishReason = finishReason(reply)
	out := s.getBuf()
	defer s.putBuf(out)
	*out = wire.AppendChatCompletion(*out, wire.NewChatCompletionID(), time.Now().Unix(),
		replyModel(reply, areq.Model), reply)
	writeJSON(w, http.StatusOK, *out)
}

// model maps the client's model to the one the request runs with: empty
// means the gateway's own model name.
func (s *server) model(requested string) string {
	if requested == "" {
		return s.settings.API.ModelName
	}
	return requested
}

func replyModel(reply *messages.AgentReply, requested string) string {
	if reply.Model != "" {
		return reply.Model
	}
	return requested
}

// sessionID names the agent session of a stateless request: the caller's
// session key when it sent one, else the request's own run id, so that two
// callers never share a session by sending the same words.
func sessionID(sessionKey, runID string) string {
	if sessionKey != "" {
		return "api:" + sessionKey
	}
	return "api:" + runID
}

// runAgent runs a non-streaming request through the runner on the
// handler's goroutine, or sends it to the agent and waits for the reply.
// If the client goes away first, the agent run is cancelled.
func (s *server) runAgent(ctx context.Context, req *messages.AgentRequest) (*messages.AgentReply, *wire.Error) {
	if s.settings.Runner != nil {
		reply, err := s.settings.Runner.Run(ctx, req, nil)
		if err != nil {
			return nil, runError(err)
		}
		markStopping(ctx, &reply)
		return &reply, nil
	}
	if s.agent == nil {
		return nil, errUnavailable("no agent is running")
	}
	stop := context.AfterFunc(ctx, func() { s.cancelRun(req.RequestID) })
	defer stop()
	timeout := time.Until(req.Deadline) + lateReplyMargin
	res, werr := s.ask(context.WithoutCancel(ctx), s.agent, req, timeout)
	if werr != nil {
		if werr.Code == codeTimeout {
			// The agent's own timeout reply is due at the deadline and is
			// dropped there, so a run that produced nothing in time gets
			// the same answer as a streamed one: 504 agent_incomplete.
			return nil, incompleteError(timeoutReply(req.RequestID))
		}
		return nil, werr
	}
	reply, ok := res.(*messages.AgentReply)
	if !ok {
		return nil, errUnavailable("the agent returned no reply")
	}
	own := ownReply(reply)
	markStopping(ctx, own)
	return own, nil
}

// stopping reports whether ctx ended because the server is shutting down.
func stopping(ctx context.Context) bool {
	return ctx.Err() != nil && errors.Is(context.Cause(ctx), errServerStopping)
}

// markStopping replaces the error of a run that failed because the server
// ended its request with stoppedError, which a client may retry.
func markStopping(ctx context.Context, reply *messages.AgentReply) {
	if reply.Err != nil && stopping(ctx) {
		reply.Err = stoppedError()
	}
}

// stoppedError is the error of a run that the server ended because it is
// shutting down.
func stoppedError() *messages.AgentError {
	return &messages.AgentError{
		Code:    codeShuttingDown,
		Message: "the server is shutting down and ended this run; send the request again",
	}
}

// ownReply returns a copy of an agent reply that the handler may change.
// The agent goes on reading a reply after sending it (to log it), so the
// message itself is read-only here.
func ownReply(r *messages.AgentReply) *messages.AgentReply {
	c := *r
	c.ToolCalls = slices.Clone(r.ToolCalls)
	return &c
}

// incompleteError maps a failed run that produced nothing to its API
// error. A run that produced some text or a tool call gets a 200 response
// with its finish reason instead.
//
//   - The server ended the run: 503 server_shutting_down.
//   - The upstream responded with 429: 429 rate_limit_exceeded, the code
//     and status that OpenAI uses, so that SDKs back off and retry.
//   - The upstream responded with 503: 503 agent_incomplete.
//   - The run timed out: 504 agent_incomplete.
//   - Anything else, 401 and 403 from the upstream included: 502
//     agent_incomplete. The client's own key was accepted, so a rejected
//     upstream key is the gateway's fault, not the client's.
//
// A 429 or 503 carries the upstream's Retry-After wait when it sent one.
func incompleteError(reply *messages.AgentReply) *wire.Error {
	if reply.Err == nil || reply.Text != "" || len(reply.ToolCalls) > 0 {
		return nil
	}
	e := reply.Err
	if e.Code == codeShuttingDown {
		return wire.NewError(http.StatusServiceUnavailable, wire.TypeServer, "", codeShuttingDown,
			"%s", e.Message)
	}
	if e.Code == agent.CodeUpstreamError {
		if werr := upstreamStatusError(e); werr != nil {
			return werr
		}
	}
	status := http.StatusBadGateway
	if e.Code == agent.CodeUpstreamTimeout {
		status = http.StatusGatewayTimeout
	}
	return wire.NewError(status, wire.TypeServer, "", codeAgentIncomplete,
		"the agent produced no answer (%s): %s", e.Code, e.Message)
}

// upstreamStatusError maps the HTTP error statuses of the upstream that
// need more than the generic 502 to their API error, or returns nil.
func upstreamStatusError(e *messages.AgentError) *wire.Error {
	var werr *wire.Error
	switch e.UpstreamStatus {
	case http.StatusTooManyRequests:
		werr = wire.NewError(http.StatusTooManyRequests, wire.TypeRateLimit, "",
			codeRateLimitExceeded, "the agent's upstream is rate limiting the gateway, so %s (%s)",
			retryAdvice(e.RetryAfter), e.Message)
	case http.StatusServiceUnavailable:
		werr = wire.NewError(http.StatusServiceUnavailable, wire.TypeServer, "",
			codeAgentIncomplete, "the agent's upstream is unavailable, so %s (%s)",
			retryAdvice(e.RetryAfter), e.Message)
	case http.StatusUnauthorized, http.StatusForbidden:
		return wire.NewError(http.StatusBadGateway, wire.TypeServer, "", codeAgentIncomplete,
			"the agent produced no answer: %s. The key sent to this gateway was accepted, so "+
				"the gateway's operator has to fix the key that the gateway sends upstream",
			e.Message)
	default:
		return nil
	}
	werr.RetryAfter = e.RetryAfter
	return werr
}

// retryAdvice returns the part of a message that advises the client when
// to send the request again.
func retryAdvice(wait time.Duration) string {
	if wait <= 0 {
		return "retry later"
	}
	seconds := int64(math.Ceil(wait.Seconds()))
	if seconds == 1 {
		return "retry after 1 second"
	}
	return "retry after " + strconv.FormatInt(seconds, 10) + " seconds"
}

// finishReason returns the chat finish reason of a reply. It is never
// "stop" for a run that failed: such a run ends with "length" when the
// upstream reported it, else with "error".
func finishReason(reply *messages.AgentReply) string {
	switch {
	case reply.Err != nil && reply.FinishReason == messages.FinishLength:
		return messages.FinishLength
	case reply.Err != nil:
		return messages.FinishError
	case reply.FinishReason != "":
		return reply.FinishReason
	case len(reply.ToolCalls) > 0:
		return messages.FinishToolCalls
	}
	return messages.FinishStop
}
