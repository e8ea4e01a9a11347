package dendritetest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/actorgate/actorgate/actors/matrix/dendritetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// whoami returns the user id the server reports for token.
func whoami(t *testing.T, srv *dendritetest.Server, token string) (string, int) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/_matrix/client/v3/account/whoami", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("whoami: %v", err)
	}
	defer resp.Body.Close()
	var body struct {
		UserID string `json:"user_id"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return body.UserID, resp.StatusCode
}

func TestServerAccountsSurviveRestart(t *testing.T) {
	srv := dendritetest.Start(t)
	acct := srv.CreateAccount("alice")
	if acct.UserID != "@alice:localhost" {
		t.Errorf("user id = %q, want @alice:localhost", acct.UserID)
	}
	if user, status := whoami(t, srv, acct.AccessToken); status != http.StatusOK || user != acct.UserID {
		t.Fatalf("whoami = %q (HTTP %d), want %q (HTTP 200)", user, status, acct.UserID)
	}

	srv.Kill()
	srv.Restart()
	if user, status := whoami(t, srv, acct.AccessToken); status != http.StatusOK || user != acct.UserID {
		t.Errorf("whoami after restart = %q (HTTP %d), want %q (HTTP 200)", user, status, acct.UserID)
	}
}

func TestServerRejectsOpenRegistration(t *testing.T) {
	srv := dendritetest.Start(t)
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Post(srv.URL+"/_matrix/client/v3/register", "application/json",
		jsonBody(`{"username":"eve","password":"correct-horse-battery","auth":{"type":"m.login.dummy"}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("open registration answered HTTP %d, want 403", resp.StatusCode)
	}
}

func jsonBody(s string) *strings.Reader { return strings.NewReader(s) }
