// Evaluates IAM requests with @cloud-copilot/iam-simulate (test-only, AGPL-3.0).
// A long-lived server: each stdin line is a JSON array of Simulation objects; for each line it
// writes one stdout line, a JSON array of {decision, error}. One process serves a whole session.
const readline = require('node:readline');
const { runSimulation } = require('@cloud-copilot/iam-simulate');

async function evaluate(simulations) {
  const results = [];
  for (const simulation of simulations) {
    const response = await runSimulation(simulation, {});
    if (response.resultType === 'error') {
      results.push({ decision: null, error: JSON.stringify(response.errors) });
    } else {
      results.push({ decision: response.overallResult, error: null });
    }
  }
  return results;
}

async function main() {
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const results = await evaluate(JSON.parse(line));
    process.stdout.write(JSON.stringify(results) + '\n');
  }
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
