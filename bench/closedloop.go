package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// opFunc performs one operation and returns the rows it wrote.
type opFunc func(ctx context.Context) (rows int, err error)

// loopResult is the outcome of one closed-loop measurement of in-process
// operations.
type loopResult struct {
	Rows       int64
	Ops        int64
	Errors     int64
	Elapsed    time.Duration
	Latencies  []time.Duration
	FirstError string
	// Transactions and TransactionRows are the store actor's own counts,
	// filled in by the caller when it has them.
	Transactions    int64
	TransactionRows int64
}

// runClosedLoop runs workers goroutines, each calling its own operation
// from newOp in a loop: warmup, then a window of duration (or until
// maxRows rows were written) in which completed operations are recorded.
func runClosedLoop(ctx context.Context, workers int, cfg loadConfig, maxRows int64,
	tick func(time.Duration), newOp func() opFunc,
) loopResult {
	var (
		phase   atomic.Int32
		rows    atomic.Int64
		full    = make(chan struct{})
		fullOne sync.Once
		mu      sync.Mutex
		res     loopResult
		wg      sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	for range workers {
		op := newOp()
		wg.Go(func() {
			var local loopResult
			for ctx.Err() == nil && phase.Load() != phaseDone {
				start := time.Now()
				n, err := op(ctx)
				if phase.Load() != phaseMeasure {
					continue
				}
				local.record(n, err, time.Since(start))
				if err == nil && rows.Add(int64(n)) >= maxRows {
					fullOne.Do(func() { close(full) })
				}
			}
			mu.Lock()
			res.merge(local)
			mu.Unlock()
		})
	}

	waitTicking(ctx, cfg.warmup, nil, tick)
	start := time.Now()
	phase.Store(phaseMeasure)
	waitTicking(ctx, cfg.duration, full, tick)
	phase.Store(phaseDone)
	elapsed := time.Since(start)
	wg.Wait()
	res.Elapsed = elapsed
	return res
}

func (r *loopResult) record(rows int, err error, d time.Duration) {
	if err != nil {
		r.Errors++
		if r.FirstError == "" {
			r.FirstError = err.Error()
		}
		return
	}
	r.Ops++
	r.Rows += int64(rows)
	r.Latencies = append(r.Latencies, d)
}

func (r *loopResult) merge(o loopResult) {
	r.Rows += o.Rows
	r.Ops += o.Ops
	r.Errors += o.Errors
	r.Latencies = append(r.Latencies, o.Latencies...)
	if r.FirstError == "" {
		r.FirstError = o.FirstError
	}
}
