package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"gonum.org/v1/plot"

	"github.com/actorgate/actorgate/actors/store"
	"github.com/actorgate/actorgate/messages"
	"github.com/actorgate/actorgate/stores"
)

// Settings of the store scenario.
const (
	// storeMaxResponses is the store's limit, the binary's default, so
	// that eviction runs once the table is full.
	storeMaxResponses = store.DefaultMaxResponses
	// batchRows is the rows per transaction of the batched baseline.
	batchRows = 100
	// storeRequestTimeout bounds one PutResponse request.
	storeRequestTimeout = 10 * time.Second
)

// Names of the store scenario's variants.
const (
	variantPerRow  = "per_row"
	variantActor   = "actor"
	variantBatched = "batched"
)

// storeVariant is the merged figures of every round of one way to write.
type storeVariant struct {
	Name string `json:"name"`
	// Writers is the number of concurrent writers.
	Writers int `json:"writers"`
	// RowsPerOp is the rows one operation writes.
	RowsPerOp     int       `json:"rows_per_operation"`
	Rows          int64     `json:"rows"`
	Errors        int64     `json:"errors"`
	FirstError    string    `json:"first_error,omitempty"`
	Seconds       float64   `json:"seconds"`
	RowsPerSecond float64   `json:"rows_per_second"`
	RoundRows     []float64 `json:"round_rows_per_second"`
	// Latency is the time of one operation: one Put for the baselines,
	// one PutResponse request and its reply for the actor.
	Latency latencySummary `json:"operation_latency"`
	// Transactions counts the store actor's transactions, from its
	// closing log line, warmup included; zero for the baselines.
	Transactions int64 `json:"transactions,omitempty"`
	// RowsPerTransaction is the mean group-commit batch of the actor.
	RowsPerTransaction float64 `json:"rows_per_transaction,omitempty"`
	transactionRows    int64

	latencies []time.Duration
}

// storeFigures are the raw figures of the store scenario.
type storeFigures struct {
	Variants     []storeVariant `json:"variants"`
	MaxResponses int            `json:"max_responses"`
	BodyBytes    int            `json:"body_bytes"`
	HistoryBytes int            `json:"history_bytes"`
}

// storeBench is the state of one store scenario run.
type storeBench struct {
	h      *harness
	dir    string
	system *actor.ActorSystem
	bar    *progress
	runs   int
}

// runStore measures responses written through the store actor by
// concurrent writers against one transaction per row and against 100
// rows per transaction, each on one connection.
func runStore(ctx context.Context, h *harness) (*result, chartFunc, error) {
	dir, err := h.scenarioDir("store")
	if err != nil {
		return nil, nil, err
	}
	b := &storeBench{h: h, dir: dir, system: newActorSystem()}
	defer b.system.Shutdown()
	b.bar = newProgress(h.stdout, h.plannedLoad(3*h.s.Rounds), "store")
	defer b.bar.finish()

	variants := []struct {
		name      string
		writers   int
		rowsPerOp int
		run       func(context.Context, string, int) (loopResult, error)
	}{
		{variantPerRow, 1, 1, b.runDirect},
		{variantActor, h.s.Concurrency, 1, b.runActor},
		{variantBatched, 1, batchRows, b.runDirect},
	}
	results := make([][]loopResult, len(variants))
	for round := range h.s.Rounds {
		for i, v := range variants {
			b.bar.describe(fmt.Sprintf("%-8s round %d/%d", v.name, round+1, h.s.Rounds))
			r, err := v.run(ctx, v.name, v.rowsPerOp)
			if err != nil {
				return nil, nil, fmt.Errorf("store variant %s: %w", v.name, err)
			}
			results[i] = append(results[i], r)
		}
	}

	f := storeFigures{
		MaxResponses: storeMaxResponses, BodyBytes: len(rowBody),
		HistoryBytes: len(rowHistory),
	}
	for i, v := range variants {
		f.Variants = append(f.Variants, mergeStoreRounds(v.name, v.writers, v.rowsPerOp,
			results[i]))
	}
	return storeResult(f), storeChart(f), nil
}

// freshDB returns the path of a new database file for one run.
func (b *storeBench) freshDB() string {
	b.runs++
	return filepath.Join(b.dir, fmt.Sprintf("responses-%d.db", b.runs))
}

// removeDB deletes a database and its -wal and -shm files.
func removeDB(path string) {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		_ = os.Remove(p)
	}
}

// runDirect writes through stores.SQLiteResponses on one connection from
// one goroutine, rowsPerOp rows per Put and so per transaction.
func (b *storeBench) runDirect(ctx context.Context, _ string, rowsPerOp int) (loopResult, error) {
	path := b.freshDB()
	defer removeDB(path)
	s, err := stores.OpenResponses(path, storeMaxResponses, zap.NewNop())
	if err != nil {
		return loopResult{}, err
	}
	defer func() { _ = s.Close() }()
	newOp := func() opFunc {
		src := newRowSource()
		batch := make([]messages.StoredResponse, rowsPerOp)
		return func(ctx context.Context) (int, error) {
			for i := range batch {
				batch[i] = src.next()
			}
			return len(batch), s.Put(ctx, batch)
		}
	}
	r := runClosedLoop(ctx, 1, b.h.loadConfig(1), b.h.s.MaxRequests, b.bar.addDuration, newOp)
	return r, ctx.Err()
}

// runActor writes through a store actor from Concurrency writers, each
// sending PutResponse with RequestFuture and waiting for the reply.
func (b *storeBench) runActor(ctx context.Context, _ string, _ int) (loopResult, error) {
	path := b.freshDB()
	defer removeDB(path)
	root := b.system.Root
	core, logs := observer.New(zap.InfoLevel)
	pid := root.Spawn(store.Props(store.Config{Path: path, MaxResponses: storeMaxResponses},
		zap.New(core)))
	if err := waitStoreOpen(ctx, root, pid); err != nil {
		_ = root.StopFuture(pid).Wait()
		return loopResult{}, err
	}

	seq := 0
	newOp := func() opFunc {
		src := newRowSource()
		seq++
		prefix := fmt.Sprintf("bench-%d-", seq)
		n := 0
		return func(context.Context) (int, error) {
			n++
			msg := &messages.PutResponse{RequestID: prefix + fmt.Sprint(n), Response: src.next()}
			return 1, putReply(root.RequestFuture(pid, msg, storeRequestTimeout).Result())
		}
	}
	c := b.h.s.Concurrency
	r := runClosedLoop(ctx, c, b.h.loadConfig(c), b.h.s.MaxRequests, b.bar.addDuration, newOp)
	if err := root.StopFuture(pid).Wait(); err != nil {
		return r, fmt.Errorf("stopping the store actor: %w", err)
	}
	r.Transactions, r.TransactionRows = storeCounters(logs)
	return r, ctx.Err()
}

// storeCounters reads the transactions and rows the store actor reports
// in its closing log line.
func storeCounters(logs *observer.ObservedLogs) (transactions, rows int64) {
	for _, e := range logs.FilterMessage("response store closed").All() {
		fields := e.ContextMap()
		transactions, _ = fields["transactions"].(int64)
		rows, _ = fields["written"].(int64)
	}
	return transactions, rows
}

// putReply turns a future's result into the write's error.
func putReply(reply any, err error) error {
	if err != nil {
		return err
	}
	r, ok := reply.(*messages.PutResponseReply)
	if !ok {
		return fmt.Errorf("the store replied %T, want *messages.PutResponseReply", reply)
	}
	return r.Err
}

// waitStoreOpen requests a response that does not exist until the store
// replies "not found", which proves the database is open.
func waitStoreOpen(ctx context.Context, root *actor.RootContext, pid *actor.PID) error {
	probe := &messages.GetResponse{RequestID: "open-probe", ID: newRowSource().next().ID}
	deadline := time.Now().Add(startTimeout)
	for {
		reply, err := root.RequestFuture(pid, probe, storeRequestTimeout).Result()
		if err == nil {
			if r, ok := reply.(*messages.GetResponseReply); ok && errors.Is(r.Err, messages.ErrNotFound) {
				return nil
			} else if ok {
				err = r.Err
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the store actor did not open its database: %w", err)
		}
		if err := sleepCtx(ctx, 10*time.Millisecond); err != nil {
			return err
		}
	}
}

func mergeStoreRounds(name string, writers, rowsPerOp int, rounds []loopResult) storeVariant {
	v := storeVariant{Name: name, Writers: writers, RowsPerOp: rowsPerOp}
	var elapsed time.Duration
	for _, r := range rounds {
		v.Rows += r.Rows
		v.Errors += r.Errors
		if v.FirstError == "" {
			v.FirstError = r.FirstError
		}
		elapsed += r.Elapsed
		v.Transactions += r.Transactions
		v.transactionRows += r.TransactionRows
		v.latencies = append(v.latencies, r.Latencies...)
		v.RoundRows = append(v.RoundRows, ratio(float64(r.Rows), r.Elapsed.Seconds()))
	}
	v.Seconds = elapsed.Seconds()
	v.RowsPerSecond = ratio(float64(v.Rows), v.Seconds)
	v.Latency = summarize(v.latencies)
	v.RowsPerTransaction = ratio(float64(v.transactionRows), float64(v.Transactions))
	return v
}

func storeResult(f storeFigures) *result {
	perRow, act, batched := f.Variants[0], f.Variants[1], f.Variants[2]
	ratios := map[string]float64{
		"throughput_vs_per_row": ratio(act.RowsPerSecond, perRow.RowsPerSecond),
		"throughput_vs_batched": ratio(act.RowsPerSecond, batched.RowsPerSecond),
	}
	var notes []string
	for _, v := range f.Variants {
		if v.Errors > 0 {
			notes = append(notes, fmt.Sprintf("%s: %d failed writes; first: %s", v.Name,
				v.Errors, v.FirstError))
		}
	}
	notes = append(notes, fmt.Sprintf("the store actor wrote %.1f rows per transaction "+
		"on average", act.RowsPerTransaction))
	notes = append(notes, fmt.Sprintf("every variant keeps at most %d responses, so the "+
		"least recently used are evicted once the table is full", f.MaxResponses))
	return &result{
		Figures: f,
		Ratios:  ratios,
		Targets: []targetCheck{
			check("throughput_vs_per_row", ratios["throughput_vs_per_row"], ">=", 5, "x"),
		},
		Notes: notes,
	}
}

func storeChart(f storeFigures) chartFunc {
	return func(path string) error {
		bars := make([]bar, len(f.Variants))
		samples := make([]durations, len(f.Variants))
		for i, v := range f.Variants {
			bars[i] = bar{label: v.Name, value: v.RowsPerSecond}
			samples[i] = durations{
				name:   fmt.Sprintf("%s (%d rows/op)", v.Name, v.RowsPerOp),
				values: v.latencies,
			}
		}
		throughput, err := barChart("Stored responses per second", "rows per second", bars)
		if err != nil {
			return err
		}
		cdf, err := cdfChart("Time of one write operation", samples)
		if err != nil {
			return err
		}
		return savePanels(path, []*plot.Plot{throughput, cdf}...)
	}
}
