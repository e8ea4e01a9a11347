package apiserver

import (
	"context"
	"errors"
	"net/http"
	"time"

	json "github.com/segmentio/encoding/json"

	"github.com/actorgate/actorgate/actors/apiserver/wire"
	"github.com/actorgate/actorgate/actors/store"
	"github.com/actorgate/actorgate/messages"
)

// turn is one /v1/responses request, resolved against the stored chain it
// continues.
type turn struct {
	req       *wire.ResponsesRequest
	session   string
	id        string
	threadKey string
	history   []messages.ChatMessage
	agent     *messages.AgentRequest
	obj       *wire.ResponseObject
	createdAt int64
}

func (s *server) createResponse(w http.ResponseWriter, r *http.Request) {
	buf := s.getBuf()
	defer func() { s.putBuf(buf) }()
	req, body, session, ok := readRequest(w, r, buf, wire.DecodeResponsesRequest)
	if !ok {
		return
	}

	if req.Stream {
		// As for chat streams, the decoded request holds copies of what it
		// needs, so the body's buffer is not kept for the stream's life.
		s.putBuf(buf)
		buf = nil
		s.respond(w, r, req, session)
		return
	}
	if key := r.Header.Get(headerIdempotencyKey); key != "" {
		s.idempotent(w, r, key, session, body, func(w http.ResponseWriter) {
			s.respond(w, r, req, session)
		})
		return
	}
	s.respond(w, r, req, session)
}

// respond resolves the chain a request continues, runs the agent, stores
// the response when asked to, and writes it, streamed or whole.
func (s *server) respond(w http.ResponseWriter, r *http.Request, req *wire.ResponsesRequest,
	session string,
) {
	t, werr := s.resolveTurn(r.Context(), req, session)
	if werr != nil {
		wire.WriteError(w, werr)
		return
	}
	if req.Stream {
		s.streamResponse(w, r, t)
		return
	}
	reply, werr := s.runAgent(r.Context(), t.agent)
	if werr != nil {
		wire.WriteError(w, werr)
		return
	}
	if werr := incompleteError(reply); werr != nil {
		wire.WriteError(w, werr)
		return
	}
	t.obj.Model = replyModel(reply, t.agent.Model)
	t.obj.SetReply(reply)
	if !req.Store {
		out := s.getBuf()
		defer s.putBuf(out)
		*out = t.obj.AppendJSON(*out)
		writeJSON(w, http.StatusOK, *out)
		return
	}
	body, werr := s.storeResponse(r.Context(), t)
	if werr != nil {
		wire.WriteError(w, werr)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// resolveTurn finds the chain a request continues (previous_response_id or
// a conversation name), inherits its history and instructions, and builds
// the agent request and the response object.
func (s *server) resolveTurn(ctx context.Context, req *wire.ResponsesRequest, session string) (*turn, *wire.Error) {
	t := &turn{req: req, session: session, createdAt: time.Now().Unix()}
	prev, werr := s.previous(ctx, req, session)
	if werr != nil {
		return nil, werr
	}
	instructions := req.Instructions
	if prev != nil {
		t.threadKey, _ = wire.ParseResponseID(prev.ID)
		switch {
		case req.HasConversationHistory:
			// The client's history replaces the stored one, and the turn
			// stays in the stored response's thread.
			t.history = req.ConversationHistory
		case len(prev.History) > 0:
			if err := json.Unmarshal(prev.History, &t.history); err != nil {
				return nil, errInternal(err)
			}
		}
		if !req.HasInstructions {
			instructions = prev.Instructions
		}
		if req.Conversation != "" {
			req.PreviousResponseID = prev.ID
		}
	} else {
		t.threadKey = wire.NewThreadKey()
		if req.HasConversationHistory {
			t.history = req.ConversationHistory
		}
	}
	t.id = wire.NewResponseID(t.threadKey)

	msgs := make([]messages.ChatMessage, 0, len(t.history)+len(req.Input))
	msgs = append(append(msgs, t.history...), req.Input...)
	model := s.model(req.Model)
	t.agent = &messages.AgentRequest{
		RequestID:    runIDFrom(ctx),
		SessionID:    "api:thread:" + t.threadKey,
		Model:        model,
		Instructions: instructions,
		Messages:     msgs,
		Tools:        req.Tools,
		ToolChoice:   req.ToolChoice,
		Options:      req.Options,
		Stream:       req.Stream,
		Deadline:     time.Now().Add(s.settings.AgentTimeout),
	}
	params := req.ResponseParams(t.id, model, t.createdAt)
	params.Instructions = instructions
	params.HasInstructions = req.HasInstructions || instructions != ""
	t.obj = wire.NewResponseObject(params)
	return t, nil
}

// previous loads the stored response a request continues, or nil for a
// new chain. A conversation name whose response was deleted or evicted
// starts a new chain; a previous_response_id that does not exist is 404.
func (s *server) previous(ctx context.Context, req *wire.ResponsesRequest, session string) (*messages.StoredResponse, *wire.Error) {
	id := req.PreviousResponseID
	if req.Conversation != "" {
		res, werr := s.ask(ctx, s.store, &messages.GetConversation{
			RequestID: requestID(ctx), Name: req.Conversation, SessionKey: session,
		}, storeTimeout)
		if werr != nil {
			return nil, werr
		}
		reply, _ := res.(*messages.GetConversationReply)
		if reply == nil || errors.Is(reply.Err, messages.ErrNotFound) {
			return nil, nil
		}
		if reply.Err != nil {
			return nil, storeError(reply.Err)
		}
		id = reply.ResponseID
	}
	if id == "" {
		return nil, nil
	}
	if _, ok := wire.ParseResponseID(id); !ok {
		return nil, previousNotFound(id)
	}
	stored, werr := s.loadResponse(ctx, id, session)
	if werr != nil {
		if werr.Status == http.StatusNotFound {
			if req.Conversation != "" {
				return nil, nil
			}
			return nil, previousNotFound(id)
		}
		return nil, werr
	}
	return stored, nil
}

func previousNotFound(id string) *wire.Error {
	return wire.NewError(http.StatusNotFound, wire.TypeInvalidRequest, "previous_response_id",
		codeResponseNotFound, "previous response %q not found; it may have been deleted or "+
			"evicted, or it belongs to another session key", id)
}

func responseNotFound(id string) *wire.Error {
	return wire.NewError(http.StatusNotFound, wire.TypeInvalidRequest, "response_id",
		codeResponseNotFound, "response %q not found", id)
}

// storeError maps a store reply's error to the HTTP error of the response.
func storeError(err error) *wire.Error {
	if errors.Is(err, messages.ErrStoreUnavailable) {
		return wire.NewError(http.StatusServiceUnavailable, wire.TypeServer, "", codeStoreUnavailable,
			"the response store is unavailable (%v); requests that do not store responses still work, "+
				"retry later or send store: false", err)
	}
	return errInternal(err)
}

func (s *server) loadResponse(ctx context.Context, id, session string) (*messages.StoredResponse, *wire.Error) {
	res, werr := s.ask(ctx, s.store, &messages.GetResponse{
		RequestID: requestID(ctx), ID: id, SessionKey: session,
	}, storeTimeout)
	if werr != nil {
		return nil, werr
	}
	reply, _ := res.(*messages.GetResponseReply)
	switch {
	case reply == nil:
		return nil, errUnavailable("the response store returned no reply")
	case errors.Is(reply.Err, messages.ErrNotFound):
		return nil, responseNotFound(id)
	case reply.Err != nil:
		return nil, storeError(reply.Err)
	}
	return reply.Response, nil
}

// storeTurn persists the response in its final state when the request
// asked for it.
func (s *server) storeTurn(ctx context.Context, t *turn) *wire.Error {
	if !t.req.Store {
		return nil
	}
	_, werr := s.storeResponse(ctx, t)
	return werr
}

// storeResponse persists the response in its final state, with the history
// that continues it, and returns the response object's JSON, which is
// both the stored body and the HTTP response. The history ends with the
// assistant turn as the response object shows it, so a chained request
// continues with the same text and call ids that the client got.
//
// The body is a fresh slice, not a pooled buffer, because after a timeout
// the store actor may still hold it in a pending batch. It goes out as a
// PutEncodedResponse: both byte slices come from the gateway's encoders,
// whose tests and fuzz targets check that their output is valid JSON, so
// the store skips checking it again.
func (s *server) storeResponse(ctx context.Context, t *turn) ([]byte, *wire.Error) {
	n := len(t.agent.Messages)
	history := append(t.agent.Messages[:n:n], assistantTurn(t.obj))
	hist, err := json.Marshal(history)
	if err != nil {
		return nil, errInternal(err)
	}
	body := t.obj.AppendJSON(nil)
	res, werr := s.ask(ctx, s.store, &store.PutEncodedResponse{PutResponse: messages.PutResponse{
		RequestID: requestID(ctx),
		Response: messages.StoredResponse{
			ID:           t.id,
			SessionKey:   t.session,
			PreviousID:   t.req.PreviousResponseID,
			Conversation: t.req.Conversation,
			Instructions: t.agent.Instructions,
			Status:       t.obj.Status,
			Body:         body,
			History:      hist,
			CreatedAt:    time.Unix(t.createdAt, 0),
		},
	}}, storeTimeout)
	if werr != nil {
		return nil, werr
	}
	reply, _ := res.(*messages.PutResponseReply)
	switch {
	case reply == nil:
		return nil, errUnavailable("the response store returned no reply")
	case reply.Err != nil:
		return nil, storeError(reply.Err)
	}
	return body, nil
}

// assistantTurn is the assistant message of a finished response: its
// output text and its function calls.
func assistantTurn(obj *wire.ResponseObject) messages.ChatMessage {
	m := messages.ChatMessage{Role: "assistant", Content: obj.OutputText()}
	for i := range obj.Output {
		it := &obj.Output[i]
		if it.Type != wire.OutputFunctionCall {
			continue
		}
		m.ToolCalls = append(m.ToolCalls, messages.ToolCall{
			ID: it.CallID, Type: "function", Name: it.Name, Arguments: it.Arguments,
		})
	}
	return m
}

func (s *server) getResponse(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	session, werr := sessionKey(r)
	if werr != nil {
		wire.WriteError(w, werr)
		return
	}
	if _, ok := wire.ParseResponseID(id); !ok {
		wire.WriteError(w, responseNotFound(id))
		return
	}
	stored, werr := s.loadResponse(r.Context(), id, session)
	if werr != nil {
		wire.WriteError(w, werr)
		return
	}
	writeJSON(w, http.StatusOK, stored.Body)
}

func (s *server) deleteResponse(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	session, werr := sessionKey(r)
	if werr != nil {
		wire.WriteError(w, werr)
		return
	}
	if _, ok := wire.ParseResponseID(id); !ok {
		wire.WriteError(w, responseNotFound(id))
		return
	}
	res, werr := s.ask(r.Context(), s.store, &messages.DeleteResponse{
		RequestID: requestID(r.Context()), ID: id, SessionKey: session,
	}, storeTimeout)
	if werr != nil {
		wire.WriteError(w, werr)
		return
	}
	reply, _ := res.(*messages.DeleteResponseReply)
	switch {
	case reply == nil:
		wire.WriteError(w, errUnavailable("the response store returned no reply"))
		return
	case errors.Is(reply.Err, messages.ErrNotFound):
		wire.WriteError(w, responseNotFound(id))
		return
	case reply.Err != nil:
		wire.WriteError(w, storeError(reply.Err))
		return
	}
	body, _ := json.Marshal(map[string]any{"id": id, "object": "response", "deleted": true})
	writeJSON(w, http.StatusOK, body)
}
