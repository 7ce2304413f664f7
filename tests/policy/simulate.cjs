// Evaluates IAM requests with @cloud-copilot/iam-simulate (test-only, AGPL-3.0).
// A long-lived server: each stdin line is a batch {policies, simulations}; a simulation names its
// identity policies and SCPs by key ({"$policy": key}), so that each document crosses the pipe
// and is validated once per batch (iam-simulate reuses a ValidatedPolicy instead of validating it
// again on every request). For each line it writes one stdout line, a JSON array of
// {decision, error}.
const readline = require('node:readline');
const { runSimulation } = require('@cloud-copilot/iam-simulate');
const {
  createValidatedPolicy,
  validateIdentityPolicy,
  validateServiceControlPolicy,
} = require('@cloud-copilot/iam-policy');

function validatedOnce(documents, validate) {
  const cache = new Map();
  return (ref) => {
    if (!cache.has(ref.$policy)) {
      cache.set(ref.$policy, createValidatedPolicy(documents[ref.$policy], validate));
    }
    return cache.get(ref.$policy);
  };
}

async function evaluate(batch) {
  const identity = validatedOnce(batch.policies, validateIdentityPolicy);
  const scp = validatedOnce(batch.policies, validateServiceControlPolicy);
  const results = [];
  for (const shared of batch.simulations) {
    const simulation = {
      ...shared,
      identityPolicies: shared.identityPolicies.map((p) => ({ ...p, policy: identity(p.policy) })),
      serviceControlPolicies: shared.serviceControlPolicies.map((level) => ({
        ...level,
        policies: level.policies.map((p) => ({ ...p, policy: scp(p.policy) })),
      })),
    };
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
