package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/actorgate/actorgate"
	"github.com/actorgate/actorgate/config"
	"github.com/actorgate/actorgate/internal/gctarget"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gwprof:", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("gwprof", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cpuPath := fs.String("cpuprofile", "", "`file` for the CPU profile")
	heapPath := fs.String("memprofile", "", "`file` for the heap profile written at exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuPath == "" || *heapPath == "" {
		return errors.New("-cpuprofile and -memprofile are required")
	}

	log, err := newLogger(stderr, os.Getenv("ACTORGATE_LOG_LEVEL"))
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	cfg, err := loadConfig(log)
	if err != nil {
		return err
	}
	// The collector target of "actorgate run".
	gctarget.Set(os.Getenv)

	cpu, err := os.Create(*cpuPath)
	if err != nil {
		return fmt.Errorf("creating the CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		_ = cpu.Close()
		return fmt.Errorf("starting the CPU profile: %w", err)
	}
	err = serve(cfg, log, *heapPath)
	pprof.StopCPUProfile()
	return errors.Join(err, cpu.Close(), writeProfile("allocs", *heapPath))
}

// loadConfig reads the configuration as "actorgate run" does: the data
// folder from ACTORGATE_HOME, its config.yaml and .env, and the
// environment.
func loadConfig(log *zap.Logger) (config.Config, error) {
	home, err := config.ResolveHome(os.Getenv)
	if err != nil {
		return config.Config{}, err
	}
	if _, err := config.Init(home); err != nil {
		return config.Config{}, err
	}
	cfg, err := config.Load(home, os.Getenv, log)
	if err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// serve runs the gateway until SIGTERM or SIGINT. On SIGUSR1 it writes
// the runtime memory statistics and the goroutine and heap profiles of that
// moment to heapPath.N.memstats.json, heapPath.N.goroutine and
// heapPath.N.heap, N counting from 1; the heap profile is written last.
func serve(cfg config.Config, log *zap.Logger, heapPath string) error {
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
	gw, err := actorgate.Start(system, "actorgate", cfg, actorgate.WithLogger(log))
	if err != nil {
		return err
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1)
	for n := 1; ; n++ {
		if sig := <-sigs; sig != syscall.SIGUSR1 {
			break
		}
		prefix := fmt.Sprintf("%s.%d", heapPath, n)
		if err := errors.Join(writeMemStats(prefix+".memstats.json"),
			writeProfile("goroutine", prefix+".goroutine"),
			writeProfile("heap", prefix+".heap")); err != nil {
			log.Error("writing profiles failed", zap.Error(err))
		}
	}
	signal.Stop(sigs)
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Gateway.ShutdownGrace+5*time.Second)
	defer cancel()
	return gw.Close(ctx)
}

// writeMemStats writes the runtime's memory statistics as JSON, so that
// goroutine stacks (StackInuse) can be separated from the heap.
func writeMemStats(path string) error {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b, err := json.MarshalIndent(ms, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the memory statistics: %w", err)
	}
	return os.WriteFile(path, b, 0o600)
}

// writeProfile writes the named runtime profile to path, after a garbage
// collection so that heap figures are current. The file appears under its
// name only once complete.
func writeProfile(name, path string) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp) //nolint:gosec // G304: the path the harness passed in a flag
	if err != nil {
		return fmt.Errorf("creating the %s profile: %w", name, err)
	}
	runtime.GC()
	werr := pprof.Lookup(name).WriteTo(f, 0)
	if err := errors.Join(werr, f.Close()); err != nil {
		return fmt.Errorf("writing the %s profile: %w", name, err)
	}
	return os.Rename(tmp, path)
}

// newLogger builds a logger like the binary's: console lines on stderr at
// the ACTORGATE_LOG_LEVEL level, info by default.
func newLogger(w io.Writer, levelName string) (*zap.Logger, error) {
	level := zap.NewAtomicLevelAt(zap.InfoLevel)
	if levelName != "" {
		if err := level.UnmarshalText([]byte(strings.ToLower(levelName))); err != nil {
			return nil, fmt.Errorf("ACTORGATE_LOG_LEVEL=%q is not a level; use debug, info, "+
				"warn or error", levelName)
		}
	}
	encCfg := zap.NewProductionEncoderConfig()
	encCfg.TimeKey = "time"
	encCfg.EncodeTime = zapcore.ISO8601TimeEncoder
	encCfg.EncodeLevel = zapcore.CapitalLevelEncoder
	core := zapcore.NewCore(zapcore.NewConsoleEncoder(encCfg),
		zapcore.Lock(zapcore.AddSync(w)), level)
	return zap.New(core), nil
}
