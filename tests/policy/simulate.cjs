// Evaluates IAM requests with @cloud-copilot/iam-simulate (test-only, AGPL-3.0).
// A long-lived server: each stdin line is a batch {policies, simulations}; a simulation names its
// identity policies and SCPs by key ({"$policy": key}), so that each document crosses the pipe
// and is validated once per batch (iam-simulate reuses a ValidatedPolicy instead of validating it
// again on every request). For each line it writes one stdout line, a JSON array of
// {decision, error}.
const path = require('node:path');
const readline = require('node:readline');

// Pure functions of the simulator's packages, called thousands of times with the same few
// arguments (every entry of each SCP's ArnNotLike list, against every request), are memoized: the
// same answer, computed once (two thirds less CPU; every decision and error of the test suite's
// batches and of the whole sweep unchanged). They are replaced on the modules' exports, which
// their callers read at each call; a cached answer is frozen, so a caller that changed one would
// fail instead of drifting. A cache is a tree of Maps, one level per argument that decides the
// answer: no key string is built per call (building them cost more than the lookups).
function remembered(cache, keys, compute) {
  let level = cache;
  for (let i = 0; i < keys.length - 1; i += 1) {
    let next = level.get(keys[i]);
    if (next === undefined) level.set(keys[i], (next = new Map()));
    level = next;
  }
  const last = keys[keys.length - 1];
  if (!level.has(last)) level.set(last, freeze(compute()));
  return level.get(last);
}
function freeze(answer) {
  return answer instanceof Promise ? answer.then(Object.freeze) : Object.freeze(answer);
}
function memoize(module, name, decidingArguments) {
  const original = module[name];
  const cache = new Map();
  module[name] = (...args) => {
    const keys = decidingArguments(...args);
    return keys === undefined ? original(...args) : remembered(cache, keys, () => original(...args));
  };
}
function internal(packageName, file) {
  return require(path.join(path.dirname(require.resolve(packageName)), file));
}
const variable = (value) => value.includes('${');
const policyUtils = internal('@cloud-copilot/iam-policy', 'utils.js');
memoize(policyUtils, 'caseInsensitiveEquals', (a, b) => [a, b]);
memoize(policyUtils, 'caseInsensitiveEndsWith', (a, b) => [a, b]);
memoize(internal('@cloud-copilot/iam-utils', 'arn.js'), 'splitArnParts', (arn) => [arn]);
// Without a policy variable (${...}) the request plays no part in the conversion.
memoize(internal('@cloud-copilot/iam-simulate', 'util.js'), 'convertIamString',
  (value, _request, options) => (variable(value) ? undefined
    : [value, options?.replaceWildcards, options?.convertToRegex]));
// One entry of an ArnLike / ArnNotLike list against a request's ARN: the request plays a part
// only through a policy variable.
memoize(internal('@cloud-copilot/iam-simulate', 'condition/arn/arn.js'), 'arnMatches',
  (policyArn, requestArn, _request, expectMatch) => (variable(policyArn) ? undefined
    : [policyArn, requestArn, expectMatch]));
// The resource types an action's ARN can be (a scan of the service's ARN patterns).
memoize(internal('@cloud-copilot/iam-simulate', 'simulation_engine/resourceTypes.js'),
  'getResourceTypesForAction', (service, action, resource) => [service, action, resource]);
// What the simulator rebuilds from a statement on every request (its Action, Resource and
// Condition objects, and whether the request's action matches it) depends on the statement's
// JSON object and the action alone: kept per object, for as long as its batch holds it.
const perStatement = new WeakMap();
function rememberedOf(statementObject, keys, compute) {
  let memo = perStatement.get(statementObject);
  if (memo === undefined) perStatement.set(statementObject, (memo = new Map()));
  return remembered(memo, keys, compute);
}
const { StatementImpl } = internal('@cloud-copilot/iam-policy', 'statements/statement.js');
for (const element of ['actions', 'notActions', 'resources', 'notResources', 'conditions']) {
  const build = StatementImpl.prototype[element];
  StatementImpl.prototype[element] = function elements() {
    return rememberedOf(this.statementObject, [`$${element}`], () => build.call(this));
  };
}
const actionModule = internal('@cloud-copilot/iam-simulate', 'action/action.js');
const matchActions = actionModule.requestMatchesStatementActions;
actionModule.requestMatchesStatementActions = (request, statement) => rememberedOf(
  statement.statementObject, [request.action.value()], () => matchActions(request, statement));
// Whether the request's resource matches the statement's Resource / NotResource reads the
// request's resource, whether its action is wildcard-only and, through a policy variable only,
// its context.
const resourceModule = internal('@cloud-copilot/iam-simulate', 'resource/resource.js');
const matchResources = resourceModule.requestMatchesStatementResources;
resourceModule.requestMatchesStatementResources = (request, statement, policyType) => {
  const object = statement.statementObject;
  const hasVariable = rememberedOf(object, ['$resourceVariable'],
    () => variable(JSON.stringify([object.Resource, object.NotResource])));
  if (hasVariable) return matchResources(request, statement, policyType);
  return rememberedOf(object, ['$resourceMatch', policyType, request.resource?.value(),
    request.wildcardOnlyAction], () => matchResources(request, statement, policyType));
};
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
