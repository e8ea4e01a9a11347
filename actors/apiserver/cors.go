package apiserver

import (
	"net/http"
	"strings"

	"github.com/actorgate/actorgate/actors/apiserver/wire"
)

// allowedHeaders are the request headers a browser may send: the API's
// own and those the official OpenAI SDKs add. A preflight that requests
// only these (in any letter case) gets them echoed back.
var allowedHeaders = []string{
	"Accept", "Authorization", "Content-Type", "Idempotency-Key", "X-Request-Id",
	"X-Session-Key", "X-Hermes-Session-Key", "X-Hermes-Session-Id",
	"OpenAI-Organization", "OpenAI-Project", "OpenAI-Beta",
}

// allowedHeaderPrefix covers the X-Stainless-* headers of the SDKs, whose
// set grows with each SDK release.
const allowedHeaderPrefix = "x-stainless-"

// allowedHeaderList is the Access-Control-Allow-Headers value for a
// preflight that requests a header outside the list. The browser then
// blocks the request itself.
var allowedHeaderList = strings.Join(allowedHeaders, ", ")

// exposedHeaders are the response headers a browser script may read:
// the OpenAI SDKs read the two Retry-After headers when they retry.
const exposedHeaders = "X-Request-Id, Idempotency-Replayed, Retry-After, Retry-After-Ms"

// corsPolicy is deny-by-default: a request with an Origin header is
// rejected with 403 unless the origin is on the allowlist or the list
// contains "*". A request without Origin (a server or the SDKs outside a
// browser) passes with no CORS headers.
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
		h := w.Header()
		if !p.any {
			h.Add("Vary", "Origin")
		}
		if !p.allows(origin) {
			wire.WriteError(w, wire.NewError(http.StatusForbidden, wire.TypeInvalidRequest, "",
				codeOriginNotAllowed, "origin %q is not allowed; add it to "+
					"API_SERVER_CORS_ORIGINS (platforms.api_server.cors_origins)", origin))
			return
		}
		if p.any {
			h.Set("Access-Control-Allow-Origin", "*")
		} else {
			h.Set("Access-Control-Allow-Origin", origin)
		}
		h.Set("Access-Control-Expose-Headers", exposedHeaders)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			preflight(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// preflight responds to a CORS preflight of an allowed origin with 204.
func preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
	requested := r.Header.Values("Access-Control-Request-Headers")
	if len(requested) > 0 && headersAllowed(requested) {
		h.Set("Access-Control-Allow-Headers", strings.Join(requested, ", "))
	} else {
		h.Set("Access-Control-Allow-Headers", allowedHeaderList)
	}
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

// headersAllowed reports whether every header named in the
// Access-Control-Request-Headers values is one the API accepts.
func headersAllowed(values []string) bool {
	for _, v := range values {
		for name := range strings.SplitSeq(v, ",") {
			if !headerAllowed(strings.TrimSpace(name)) {
				return false
			}
		}
	}
	return true
}

func headerAllowed(name string) bool {
	if name == "" {
		return true
	}
	if len(name) > len(allowedHeaderPrefix) &&
		strings.EqualFold(name[:len(allowedHeaderPrefix)], allowedHeaderPrefix) {
		return true
	}
	for _, h := range allowedHeaders {
		if strings.EqualFold(name, h) {
			return true
		}
	}
	return false
}
