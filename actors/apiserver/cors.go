package apiserver

import (
	"net/http"
	"strings"

	"github.com/actorgate/actorgate/actors/apiserver/wire"
)

// allowedHeaders are the request headers the API defines; a preflight
// that asks for them is allowed.
const allowedHeaders = "Authorization, Content-Type, Idempotency-Key, X-Request-Id, " +
	"X-Session-Key, X-Hermes-Session-Key, X-Hermes-Session-Id, OpenAI-Organization, " +
	"OpenAI-Project, X-Stainless-Lang, X-Stainless-Package-Version, X-Stainless-OS, " +
	"X-Stainless-Arch, X-Stainless-Runtime, X-Stainless-Runtime-Version, " +
	"X-Stainless-Retry-Count, X-Stainless-Timeout"

// corsPolicy is deny-by-default: a request with an Origin header is
// rejected unless the origin is on the allowlist or the list holds "*".
// A request without Origin (a server or the SDKs) passes with no CORS
// headers.
type corsPolicy struct {
	any     bool
	origins map[string]bool
}

func newCORSPolicy(origins []string) *corsPolicy {
	p := &corsPolicy{origins: make(map[string]bool, len(origins))}
	for _, o := range origins {
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		if o == "*" {
			p.any = true
			continue
		}
		if o != "" {
			p.origins[strings.ToLower(o)] = true
		}
	}
	return p
}

func (p *corsPolicy) allows(origin string) bool {
	return p.any || p.origins[strings.ToLower(origin)]
}

func (p *corsPolicy) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		if !p.allows(origin) {
			wire.WriteError(w, wire.NewError(http.StatusForbidden, "invalid_request_error", "",
				"origin_not_allowed", "origin %q is not allowed; add it to API_SERVER_CORS_ORIGINS "+
					"(platforms.api_server.cors_origins)", origin))
			return
		}
		h := w.Header()
		if p.any {
			h.Set("Access-Control-Allow-Origin", "*")
		} else {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
		}
		h.Set("Access-Control-Expose-Headers", "X-Request-Id")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
			h.Set("Access-Control-Allow-Headers", allowedHeaders)
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}
