package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

const usage = `actorgate: a gateway from chat platforms and an OpenAI-compatible API to one agent.

Usage:
  actorgate [run]                    run the gateway (the default command)
  actorgate check                    validate the configuration and exit
  actorgate status                   print the running gateway's platform table
  actorgate platform pause NAME      stop a platform until it is resumed
  actorgate platform resume NAME     start a paused or fatal platform again
  actorgate reload                   reload the configuration (same as SIGHUP)
  actorgate version                  print the version

The data folder is $ACTORGATE_HOME, or ~/.actorgate when it is not set. It
holds config.yaml, .env and the databases. On the first run the folder is
created, or used when it exists and is empty, with a new random API key in
its .env file. One gateway at a time runs on a folder: a second one exits
with an error that names the pid of the first.

Environment: ACTORGATE_LOG_LEVEL (debug, info, warn, error; default info),
ACTORGATE_LOG_FORMAT (console or json; default console), and the settings
listed in the README (API_SERVER_KEY, API_SERVER_PORT, AGENT_BACKEND, ...).
`

// run dispatches a command line and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "run":
		return runGateway(args, stdout, stderr, os.Getenv)
	case "check":
		return checkConfig(stdout, stderr, os.Getenv)
	case "status":
		return printStatus(stdout, stderr, os.Getenv)
	case "platform":
		return platformCommand(args, stdout, stderr, os.Getenv)
	case "reload":
		return reloadCommand(stdout, stderr, os.Getenv)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "actorgate", versionString())
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "actorgate: unknown command %q\n\n%s", cmd, usage)
	return 2
}

func versionString() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v + " " + info.GoVersion
}
