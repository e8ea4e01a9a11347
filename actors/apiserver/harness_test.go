package apiserver_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/goleak"

	"github.com/actorgate/actorgate"
	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// api is an in-process gateway with the echo agent and the API server on
// a free loopback port.
type api struct {
	t    testing.TB
	gw   *actorgate.Gateway
	base string
	key  string
	cfg  config.Config
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func newKey(t testing.TB) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func startAPI(t testing.TB, edit func(*config.Config)) *api {
	t.Helper()
	return startAPIWith(t, edit)
}

// startAPIWith starts a gateway with a fresh data folder and key, edited
// by edit, and the given options.
func startAPIWith(t testing.TB, edit func(*config.Config), opts ...actorgate.Option) *api {
	t.Helper()
	cfg := config.Default()
	cfg.Home = t.TempDir()
	cfg.Platforms.APIServer.Key = newKey(t)
	cfg.Platforms.APIServer.Port = freePort(t)
	cfg.Platforms.APIServer.DBPath = filepath.Join(cfg.Home, "responses.db")
	cfg.Gateway.ShutdownGrace = time.Second
	if edit != nil {
		edit(&cfg)
	}
	return launch(t, cfg, opts...)
}

// launch starts a gateway with cfg exactly; the test's cleanup closes it.
func launch(t testing.TB, cfg config.Config, opts ...actorgate.Option) *api {
	t.Helper()
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
	gw, err := actorgate.Start(system, "gw", cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	a := &api{
		t: t, gw: gw, key: cfg.Platforms.APIServer.Key, cfg: cfg,
		base: fmt.Sprintf("http://127.0.0.1:%d", cfg.Platforms.APIServer.Port),
	}
	t.Cleanup(func() {
		http.DefaultClient.CloseIdleConnections()
		a.close()
		system.Shutdown()
	})
	a.waitConnected()
	a.waitAgent(system)
	return a
}

// waitAgent waits until the agent has handled *actor.Started, and so
// serves the runner. The API server can report connected before that, and
// a request sent then waits for the agent to start. protoactor-go
// replies to *actor.Touch once the actor's Receive has handled it, and it
// delivers Started before any such message.
func (a *api) waitAgent(system *actor.ActorSystem) {
	a.t.Helper()
	_, err := system.Root.RequestFuture(a.gw.AgentPID(), &actor.Touch{}, 30*time.Second).Result()
	if err != nil {
		a.t.Fatalf("the agent did not start: %v", err)
	}
}

// close stops the gateway and waits for it. Calling it again does nothing.
func (a *api) close() {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.gw.Close(ctx); err != nil {
		a.t.Errorf("close: %v", err)
	}
}

// waitConnected polls the status table until the API server is
// connected. The deadline is generous because a loaded machine starts
// slowly; a healthy start takes milliseconds.
func (a *api) waitConnected() {
	a.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var rows []messages.PlatformStatus
	var err error
	for time.Now().Before(deadline) {
		rows, err = a.gw.Status(context.Background())
		if err == nil {
			for _, r := range rows {
				if r.Name == "api_server" && r.State == messages.StateConnected {
					return
				}
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	a.t.Fatalf("api_server did not connect: status %+v, error %v", rows, err)
}

type result struct {
	status int
	header http.Header
	body   []byte
	// closes is set when the response asked to close the connection.
	closes bool
}

func (r result) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, r.body)
	}
	return m
}

// errorField returns error.<name> of an OpenAI error body.
func (r result) errorField(t *testing.T, name string) any {
	t.Helper()
	e, ok := r.json(t)["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error object in %s", r.body)
	}
	return e[name]
}

// call sends a request with the API key unless headers set Authorization.
func (a *api) call(method, path string, body any, headers ...string) result {
	a.t.Helper()
	r, err := a.send(method, path, body, headers...)
	if err != nil {
		a.t.Fatal(err)
	}
	return r
}

// send is call without the test: it is safe on any goroutine. A header
// with an empty value is removed.
func (a *api) send(method, path string, body any, headers ...string) (result, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			return result{}, err
		}
		rd = bytes.NewReader(enc)
	}

	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		return result{}, err
	}
	req.Header.Set("Authorization", "Bearer "+a.key)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return result{}, err
	}
	return result{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// respond creates a response and returns its id and output text.
func (a *api) respond(body map[string]any, headers ...string) (string, string) {
	a.t.Helper()
	r := a.call(http.MethodPost, "/v1/responses", body, headers...)
	if r.status != http.StatusOK {
		a.t.Fatalf("POST /v1/responses: %d %s", r.status, r.body)
	}
	var out struct {
		ID     string `json:"id"`
		Output []struct {
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
		} `json:"output"`
	}
	if err := json.Unmarshal(r.body, &out); err != nil {
		a.t.Fatal(err)
	}
	text := ""
	for _, o := range out.Output {
		for _, c := range o.Content {
			text += c.Text
		}
	}
	return out.ID, text
}

// raw sends request text as is on a new connection and reads one
// response, for requests that net/http's client would not send.
func (a *api) raw(request string) result {
	a.t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(a.base, "http://"))
	if err != nil {
		a.t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, request); err != nil {
		a.t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		a.t.Fatalf("reading the response: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return result{status: resp.StatusCode, header: resp.Header, body: body, closes: resp.Close}
}
