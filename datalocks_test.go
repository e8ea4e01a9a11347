package actorgate_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofrs/flock"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/actorgate/actorgate"
	"github.com/actorgate/actorgate/actors/apiserver"
	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/messages"
)

// closeGateway closes gw and fails the test when it does not stop.
func closeGateway(t *testing.T, gw *actorgate.Gateway) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := gw.Close(ctx); err != nil {
		t.Fatalf("closing gateway %s: %v", gw.Name(), err)
	}
}

// mustNotStart fails the test when err is nil, closing the gateway that
// started by mistake.
func mustNotStart(t *testing.T, gw *actorgate.Gateway, err error) {
	t.Helper()
	if err == nil {
		closeGateway(t, gw)
		t.Fatal("a second gateway started on locked files")
	}
}

func TestSecondStartOnFolderFails(t *testing.T) {
	system := newHost(t)
	cfg := withAPIServer(t, testConfig())
	first, err := actorgate.Start(system, "first", cfg)
	if err != nil {
		t.Fatal(err)
	}
	lockPath := filepath.Join(cfg.Home, actorgate.LockFileName)
	content, err := os.ReadFile(lockPath)
	if err != nil {
		t.Fatalf("reading the lock file of a running gateway: %v", err)
	}
	if got, want := strings.TrimSpace(string(content)), fmt.Sprint(os.Getpid()); got != want {
		t.Errorf("lock file contains %q, want the pid %s", got, want)
	}
	info, err := os.Stat(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("lock file mode = %v, want 0600", info.Mode().Perm())
	}

	core, logs := observer.New(zap.DebugLevel)
	second, err := actorgate.Start(newHost(t), "second", cfg, actorgate.WithLogger(zap.New(core)))
	mustNotStart(t, second, err)
	if !errors.Is(err, actorgate.ErrHomeInUse) {
		t.Errorf("error %v does not wrap ErrHomeInUse", err)
	}
	for _, want := range []string{cfg.Home, "this process", fmt.Sprint(os.Getpid()), "ACTORGATE_HOME"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if n := logs.Len(); n != 0 {
		t.Errorf("the rejected gateway logged %d lines, first %q; want none",
			n, logs.All()[0].Message)
	}
	waitRow(t, first, apiserver.Name, "connected", inState(messages.StateConnected))
	if got := getModels(t, cfg); got != 200 {
		t.Errorf("GET /v1/models on the first gateway = %d, want 200", got)
	}

	closeGateway(t, first)
	requireUnlocked(t, lockPath)
	again := startGateway(t, system, "again", cfg)
	waitRow(t, again, apiserver.Name, "connected", inState(messages.StateConnected))
}

func TestFailedStartReleasesLocks(t *testing.T) {
	system := newHost(t)
	startGateway(t, system, "gw", testConfig())
	cfg := withAPIServer(t, testConfig())
	// The name is taken, so Start fails after it locked the folder.
	gw, err := actorgate.Start(system, "gw", cfg)
	mustNotStart(t, gw, err)
	if errors.Is(err, actorgate.ErrHomeInUse) {
		t.Fatalf("Start failed on the lock, not on the name: %v", err)
	}
	for _, name := range []string{actorgate.LockFileName, config.ResponsesDB + ".lock"} {
		requireUnlocked(t, filepath.Join(cfg.Home, name))
	}
	next := startGateway(t, system, "next", cfg)
	waitRow(t, next, apiserver.Name, "connected", inState(messages.StateConnected))
}

// withWebhook enrolls the webhook chat platform on a free port, which
// makes the gateway open the sessions database.
func withWebhook(t *testing.T, cfg *config.Config) {
	t.Helper()
	cfg.Platforms.Webhook.Secret = "shared-webhook-secret-0123"
	cfg.Platforms.Webhook.Port = freePort(t)
}

func TestSharedDatabaseIsRejected(t *testing.T) {
	shared := filepath.Join(t.TempDir(), "shared")
	tests := []struct {
		name string
		// setup sets the database paths of the gateways a and b.
		setup func(t *testing.T, a, b *config.Config)
		// database returns the path of the database they share.
		database func(a config.Config) string
		setting  string
	}{
		{
			"responses at one absolute path",
			func(_ *testing.T, a, b *config.Config) {
				a.Platforms.APIServer.DBPath = filepath.Join(shared, "responses.db")
				b.Platforms.APIServer.DBPath = a.Platforms.APIServer.DBPath
			},
			func(a config.Config) string { return a.Platforms.APIServer.DBPath },
			"platforms.api_server.db_path",
		},
		{
			"responses in the other folder",
			func(_ *testing.T, a, b *config.Config) {
				b.Platforms.APIServer.DBPath = filepath.Join(a.Home, config.ResponsesDB)
			},
			func(a config.Config) string { return filepath.Join(a.Home, config.ResponsesDB) },
			"platforms.api_server.db_path",
		},
		{
			"sessions at one absolute path",
			func(t *testing.T, a, b *config.Config) {
				withWebhook(t, a)
				withWebhook(t, b)
				a.Platforms.Sessions.DBPath = filepath.Join(shared, "sessions.db")
				b.Platforms.Sessions.DBPath = a.Platforms.Sessions.DBPath
			},
			func(a config.Config) string { return a.Platforms.Sessions.DBPath },
			"platforms.sessions.db_path",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			system := newHost(t)
			cfgA := withAPIServer(t, testConfig())
			cfgB := withAPIServer(t, testConfig())
			tt.setup(t, &cfgA, &cfgB)
			db := tt.database(cfgA)
			a := startGateway(t, system, "a", cfgA)
			waitRow(t, a, apiserver.Name, "connected", inState(messages.StateConnected))
			if _, err := os.Stat(db + ".lock"); err != nil {
				t.Errorf("lock file of the shared database: %v", err)
			}

			b, err := actorgate.Start(system, "b", cfgB)
			mustNotStart(t, b, err)
			if !errors.Is(err, actorgate.ErrDatabaseInUse) {
				t.Errorf("error %v does not wrap ErrDatabaseInUse", err)
			}
			for _, want := range []string{db, tt.setting} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			requireUnlocked(t, filepath.Join(cfgB.Home, actorgate.LockFileName))
		})
	}
}

func TestReloadOntoLockedDatabaseIsRejected(t *testing.T) {
	_, b, cfgA, cfgB := startTwoAPIGateways(t)

	moved := cfgB
	moved.Platforms.APIServer.DBPath = cfgA.Platforms.APIServer.ResolvedDBPath(cfgA.Home)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := b.Reload(ctx, moved)
	if !errors.Is(err, actorgate.ErrDatabaseInUse) {
		t.Fatalf("Reload onto a's database: err = %v, want ErrDatabaseInUse", err)
	}
	if !strings.Contains(err.Error(), "keeping the running configuration") {
		t.Errorf("error %q does not say the running configuration stays", err)
	}
	if r := row(t, b, apiserver.Name); r.State != messages.StateConnected {
		t.Errorf("b's API server after the rejected reload: %+v, want connected", r)
	}
	if got := getModels(t, cfgB); got != 200 {
		t.Errorf("GET /v1/models on b = %d, want 200", got)
	}
}

func TestReloadAfterCloseReturnsErrClosed(t *testing.T) {
	system := newHost(t)
	cfg := withAPIServer(t, testConfig())
	gw, err := actorgate.Start(system, "gw", cfg)
	if err != nil {
		t.Fatal(err)
	}
	closeGateway(t, gw)
	moved := cfg
	moved.Platforms.APIServer.DBPath = filepath.Join(t.TempDir(), "moved.db")
	if _, err := gw.Reload(context.Background(), moved); !errors.Is(err, actorgate.ErrClosed) {
		t.Errorf("Reload after Close: err = %v, want ErrClosed", err)
	}
	if _, err := os.Stat(moved.Platforms.APIServer.DBPath + ".lock"); !os.IsNotExist(err) {
		t.Errorf("Reload after Close created a lock file: err = %v", err)
	}
}

// requireUnlocked fails the test when another open file holds the lock on
// path. A missing file holds no lock.
func requireUnlocked(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return
	}
	fl := flock.New(path)
	locked, err := fl.TryLock()
	if err != nil {
		t.Fatalf("locking %s: %v", path, err)
	}
	if !locked {
		t.Errorf("%s is still locked", path)
		return
	}
	if err := fl.Unlock(); err != nil {
		t.Fatal(err)
	}
}
