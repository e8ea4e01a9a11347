package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"go.uber.org/zap"

	"github.com/actorgate/actorgate"
	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
)

// controlSocket is the Unix socket in the data folder through which the
// status, platform and reload commands talk to a running gateway. It is
// created with mode 0600, so only the gateway's user can use it.
const controlSocket = "actorgate.sock"

type control struct {
	srv  *http.Server
	ln   net.Listener
	done chan struct{}
}

func startControl(home string, gw *actorgate.Gateway, reload func() ([]string, error),
	log *zap.Logger,
) (*control, error) {
	path := filepath.Join(home, controlSocket)
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		_ = c.Close()
		return nil, fmt.Errorf("another actorgate serves %s", path)
	}
	_ = os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("restricting %s: %w", path, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		rows, err := gw.Status(r.Context())
		writeControl(w, rows, err)
	})
	mux.HandleFunc("POST /platforms/{name}/{verb}", func(w http.ResponseWriter, r *http.Request) {
		var err error
		switch r.PathValue("verb") {
		case "pause":
			err = gw.Pause(r.Context(), r.PathValue("name"))
		case "resume":
			err = gw.Resume(r.Context(), r.PathValue("name"))
		default:
			err = fmt.Errorf("unknown verb %q; use pause or resume", r.PathValue("verb"))
		}
		writeControl(w, map[string]string{"status": "ok"}, err)
	})
	mux.HandleFunc("POST /reload", func(w http.ResponseWriter, _ *http.Request) {
		pending, err := reload()
		writeControl(w, reloadResult{Status: "ok", RestartNeeded: pending}, err)
	})
	c := &control{
		srv:  &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second},
		ln:   ln,
		done: make(chan struct{}),
	}
	go func() {
		defer close(c.done)
		if err := c.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("control socket stopped", zap.Error(err))
		}
	}()
	return c, nil
}

func (c *control) close() {
	if c == nil || c.srv == nil {
		return
	}
	_ = c.srv.Close()
	<-c.done
	c.srv = nil
}

func writeControl(w http.ResponseWriter, v any, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
		return
	}
	_ = json.NewEncoder(w).Encode(v)
}

// controlClient talks to the control socket of the gateway in home.
func controlClient(getenv func(string) string) (*http.Client, string, error) {
	home, err := config.ResolveHome(getenv)
	if err != nil {
		return nil, "", err
	}
	path := filepath.Join(home, controlSocket)
	if _, err := os.Stat(path); err != nil {
		return nil, "", fmt.Errorf("%w: no control socket at %s", errNotRunning, path)
	}
	client := &http.Client{
		Timeout: 15 * time.Second,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", path)
			},
		},
	}
	return client, path, nil
}

func callControl(getenv func(string) string, method, path string, out any) error {
	client, sock, err := controlClient(getenv)
	if err != nil {
		return err
	}
	// The host part is a placeholder: the transport always dials the Unix
	// socket in the data folder.
	req, err := http.NewRequest(method, "http://actorgate"+path, nil) //nolint:gosec // G704: fixed host, Unix socket transport
	if err != nil {
		return err
	}
	resp, err := client.Do(req) //nolint:gosec // G704: dials the control socket only
	if err != nil {
		return fmt.Errorf("%w: %s: %v", errNotRunning, sock, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		_ = json.Unmarshal(body, &e)
		return errors.New(e.Error)
	}
	if out != nil {
		return json.Unmarshal(body, out)
	}
	return nil
}

func printStatus(stdout, stderr io.Writer, getenv func(string) string) int {
	var rows []messages.PlatformStatus
	if err := callControl(getenv, http.MethodGet, "/status", &rows); err != nil {
		fmt.Fprintln(stderr, "actorgate status:", err)
		return 1
	}
	writeStatusTable(stdout, rows, time.Now())
	return 0
}

func writeStatusTable(w io.Writer, rows []messages.PlatformStatus, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PLATFORM\tSTATE\tSINCE\tATTEMPTS\tNEXT RETRY\tATTENTION\tERROR")
	for _, r := range rows {
		next := "-"
		if !r.NextRetryAt.IsZero() {
			next = "in " + r.NextRetryAt.Sub(now).Round(time.Second).String()
		}
		attention := "no"
		if r.NeedsAttention {
			attention = "YES"
		}
		errText := "-"
		if r.ErrorCode != "" {
			errText = r.ErrorCode + ": " + r.ErrorMessage
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", r.Name, r.State,
			r.Since.Local().Format(time.DateTime), r.Attempts, next, attention, errText)
	}
	if len(rows) == 0 {
		fmt.Fprintln(tw, "(no platform enrolled)")
	}
	_ = tw.Flush()
}

func platformCommand(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) != 2 || (args[0] != "pause" && args[0] != "resume") {
		fmt.Fprintln(stderr, "usage: actorgate platform pause|resume NAME")
		return 2
	}
	if err := callControl(getenv, http.MethodPost, "/platforms/"+args[1]+"/"+args[0], nil); err != nil {
		fmt.Fprintf(stderr, "actorgate platform %s %s: %v\n", args[0], args[1], err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: %s requested\n", args[1], args[0])
	return 0
}

// reloadResult is the control socket's response to a reload.
type reloadResult struct {
	Status string `json:"status"`
	// RestartNeeded names the settings that changed but take effect only
	// after a restart.
	RestartNeeded []string `json:"restart_needed,omitempty"`
}

func reloadCommand(stdout, stderr io.Writer, getenv func(string) string) int {
	var res reloadResult
	if err := callControl(getenv, http.MethodPost, "/reload", &res); err != nil {
		fmt.Fprintln(stderr, "actorgate reload:", err)
		return 1
	}
	fmt.Fprintln(stdout, "configuration reloaded")
	if len(res.RestartNeeded) > 0 {
		fmt.Fprintf(stdout, "restart the gateway to apply %s; the agent runs with the "+
			"settings it started with until then\n", strings.Join(res.RestartNeeded, ", "))
	}
	return 0
}
