// Command bench is actorgate's benchmark harness. It starts everything a
// scenario needs on 127.0.0.1 (servers on free ports, a temporary data
// folder), warms up, measures, stops what it started, and writes
// results/<scenario>.json and a PNG chart per scenario.
//
// Every figure is set against a baseline measured in the same run, and the
// JSON file carries the ratios, because absolute times on a shared machine
// drift from run to run.
//
// # Scenarios
//
//   - api: non-streaming requests at fixed concurrency against three
//     servers: the mock upstream called directly, a bare httputil reverse
//     proxy in front of it, and the actorgate binary with the openai
//     backend in front of it. The gateway serves chat completions and
//     /v1/responses with store set. Then the latency each adds at
//     concurrency 1.
//   - echo: actorgate with the built-in echo backend against the direct
//     mock, under the same load.
//   - stream: streamed chat completions through the proxy and the gateway,
//     and the time to the first content chunk each adds over the mock.
//   - store: responses written through the store actor by concurrent
//     writers, against one transaction per row and against 100 rows per
//     transaction on one connection.
//   - restart: forced failures of an adapter that owns a store, in an
//     in-process gateway: file descriptors, goroutines and heap before and
//     after, and the restart latency.
//   - memory: resident memory of the gateway process idle and with many
//     idle open streams, against the proxy.
//
// The mock upstream and the proxy are the programs in cmd/mock and
// cmd/proxy. The harness builds them and the actorgate binary (without the
// race detector) into a temporary folder, and runs each as its own
// process, so that its CPU time and resident memory can be read from
// /proc.
package main
