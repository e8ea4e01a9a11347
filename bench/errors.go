package main

import "errors"

var (
	// errInvalidSettings is returned for a flag value out of range.
	errInvalidSettings = errors.New("invalid settings")
	// errUnknownScenario is returned for a -scenario name that does not
	// exist.
	errUnknownScenario = errors.New("unknown scenario")
	// errServerStart is returned when a server process does not become
	// ready.
	errServerStart = errors.New("server did not start")
	// errProcRead is returned when /proc cannot be read for a process.
	errProcRead = errors.New("reading /proc failed")
)
