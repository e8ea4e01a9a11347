package apiserver

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestPatternRouteNamesRequests(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models/{model}", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("POST /v1/chat/completions", func(http.ResponseWriter, *http.Request) {})
	route := patternRoute(mux)
	cases := []struct {
		name      string
		method    string
		path      string
		serveMux  bool
		wantRoute string
	}{
		{
			name: "served by mux", method: http.MethodGet, path: "/v1/models/m", serveMux: true,
			wantRoute: "GET /v1/models/{model}",
		},
		{
			name: "ended before mux", method: http.MethodPost, path: "/v1/chat/completions",
			wantRoute: "POST /v1/chat/completions",
		},
		{name: "no route", method: http.MethodGet, path: "/nothing", serveMux: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.path, nil)
			if tc.serveMux {
				mux.ServeHTTP(httptest.NewRecorder(), r)
			}
			if got := route(r); got != tc.wantRoute {
				t.Errorf("route = %q, want %q", got, tc.wantRoute)
			}
		})
	}
}
