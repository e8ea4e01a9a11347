package apiserver_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestAuthorizationHeaderVariants(t *testing.T) {
	a := startAPI(t, nil)
	cases := []struct {
		name   string
		header string
		ok     bool
	}{
		{"canonical", "Bearer " + a.key, true},
		{"lower-case scheme", "bearer " + a.key, true},
		{"upper-case scheme", "BEARER " + a.key, true},
		{"trailing space", "Bearer " + a.key + " ", true},
		{"two spaces", "Bearer  " + a.key, true},
		{"tab", "Bearer\t" + a.key, true},
		{"missing", "", false},
		{"wrong key", "Bearer " + strings.Repeat("x", len(a.key)), false},
		{"key prefix", "Bearer " + a.key[:len(a.key)-1], false},
		{"key with suffix", "Bearer " + a.key + "x", false},
		{"basic scheme", "Basic " + a.key, false},
		{"no space", "Bearer" + a.key, false},
		{"scheme only", "Bearer", false},
		{"key only", a.key, false},
	}
	// net/http's client trims header values, so the raw request checks
	// what reaches the server with the spaces kept.
	raw := a.raw("GET /v1/models HTTP/1.1\r\nHost: test\r\nAuthorization: bearer  " +
		a.key + " \t \r\nConnection: close\r\n\r\n")
	if raw.status != http.StatusOK {
		t.Errorf("raw header with spaces: status = %d: %s", raw.status, raw.body)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := a.call(http.MethodGet, "/v1/models", nil, "Authorization", c.header)
			if c.ok {
				if r.status != http.StatusOK {
					t.Errorf("status = %d, want 200: %s", r.status, r.body)
				}
				return
			}
			if r.status != http.StatusUnauthorized {
				t.Fatalf("status = %d, want 401: %s", r.status, r.body)
			}
			if code := r.errorField(t, "code"); code != "invalid_api_key" {
				t.Errorf("code = %v, want invalid_api_key", code)
			}
			if typ := r.errorField(t, "type"); typ != "invalid_request_error" {
				t.Errorf("type = %v", typ)
			}
			if msg, _ := r.errorField(t, "message").(string); !strings.Contains(msg, "Bearer") {
				t.Errorf("message does not say how to authenticate: %q", msg)
			}
			if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
				t.Errorf("WWW-Authenticate = %q", got)
			}
		})
	}
}

func TestRoutesNeedingKey(t *testing.T) {
	a := startAPI(t, nil)
	cases := []struct {
		method, path string
		open         bool
	}{
		{http.MethodGet, "/health", true},
		{http.MethodGet, "/v1/health", true},
		{http.MethodGet, "/health/detailed", false},
		{http.MethodGet, "/v1/models", false},
		{http.MethodGet, "/v1/models/actorgate", false},
		{http.MethodPost, "/v1/chat/completions", false},
		{http.MethodPost, "/v1/responses", false},
		{http.MethodGet, "/v1/responses/resp_x", false},
		{http.MethodDelete, "/v1/responses/resp_x", false},
	}
	for _, c := range cases {
		r := a.call(c.method, c.path, nil, "Authorization", "")
		if c.open && r.status != http.StatusOK {
			t.Errorf("%s %s without a key: status = %d, want 200", c.method, c.path, r.status)
		}
		if !c.open && r.status != http.StatusUnauthorized {
			t.Errorf("%s %s without a key: status = %d, want 401", c.method, c.path, r.status)
		}
	}
}
