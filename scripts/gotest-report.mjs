// Reads `go test -json` events on stdin and prints what plain `go test` would
// print: build errors, package result lines, and the full output of every
// failed test. Passing tests print nothing, and skipped tests show their
// reason.
// The last line counts every test and subtest:
//
//   tests: 120 passed, 0 failed, 3 skipped
//
// Usage: go test -json ./... | node scripts/gotest-report.mjs [COUNTS_FILE]
//
// COUNTS_FILE, when given, receives the same last line, so that the calling
// script can repeat it at the very end of its own summary.
//
// Environment: GO_TEST_VERBOSE=1 prints the output of passing tests too.
//
// A test that starts but never reports a result, because its test binary
// timed out or crashed, is counted as failed and its output is printed.
//
// Exit status: 1 when any test or package failed, else 0.

import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const verbose = process.env.GO_TEST_VERBOSE === '1';
const countsFile = process.argv[2];

// Framing lines that `go test -json` adds to a test's output and plain
// `go test` leaves out.
const framing = /^=== (RUN|PAUSE|CONT|NAME)\s/;

const counts = { passed: 0, failed: 0, skipped: 0 };
const failedPackages = [];
// Buffered output of each running test, keyed by package and test name.
const running = new Map();

function print(text) {
  process.stdout.write(text);
}

function testKey(event) {
  return `${event.Package}\u0000${event.Test}`;
}

function printTestOutput(lines) {
  for (const line of lines) {
    if (!framing.test(line)) {
      print(line);
    }
  }
}

// Package result lines, such as "ok  \tpkg\t1.2s" and "FAIL\tpkg\t0.3s".
const packageResult = /^(ok|FAIL)\s+\S/;

function onOutput(event) {
  if (event.Test === undefined) {
    // Package-level output: result lines, "[no test files]", and what a test
    // binary prints outside any test. The bare "PASS" line is dropped
    // because plain `go test` omits it.
    if (packageResult.test(event.Output)) {
      flushUnfinished(event.Package);
    }
    if (event.Output !== 'PASS\n') {
      print(event.Output);
    }
    return;
  }
  if (verbose) {
    print(event.Output);
    return;
  }
  const key = testKey(event);
  if (!running.has(key)) {
    running.set(key, []);
  }
  running.get(key).push(event.Output);
}

function onTestResult(event) {
  const key = testKey(event);
  const lines = running.get(key) ?? [];
  running.delete(key);

  if (event.Action === 'pass') {
    counts.passed++;
    return;
  }
  if (event.Action === 'skip') {
    counts.skipped++;
    printTestOutput(lines);
    return;
  }
  counts.failed++;
  printTestOutput(lines);
}

function onPackageResult(event) {
  flushUnfinished(event.Package);
  if (event.Action === 'fail') {
    failedPackages.push(event.Package);
  }
}

// Count as failed, and print, the tests of a package (or of every package,
// when pkg is undefined) that started but never reported a result.
function flushUnfinished(pkg) {
  for (const [key, lines] of running) {
    const [testPackage, test] = key.split('\u0000');
    if (pkg !== undefined && testPackage !== pkg) {
      continue;
    }
    running.delete(key);
    counts.failed++;
    print(`--- INCOMPLETE: ${test} in ${testPackage} (no result reported)\n`);
    printTestOutput(lines);
  }
}

function onEvent(event) {
  switch (event.Action) {
    case 'build-output':
      print(event.Output);
      break;
    case 'output':
      onOutput(event);
      break;
    case 'pass':
    case 'fail':
    case 'skip':
      if (event.Test === undefined) {
        onPackageResult(event);
      } else {
        onTestResult(event);
      }
      break;
    case 'run':
      if (!running.has(testKey(event))) {
        running.set(testKey(event), []);
      }
      break;
    default:
      // start, pause, cont, build-fail and bench carry nothing that plain
      // `go test` prints.
      break;
  }
}

// Parses one line of `go test -json` output and returns the event, or
// undefined when the line is plain text.
function parseEvent(line) {
  try {
    const event = JSON.parse(line);
    if (event !== null && typeof event === 'object' && typeof event.Action === 'string') {
      return event;
    }
  } catch {
    // Fall through: the line is plain text.
  }
  return undefined;
}

async function main() {
  const input = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of input) {
    const event = parseEvent(line);
    if (event === undefined) {
      // Not an event, for example a message the go command printed itself.
      print(`${line}\n`);
      continue;
    }
    onEvent(event);
  }

  flushUnfinished(undefined);
  const summary =
    `tests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
  if (failedPackages.length > 0) {
    print(`failed packages: ${failedPackages.join(' ')}\n`);
  }
  print(`${summary}\n`);
  if (countsFile) {
    writeFileSync(countsFile, `${summary}\n`);
  }

  const failed = counts.failed > 0 || failedPackages.length > 0;
  process.exitCode = failed ? 1 : 0;
}

await main();
