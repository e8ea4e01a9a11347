package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/actorgate/actorgate"
	"github.com/actorgate/actorgate/actors/apiserver"
	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/internal/gctarget"
	"github.com/actorgate/actorgate/messages"
)

// gatewayName is the gateway actor's name in the binary's actor system.
const gatewayName = "actorgate"

// runGateway runs the gateway until SIGTERM or SIGINT, and reloads the
// configuration on SIGHUP.
func runGateway(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "actorgate run: unexpected arguments %q\n", args)
		return 2
	}
	log, closeLog, err := newLogger(stderr, getenv)
	if err != nil {
		fmt.Fprintln(stderr, "actorgate:", err)
		return 2
	}
	defer closeLog()
	gctarget.Set(getenv)

	// Signals are caught before anything starts: a SIGHUP that arrived
	// between the listener binding and signal.Notify would otherwise end
	// the process with the default action.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(sigs)

	home, err := config.ResolveHome(getenv)
	if err != nil {
		log.Error("resolving the data folder failed", zap.Error(err))
		return 1
	}
	initRes, err := config.Init(home)
	if err != nil {
		log.Error("creating the data folder failed", zap.String("home", home), zap.Error(err))
		return 1
	}
	cfg, err := loadConfig(home, getenv, log)
	if err != nil {
		log.Error("invalid configuration", zap.String("home", home), zap.Error(err))
		return 1
	}

	system := actor.NewActorSystem(protoactorLogging(log))
	gw, err := actorgate.Start(system, gatewayName, cfg, actorgate.WithLogger(log))
	if err != nil {
		log.Error("starting the gateway failed", zap.Error(err))
		return 1
	}
	printWelcome(stdout, cfg, initRes, waitAPIServer(gw, welcomeWait))

	ctl, err := startControl(home, gw, func() ([]string, error) {
		return reload(gw, home, getenv, log)
	}, log)
	if err != nil {
		log.Warn("control socket not available; status and platform commands will not work",
			zap.Error(err))
	}
	defer ctl.close()

	for sig := range sigs {
		if sig == syscall.SIGHUP {
			if _, err := reload(gw, home, getenv, log); err != nil {
				log.Error("reload rejected; the running configuration stays", zap.Error(err))
			}
			continue
		}
		log.Info("stopping", zap.String("signal", sig.String()),
			zap.Duration("grace", cfg.Gateway.ShutdownGrace))
		break
	}
	ctl.close()
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Gateway.ShutdownGrace+5*time.Second)
	defer cancel()
	if err := gw.Close(ctx); err != nil {
		log.Error("gateway did not stop cleanly", zap.Error(err))
		return 1
	}
	log.Info("stopped")
	return 0
}

func loadConfig(home string, getenv func(string) string, log *zap.Logger) (config.Config, error) {
	cfg, err := config.Load(home, getenv, log)
	if err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// reload loads the configuration again and applies it, and returns the
// settings that take effect only after a restart.
func reload(gw *actorgate.Gateway, home string, getenv func(string) string,
	log *zap.Logger,
) ([]string, error) {
	cfg, err := loadConfig(home, getenv, log)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reply, err := gw.Reload(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return reply.RestartNeeded, nil
}

// welcomeWait bounds how long the welcome message waits for the API
// server to bind its listener or fail.
const welcomeWait = 3 * time.Second

// waitAPIServer polls the gateway's status until the API server is
// connected or has failed, for at most limit, and returns its last row. The
// row is empty when the API server is not enrolled.
func waitAPIServer(gw *actorgate.Gateway, limit time.Duration) messages.PlatformStatus {
	deadline := time.Now().Add(limit)
	for {
		var row messages.PlatformStatus
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		rows, err := gw.Status(ctx)
		cancel()
		for _, r := range rows {
			if r.Name == apiserver.Name {
				row = r
			}
		}
		settled := row.State != "" && row.State != messages.StateConnecting
		if err == nil && (row.Name == "" || settled) || time.Now().After(deadline) {
			return row
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// printWelcome prints where the API listens and which file holds its key,
// or why the API server is not serving. The key itself is never printed.
func printWelcome(w io.Writer, cfg config.Config, initRes config.InitResult, row messages.PlatformStatus) {
	api := cfg.Platforms.APIServer
	if initRes.Created {
		fmt.Fprintf(w, "Created the data folder %s with a new API key in %s.\n", cfg.Home, initRes.EnvPath)
	}
	if cfg.APIServerEnrollment().Status != config.Enrolled {
		return
	}
	if row.State == messages.StateFatal || row.State == messages.StateRetrying {
		fmt.Fprintf(w, "The API server is not serving (%s): %s\n", row.ErrorCode, row.ErrorMessage)
		fmt.Fprintln(w, "Run \"actorgate status\" to follow it.")
		return
	}
	host := api.Host
	if host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	base := "http://" + net.JoinHostPort(host, fmt.Sprint(api.Port)) + "/v1"
	fmt.Fprintf(w, "OpenAI-compatible API: %s (model %q)\n", base, api.ModelName)
	fmt.Fprintf(w, "API key: %s\n", keyLocation(api))
}

// keyLocation names the setting that holds the API key in use.
func keyLocation(api config.APIServerConfig) string {
	switch from := api.KeyFrom; {
	case from == config.KeyFromEnvironment:
		return "the API_SERVER_KEY environment variable, which wins over the files"
	case filepath.Base(from) == config.ConfigFileName:
		return "platforms.api_server.key in " + from
	default:
		return "API_SERVER_KEY in " + from
	}
}

// checkConfig validates the configuration without starting anything.
func checkConfig(stdout, stderr io.Writer, getenv func(string) string) int {
	log, closeLog, err := newLogger(stderr, getenv)
	if err != nil {
		fmt.Fprintln(stderr, "actorgate:", err)
		return 2
	}
	defer closeLog()
	home, err := config.ResolveHome(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "actorgate check:", err)
		return 1
	}
	cfg, err := loadConfig(home, getenv, log)
	if err != nil {
		fmt.Fprintf(stderr, "actorgate check: configuration in %s is invalid:\n%v\n", home, err)
		return 1
	}
	enr := cfg.APIServerEnrollment()
	if enr.Status == config.Fatal {
		fmt.Fprintf(stderr, "actorgate check: configuration in %s cannot start api_server (%s): %s\n",
			home, enr.Code, enr.Reason)
		return 1
	}
	fmt.Fprintf(stdout, "configuration in %s is valid\n", home)
	fmt.Fprintf(stdout, "agent backend: %s\n", cfg.Agent.Backend)
	if enr.Status == config.Enrolled {
		fmt.Fprintf(stdout, "api_server: enrolled on %s\n", cfg.Platforms.APIServer.Addr())
	} else {
		fmt.Fprintf(stdout, "api_server: not enrolled: %s\n", enr.Reason)
	}
	return checkChatPlatforms(stdout, stderr, cfg)
}

// checkChatPlatforms prints the enrollment of each chat platform and
// returns 1 when one of them cannot start with this configuration.
func checkChatPlatforms(stdout, stderr io.Writer, cfg config.Config) int {
	p := cfg.Platforms
	code := 0
	for _, c := range []struct {
		name string
		enr  config.Enrollment
	}{
		{"telegram", p.Telegram.Enrollment()},
		{"irc", p.IRC.Enrollment()},
		{"matrix", p.Matrix.Enrollment()},
		{"webhook", p.Webhook.Enrollment()},
	} {
		switch c.enr.Status {
		case config.Enrolled:
			fmt.Fprintf(stdout, "%s: enrolled\n", c.name)
		case config.Fatal:
			fmt.Fprintf(stderr, "%s: cannot start (%s): %s\n", c.name, c.enr.Code, c.enr.Reason)
			code = 1
		}
	}
	return code
}

var errNotRunning = errors.New("actorgate is not running")
