package apiserver

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/actorgate/actorgate/actors/apiserver/wire"
	"github.com/actorgate/actorgate/messages"
)

type requestIDKey struct{}

func withRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (s *server) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, []byte(`{"status":"ok","platform":"actorgate"}`))
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	wire.WriteError(w, wire.NewError(http.StatusNotFound, "invalid_request_error", "",
		"unknown_route", "no route for %s %s; see /v1/models, /v1/chat/completions and "+
			"/v1/responses", r.Method, r.URL.Path))
}

func (s *server) listModels(w http.ResponseWriter, _ *http.Request) {
	buf := s.getBuf()
	defer s.putBuf(buf)
	*buf = wire.AppendModelList(*buf, s.models, s.created, "actorgate")
	writeJSON(w, http.StatusOK, *buf)
}

func (s *server) getModel(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("model")
	for _, m := range s.models {
		if m == name {
			body, _ := json.Marshal(map[string]any{
				"id": m, "object": "model", "created": s.created, "owned_by": "actorgate",
			})
			writeJSON(w, http.StatusOK, body)
			return
		}
	}
	wire.WriteError(w, wire.NewError(http.StatusNotFound, "invalid_request_error", "model",
		"model_not_found", "model %q does not exist; GET /v1/models lists the models", name))
}

// healthDetailed returns the gateway's platform table.
func (s *server) healthDetailed(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	res, werr := s.ask(ctx, s.gateway, &messages.StatusRequest{RequestID: requestID(ctx)}, 5*time.Second)
	if werr != nil {
		wire.WriteError(w, werr)
		return
	}
	reply, ok := res.(*messages.StatusReply)
	if !ok {
		wire.WriteError(w, errUnavailable("the gateway returned no status"))
		return
	}
	body, err := json.Marshal(map[string]any{
		"status":    "ok",
		"platform":  "actorgate",
		"gateway":   reply.Gateway,
		"platforms": reply.Platforms,
	})
	if err != nil {
		wire.WriteError(w, errInternal(err))
		return
	}
	writeJSON(w, http.StatusOK, body)
}
