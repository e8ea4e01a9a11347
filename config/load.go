package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"go.uber.org/zap"
)

// maxFileBytes bounds config.yaml and .env. Both are a few hundred bytes in
// practice; a larger file is almost certainly the wrong file.
const maxFileBytes = 1 << 20

// Warning kinds.
const (
	// WarningUnknownKey is a key in config.yaml that matches no field.
	WarningUnknownKey = "unknown_key"
	// WarningFileMode is a .env file that users other than its owner can
	// read or write.
	WarningFileMode = "file_mode"
	// WarningIgnoredFile is a file that Load does not read although its
	// name suggests it should, such as config.yml.
	WarningIgnoredFile = "ignored_file"
)

// Warning is a problem in the configuration files that Load survives.
type Warning struct {
	// Kind is one of the Warning kind constants.
	Kind string
	// File is the path of the file concerned.
	File string
	// Line is the line in File, or 0 when the warning is about the file.
	Line int
	// Key is the dotted YAML path of an unknown key.
	Key string
	// Suggestion is the known key that Key most likely meant, or empty.
	Suggestion string
	// Detail completes the message for WarningFileMode and
	// WarningIgnoredFile.
	Detail string
}

// String returns the warning as one sentence, such as "unknown key
// platforms.api_server.api_key in /home/u/.actorgate/config.yaml line 4;
// did you mean key?".
func (w Warning) String() string {
	if w.Kind != WarningUnknownKey {
		return w.File + " " + w.Detail
	}

	s := fmt.Sprintf("unknown key %s in %s line %d", w.Key, w.File, w.Line)
	if w.Suggestion != "" {
		s += "; did you mean " + w.Suggestion + "?"
	}

	return s
}

// LoadResult is a loaded configuration with what Read found on the way.
type LoadResult struct {
	Config Config
	// Warnings lists each problem that did not stop loading, in file order.
	Warnings []Warning
	// Files lists the files that were read.
	Files []string
}

// Load reads the configuration of the data folder home, logs each warning
// at warn level, and returns the configuration. See Read for the sources
// and their precedence. Load does not validate: call Config.Validate.
// A nil logger logs nothing.
func Load(home string, getenv func(string) string, logger *zap.Logger) (Config, error) {
	if logger == nil {
		logger = zap.NewNop()
	}

	res, err := Read(home, getenv)
	for _, w := range res.Warnings {
		logWarning(logger, w)
	}
	if err != nil {
		return Config{}, err
	}

	logger.Info("configuration loaded",
		zap.String("home", home), zap.Strings("files", res.Files))

	return res.Config, nil
}

func logWarning(logger *zap.Logger, w Warning) {
	fields := []zap.Field{zap.String("file", w.File)}
	switch w.Kind {
	case WarningUnknownKey:
		fields = append(fields, zap.String("key", w.Key), zap.Int("line", w.Line))
		if w.Suggestion != "" {
			fields = append(fields, zap.String("suggestion", w.Suggestion))
		}
		logger.Warn("unknown configuration key", fields...)
	default:
		logger.Warn("configuration file problem", append(fields,
			zap.String("kind", w.Kind), zap.String("detail", w.Detail))...)
	}
}

// Read builds the configuration without logging. It starts from Default,
// with Home set to home, then applies, each over the one before:
//
//  1. home/config.yaml, if it exists;
//  2. home/.env, if it exists, for variables not set in the environment;
//  3. the environment variables that getenv returns.
//
// An empty home reads no file. A nil getenv reads no variable. The
// exception to the order is platforms.api_server.enabled: an explicit
// false in config.yaml wins over API_SERVER_ENABLED.
//
// On error the returned Config is incomplete and must not be used, but
// Warnings and Files are filled in as far as Read got.
func Read(home string, getenv func(string) string) (LoadResult, error) {
	res := LoadResult{Config: Default()}
	res.Config.Home = home

	src := envSource{getenv: getenv}
	if home != "" {
		if err := res.readFiles(home, &src); err != nil {
			return res, err
		}
	}

	if err := applyEnv(&res.Config, src); err != nil {
		return res, err
	}
	res.Config.normalize()

	return res, nil
}

func (res *LoadResult) readFiles(home string, src *envSource) error {
	if err := res.readYAML(home); err != nil {
		return err
	}

	return res.readEnvFile(home, src)
}

func (res *LoadResult) readEnvFile(home string, src *envSource) error {
	path := filepath.Join(home, EnvFileName)
	data, err := readOptional(path)
	if err != nil {
		return wrapFileErr(ErrEnvFile, path, err)
	}

	if data == nil {
		return nil
	}
	res.Files = append(res.Files, path)
	res.checkMode(path)

	vars, err := parseDotEnv(string(data))
	if err != nil {
		return fmt.Errorf("%w: %s %w", ErrEnvFile, path, err)
	}
	src.dotenv, src.envPath = vars, path

	return nil
}

func (res *LoadResult) readYAML(home string) error {
	path := filepath.Join(home, ConfigFileName)
	data, err := readOptional(path)
	if err != nil {
		return wrapFileErr(ErrConfigFile, path, err)
	}

	if data == nil {
		res.warnIgnored(home)

		return nil
	}
	res.Files = append(res.Files, path)

	warnings, err := decodeYAML(data, path, &res.Config)
	res.Warnings = append(res.Warnings, warnings...)
	if res.Config.Platforms.APIServer.Key != "" {
		res.Config.Platforms.APIServer.KeyFrom = path
	}

	return err
}

// warnIgnored warns about config.yml when there is no config.yaml, because
// the operator most likely meant it to be read.
func (res *LoadResult) warnIgnored(home string) {
	path := filepath.Join(home, "config.yml")
	if _, err := os.Stat(path); err == nil {
		res.Warnings = append(res.Warnings, Warning{
			Kind:   WarningIgnoredFile,
			File:   path,
			Detail: "is not read; rename it to " + ConfigFileName,
		})
	}
}

// checkMode warns when users other than the owner can read or write the
// .env file, which holds the API keys.
func (res *LoadResult) checkMode(path string) {
	if runtime.GOOS == "windows" {
		return
	}

	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm()&0o077 == 0 {
		return
	}

	res.Warnings = append(res.Warnings, Warning{
		Kind: WarningFileMode,
		File: path,
		Detail: fmt.Sprintf("can be read or written by other users (mode %#o); "+
			"run chmod 600 %s", info.Mode().Perm(), path),
	})
}

// readOptional returns the contents of path, or nil without error when the
// file does not exist.
func readOptional(path string) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()

	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("larger than %d bytes; check that it is the right file",
			maxFileBytes)
	}

	if data == nil {
		data = []byte{}
	}

	return data, nil
}

func wrapFileErr(sentinel error, path string, err error) error {
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return fmt.Errorf("%w: %w", sentinel, err)
	}

	return fmt.Errorf("%w: %s: %w", sentinel, path, err)
}

// normalize trims the keys, which an HTTP header could never carry with
// surrounding white space, and lower-cases the backend name.
func (c *Config) normalize() {
	c.Platforms.APIServer.Key = strings.TrimSpace(c.Platforms.APIServer.Key)
	c.Agent.APIKey = strings.TrimSpace(c.Agent.APIKey)
	c.Agent.Backend = strings.ToLower(strings.TrimSpace(c.Agent.Backend))
}
