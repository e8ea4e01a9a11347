package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestResolveHome(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("the cases use $HOME")
	}
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"home", map[string]string{"HOME": "/home/u"}, "/home/u/.actorgate"},
		{"override", map[string]string{"HOME": "/home/u", "ACTORGATE_HOME": "/srv/g"}, "/srv/g"},
		{"override cleaned", map[string]string{"ACTORGATE_HOME": "/srv//g/"}, "/srv/g"},
		{
			"tilde",
			map[string]string{"HOME": "/home/u", "ACTORGATE_HOME": "~/gate"},
			"/home/u/gate",
		},
		{"relative", map[string]string{"ACTORGATE_HOME": "data"}, filepath.Join(cwd, "data")},
		{
			"blank override",
			map[string]string{"HOME": "/home/u", "ACTORGATE_HOME": " "},
			"/home/u/.actorgate",
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ResolveHome(envOf(tt.env))
			if err != nil {
				t.Fatalf("ResolveHome: %v", err)
			}
			if got != tt.want {
				t.Errorf("ResolveHome = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestResolveHomeErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
	}{
		{"nothing set", nil},
		{"tilde without home", map[string]string{"ACTORGATE_HOME": "~/x"}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ResolveHome(envOf(tt.env))
			requireErrorContains(t, err, "ACTORGATE_HOME")
			if !errors.Is(err, ErrNoHome) {
				t.Errorf("error %v does not wrap ErrNoHome", err)
			}
		})
	}

	if _, err := ResolveHome(nil); !errors.Is(err, ErrNoHome) {
		t.Errorf("ResolveHome(nil) error = %v, want ErrNoHome", err)
	}
}

func TestInitCreatesHome(t *testing.T) {
	home := filepath.Join(t.TempDir(), "parent", "gate")

	res, err := Init(home)
	if err != nil {
		t.Fatalf("Init: %v", err)
	}

	if !res.Created || res.Home != home || res.EnvPath != filepath.Join(home, EnvFileName) {
		t.Errorf("Init = %+v", res)
	}
	requireMode(t, home, 0o700)
	requireMode(t, res.EnvPath, 0o600)

	data, err := os.ReadFile(res.EnvPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "# ") {
		t.Errorf(".env does not start with a comment line")
	}

	vars, err := parseDotEnv(string(data))
	if err != nil {
		t.Fatalf("parsing the written .env: %v", err)
	}
	key := vars["API_SERVER_KEY"]
	raw, err := base64.RawURLEncoding.DecodeString(key)
	if err != nil || len(raw) != 32 {
		t.Errorf("API_SERVER_KEY is not 32 bytes of base64url (len %d, %v)", len(raw), err)
	}
	if len(vars) != 1 {
		t.Errorf(".env sets %d variables, want 1", len(vars))
	}

	cfg := mustRead(t, home, nil).Config
	if s := cfg.APIServerEnrollment().Status; s != Enrolled {
		t.Errorf("after Init enrollment = %s, want enrolled", s)
	}
}

func requireMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()

	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != want {
		t.Errorf("%s mode = %#o, want %#o", path, got, want)
	}
}

func TestInitFillsEmptyHome(t *testing.T) {
	home := t.TempDir()
	envPath := filepath.Join(home, EnvFileName)

	res, err := Init(home)
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	if !res.Created {
		t.Errorf("Created = false for an empty folder")
	}
	data, err := os.ReadFile(envPath)
	if err != nil {
		t.Fatalf("no .env in the empty folder: %v", err)
	}
	if !strings.Contains(string(data), "API_SERVER_KEY=") {
		t.Errorf(".env = %q, want an API_SERVER_KEY line", data)
	}
	info, err := os.Stat(envPath)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf(".env mode = %o, want 600", mode)
	}
}

func TestInitLeavesExistingHome(t *testing.T) {
	home := t.TempDir()
	envPath := filepath.Join(home, EnvFileName)
	if err := os.WriteFile(filepath.Join(home, "config.yaml"), []byte("{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	first, err := Init(home)
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	if first.Created {
		t.Errorf("Created = true for a folder that contains a file")
	}
	if _, err := os.Stat(envPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Init wrote %s in a folder that contains a file", envPath)
	}

	if err := os.WriteFile(envPath, []byte("API_SERVER_KEY=mine\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Init(home); err != nil {
		t.Fatalf("second Init: %v", err)
	}
	if data, _ := os.ReadFile(envPath); string(data) != "API_SERVER_KEY=mine\n" {
		t.Errorf(".env was overwritten")
	}
}

func TestInitTwiceKeepsKey(t *testing.T) {
	home := filepath.Join(t.TempDir(), "gate")
	if _, err := Init(home); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(home, EnvFileName))

	res, err := Init(home)

	if err != nil || res.Created {
		t.Errorf("second Init = %+v, %v; want Created false", res, err)
	}
	if after, _ := os.ReadFile(filepath.Join(home, EnvFileName)); string(after) != string(before) {
		t.Errorf(".env changed on the second Init")
	}
}

func TestInitConcurrent(t *testing.T) {
	home := filepath.Join(t.TempDir(), "gate")
	const callers = 8
	results := make([]InitResult, callers)
	errs := make([]error, callers)

	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { results[i], errs[i] = Init(home) })
	}
	wg.Wait()

	created := 0
	for i := range callers {
		if errs[i] != nil {
			t.Errorf("Init %d: %v", i, errs[i])
		}
		if results[i].Created {
			created++
		}
	}
	if created != 1 {
		t.Errorf("%d calls created the folder, want 1", created)
	}
}

func TestInitErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		home  string
		parts []string
	}{
		{"empty path", "", []string{"empty"}},
		{"home is a file", file, []string{file, "not a folder"}},
		{"parent is a file", filepath.Join(file, "gate"), []string{file}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Init(tt.home)
			requireErrorContains(t, err, tt.parts...)
			if !errors.Is(err, ErrInit) {
				t.Errorf("error %v does not wrap ErrInit", err)
			}
			if res.Created {
				t.Errorf("Created = true on error")
			}
		})
	}
}

func TestInitCleansUpOnWriteFailure(t *testing.T) {
	home := filepath.Join(t.TempDir(), "gate")
	failing := func(path string) error {
		if err := os.WriteFile(path, []byte("API_SERVER_KEY=par"), 0o600); err != nil {
			return err
		}

		return fmt.Errorf("%w: disk full", ErrInit)
	}

	res, err := initHome(home, failing)

	requireErrorContains(t, err, "disk full")
	if res.Created {
		t.Errorf("Created = true on error")
	}
	if _, err := os.Stat(home); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the folder is left behind: %v", err)
	}

	res, err = Init(home)
	if err != nil || !res.Created {
		t.Errorf("Init after a failed one = %+v, %v; want Created", res, err)
	}
}

func TestNewKeyIsRandom(t *testing.T) {
	a, errA := NewKey()
	b, errB := NewKey()

	if errA != nil || errB != nil {
		t.Fatalf("NewKey: %v, %v", errA, errB)
	}
	if a == b {
		t.Errorf("two keys are equal")
	}
	if len(a) != 43 || !UsableSecret(a, MinAPIKeyLength) {
		t.Errorf("key has %d characters or is not usable", len(a))
	}
}
