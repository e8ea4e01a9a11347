package apiserver

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/actorgate/actorgate/actors/apiserver/wire"
	"github.com/actorgate/actorgate/messages"
)

// statusTimeout bounds the gateway's reply to a /health/detailed request.
const statusTimeout = 5 * time.Second

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header()["Content-Type"] = wire.ContentTypeJSON
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (s *server) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, []byte(`{"status":"ok","platform":"actorgate"}`))
}

// notFound responds to a request that no route matched: 405 with an Allow
// header when the path exists for other methods, else 404.
func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	if allow := allowedMethods(r.URL.Path); allow != "" {
		w.Header().Set("Allow", allow)
		wire.WriteError(w, wire.NewError(http.StatusMethodNotAllowed, wire.TypeInvalidRequest, "",
			codeMethodNotAllowed, "method %s is not allowed on %s; use %s", r.Method,
			r.URL.Path, allow))
		return
	}
	wire.WriteError(w, wire.NewError(http.StatusNotFound, wire.TypeInvalidRequest, "",
		codeUnknownRoute, "no route for %s %s; see /v1/models, /v1/chat/completions and "+
			"/v1/responses", r.Method, r.URL.Path))
}

// allowedMethods returns the methods the routes of path accept, or "" for
// a path with no route. It mirrors the patterns in server.handler.
func allowedMethods(path string) string {
	switch path {
	case "/health", "/v1/health", "/health/detailed", "/v1/models":
		return "GET"
	case "/v1/chat/completions", "/v1/responses":
		return "POST"
	}
	if rest, ok := strings.CutPrefix(path, "/v1/responses/"); ok && rest != "" &&
		!strings.Contains(rest, "/") {
		return "GET, DELETE"
	}
	if rest, ok := strings.CutPrefix(path, "/v1/models/"); ok && rest != "" &&
		!strings.Contains(rest, "/") {
		return "GET"
	}
	return ""
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
			buf := s.getBuf()
			defer s.putBuf(buf)
			*buf = wire.AppendModel(*buf, m, s.created, "actorgate")
			writeJSON(w, http.StatusOK, *buf)
			return
		}
	}
	wire.WriteError(w, wire.NewError(http.StatusNotFound, wire.TypeInvalidRequest, "model",
		codeModelNotFound, "model %q does not exist; GET /v1/models lists the models", name))
}

// healthDetailed returns the gateway's platform table.
func (s *server) healthDetailed(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), statusTimeout)
	defer cancel()
	res, werr := s.ask(ctx, s.gateway, &messages.StatusRequest{RequestID: requestID(ctx)},
		statusTimeout)
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
