// Evaluates a batch of IAM requests with @cloud-copilot/iam-simulate (test-only, AGPL-3.0).
// stdin: JSON array of Simulation objects; stdout: JSON array of {decision, error}.
// One Node process serves a whole pytest session.
const { runSimulation } = require('@cloud-copilot/iam-simulate');

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const simulations = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const results = [];
  for (const simulation of simulations) {
    const response = await runSimulation(simulation, {});
    if (response.resultType === 'error') {
      results.push({ decision: null, error: JSON.stringify(response.errors) });
    } else {
      results.push({ decision: response.overallResult, error: null });
    }
  }
  process.stdout.write(JSON.stringify(results));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
