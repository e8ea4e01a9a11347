package config

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error that Load, Init, ResolveHome and Validate
// return wraps one of them, so callers can tell the cases apart with
// errors.Is.
var (
	// ErrNoHome is returned by ResolveHome when neither ACTORGATE_HOME nor
	// the user's home folder is set.
	ErrNoHome = errors.New("no data folder")
	// ErrInit is returned by Init when it cannot create the data folder or
	// its .env file.
	ErrInit = errors.New("creating data folder")
	// ErrConfigFile is returned by Load when config.yaml cannot be read,
	// is not valid YAML, or sets a value of the wrong type.
	ErrConfigFile = errors.New("invalid config.yaml")
	// ErrEnvFile is returned by Load when the .env file cannot be read or
	// has a line that is not NAME=VALUE.
	ErrEnvFile = errors.New("invalid .env file")
	// ErrEnvValue is returned by Load when an environment variable, or a
	// line of the .env file, has a value of the wrong form.
	ErrEnvValue = errors.New("invalid environment variable")
	// ErrInvalid is wrapped by every FieldError that Validate returns.
	ErrInvalid = errors.New("invalid configuration")
)

// FieldError is one problem that Validate found. Error names the field by
// its YAML path and, where one exists, the environment variable that also
// sets it.
type FieldError struct {
	// Path is the field's YAML path, such as platforms.api_server.port.
	Path string
	// Env is the environment variable that sets the field, or empty.
	Env string
	// Problem describes what is wrong and how to fix it.
	Problem string
}

func (e *FieldError) Error() string {
	if e.Env == "" {
		return fmt.Sprintf("%s: %s", e.Path, e.Problem)
	}

	return fmt.Sprintf("%s (%s): %s", e.Path, e.Env, e.Problem)
}

// Unwrap returns ErrInvalid.
func (e *FieldError) Unwrap() error { return ErrInvalid }
