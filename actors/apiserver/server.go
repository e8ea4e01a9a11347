package apiserver

import (
	"net/http"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate/metrics"
)

// server holds what the HTTP handlers of one adapter instance share.
type server struct {
	settings Settings
	system   *actor.ActorSystem
	root     *actor.RootContext
	agent    *actor.PID
	store    *actor.PID
	gateway  *actor.PID
	log      *zap.Logger
	auth     *authenticator
	cors     *corsPolicy
	models   []string
	created  int64
	bufs     sync.Pool
}

func newServer(s Settings, system *actor.ActorSystem, agent, store, gw *actor.PID,
	log *zap.Logger,
) *server {
	models := []string{s.API.ModelName}
	return &server{
		settings: s,
		system:   system,
		root:     system.Root,
		agent:    agent,
		store:    store,
		gateway:  gw,
		log:      log,
		auth:     newAuthenticator(s.API.Key),
		cors:     newCORSPolicy(s.API.CORSOrigins),
		models:   models,
		created:  time.Now().Unix(),
		bufs:     sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }},
	}
}

// handler returns the HTTP handler: the middleware chain around the
// routes. Authentication is part of each route, so that /health stays
// open while CORS and the body limit apply to every route.
func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", s.health)
	mux.HandleFunc("GET /v1/health", s.health)
	mux.HandleFunc("GET /health/detailed", s.authed(s.healthDetailed))
	mux.HandleFunc("GET /v1/models", s.authed(s.listModels))
	mux.HandleFunc("GET /v1/models/{model}", s.authed(s.getModel))
	mux.HandleFunc("POST /v1/chat/completions", s.authed(s.chatCompletions))
	mux.HandleFunc("POST /v1/responses", s.authed(s.createResponse))
	mux.HandleFunc("GET /v1/responses/{id}", s.authed(s.getResponse))
	mux.HandleFunc("DELETE /v1/responses/{id}", s.authed(s.deleteResponse))
	if m := s.settings.Metrics; m != nil {
		scrape := m.Handler().ServeHTTP
		if !s.settings.API.MetricsPublic {
			scrape = s.authed(scrape)
		}
		mux.HandleFunc("GET /metrics", scrape)
	}
	mux.HandleFunc("/", s.notFound)
	record := s.settings.Metrics.HTTPMiddleware(patternRoute(mux))
	return s.observe(record(s.cors.wrap(s.limitBody(mux))))
}

// patternRoute names a request for the metrics by its mux pattern. The mux
// sets r.Pattern on the request the middleware passed on, so the request
// is routed a second time only when a middleware responded before the
// mux did, such as a 413 for a declared body over the limit.
func patternRoute(mux *http.ServeMux) func(*http.Request) string {
	route := metrics.MuxRoute(mux)
	return func(r *http.Request) string {
		if r.Pattern != "" {
			return r.Pattern
		}
		return route(r)
	}
}

func (s *server) getBuf() *[]byte {
	b := s.bufs.Get().(*[]byte)
	*b = (*b)[:0]
	return b
}

// putBuf returns b to the pool. It ignores nil, which a handler passes
// when it returned its buffer early.
func (s *server) putBuf(b *[]byte) {
	if b != nil && cap(*b) <= 1<<20 {
		s.bufs.Put(b)
	}
}
