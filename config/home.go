package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Names of the files in the data folder.
const (
	HomeDirName    = ".actorgate"
	ConfigFileName = "config.yaml"
	EnvFileName    = ".env"
	ResponsesDB    = "responses.db"
)

// ResolveHome returns the data folder as an absolute path: ACTORGATE_HOME
// when it is set, else .actorgate in the user's home folder, found the way
// os.UserHomeDir finds it ($HOME, %USERPROFILE% on Windows, $home on
// Plan 9). A leading ~/ in ACTORGATE_HOME is expanded to the home folder.
func ResolveHome(getenv func(string) string) (string, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}

	if dir := strings.TrimSpace(getenv("ACTORGATE_HOME")); dir != "" {
		return absHome(dir, getenv)
	}

	user, err := userHome(getenv)
	if err != nil {
		return "", err
	}

	return absHome(filepath.Join(user, HomeDirName), getenv)
}

func absHome(dir string, getenv func(string) string) (string, error) {
	if dir == "~" || strings.HasPrefix(dir, "~/") {
		user, err := userHome(getenv)
		if err != nil {
			return "", err
		}
		dir = filepath.Join(user, strings.TrimPrefix(dir, "~"))
	}

	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("%w: making %s absolute: %w", ErrNoHome, dir, err)
	}

	return abs, nil
}

func userHome(getenv func(string) string) (string, error) {
	name := "HOME"
	switch runtime.GOOS {
	case "windows":
		name = "USERPROFILE"
	case "plan9":
		name = "home"
	}

	dir := strings.TrimSpace(getenv(name))
	if dir == "" {
		return "", fmt.Errorf("%w: neither ACTORGATE_HOME nor %s is set; "+
			"set ACTORGATE_HOME to the folder for config.yaml, .env and the databases",
			ErrNoHome, name)
	}

	return dir, nil
}

// InitResult is the outcome of Init.
type InitResult struct {
	// Home is the data folder.
	Home string
	// Created is true when Init created the data folder and its .env file
	// in this call.
	Created bool
	// EnvPath is the path of the .env file that holds API_SERVER_KEY.
	EnvPath string
}

// Init prepares the data folder on first run. When home does not exist,
// Init creates it with mode 0700 and writes a .env file with mode 0600
// that sets API_SERVER_KEY to a new random key (32 bytes from crypto/rand,
// base64url without padding). An existing but empty folder, such as one
// from mktemp -d or a service manager, gets the same .env file. When home
// already contains anything, Init changes nothing and returns Created false.
// Init never overwrites a file, and it returns neither the key nor
// anything derived from it.
func Init(home string) (InitResult, error) {
	return initHome(home, writeEnvFile)
}

// initHome is Init with the .env writer as a parameter, so that tests can
// make the write fail after the folder is created.
func initHome(home string, writeEnv func(path string) error) (InitResult, error) {
	if home == "" {
		return InitResult{}, fmt.Errorf("%w: the data folder path is empty", ErrInit)
	}

	res := InitResult{Home: home, EnvPath: filepath.Join(home, EnvFileName)}

	created, err := makeHome(home)
	if err != nil {
		return res, err
	}
	if !created {
		return initEmptyHome(res, writeEnv)
	}

	if err := writeEnv(res.EnvPath); err != nil {
		// Leave no half-made folder behind, so the next run tries again.
		_ = os.Remove(res.EnvPath)
		_ = os.Remove(home)

		return res, err
	}
	res.Created = true

	return res, nil
}

// initEmptyHome writes the .env file into an existing folder that is
// empty. Of two processes starting at once, the one whose exclusive
// create fails finds the folder set up and returns Created false.
func initEmptyHome(res InitResult, writeEnv func(path string) error) (InitResult, error) {
	entries, err := os.ReadDir(res.Home)
	if err != nil {
		return res, fmt.Errorf("%w: %w", ErrInit, err)
	}
	if len(entries) > 0 {
		return res, nil
	}
	if err := writeEnv(res.EnvPath); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return res, nil
		}
		return res, err
	}
	res.Created = true
	return res, nil
}

// makeHome creates home with mode 0700 and reports whether it did. It uses
// Mkdir, not MkdirAll, for the last element, so that of two processes
// starting at once exactly one gets created true.
func makeHome(home string) (bool, error) {
	info, err := os.Stat(home)
	if err == nil {
		if !info.IsDir() {
			return false, fmt.Errorf("%w: %s exists and is not a folder; "+
				"remove it or set ACTORGATE_HOME to another path", ErrInit, home)
		}

		return false, nil
	}

	if !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("%w: %w", ErrInit, err)
	}

	if err := os.MkdirAll(filepath.Dir(home), 0o700); err != nil {
		return false, fmt.Errorf("%w: %w", ErrInit, err)
	}

	if err := os.Mkdir(home, 0o700); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}

		return false, fmt.Errorf("%w: %w", ErrInit, err)
	}

	// The umask may have cleared bits of 0700; set them explicitly.
	// A directory needs the execute bit to be entered; 0700 keeps it to the
	// owner.
	if err := os.Chmod(home, 0o700); err != nil { //nolint:gosec // G302: directory mode, owner only
		return false, fmt.Errorf("%w: %w", ErrInit, err)
	}

	return true, nil
}

func writeEnvFile(path string) error {
	key, err := NewKey()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInit, err)
	}

	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInit, err)
	}

	content := "# Bearer key that clients of the API server send in the " +
		"Authorization header.\n" +
		"API_SERVER_KEY=" + key + "\n"

	_, err = f.WriteString(content)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return fmt.Errorf("%w: writing %s: %w", ErrInit, path, err)
	}

	return nil
}

// NewKey returns a new API server key: 32 bytes from crypto/rand, encoded
// as base64url without padding (43 characters).
func NewKey() (string, error) {
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("reading random bytes: %w", err)
	}

	return base64.RawURLEncoding.EncodeToString(buf), nil
}
