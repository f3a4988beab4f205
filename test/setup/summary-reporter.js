/**
 * Ends the run with the plain line CI reads: "N passed, N failed" (skipped tests, of which there
 * must be none, are counted as failed so they cannot pass unnoticed).
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numPendingTests + results.numTodoTests + (results.numRuntimeErrorTestSuites > 0 ? 1 : 0);
    // After jest's own summary, which its SummaryReporter prints once every reporter has run.
    setImmediate(() => process.stderr.write(`\n${results.numPassedTests} passed, ${failed} failed\n`));
  }
}

module.exports = SummaryReporter;
