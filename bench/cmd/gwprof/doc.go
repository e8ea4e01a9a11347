// Command gwprof runs the actorgate gateway in-process, configured from the
// environment as the actorgate binary is, with the Go CPU profiler running
// from start to SIGTERM. On SIGUSR1 it writes the heap and goroutine
// profiles of that moment. On SIGTERM it stops the profiler, writes the
// allocation profile, and closes the gateway.
//
// The benchmark harness runs it in place of the binary when given -profile,
// so that the profiles show where the gateway spends its time under the
// same load as a measured run.
package main
