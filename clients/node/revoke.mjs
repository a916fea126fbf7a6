#!/usr/bin/env node
// A non-Java client of RevokeApiKeysWorkflow, using only @temporalio/client from npm.
//
// It does what `temporal workflow start --type RevokeApiKeysWorkflow --input '<json>'` does: names
// the workflow by its type string and sends one plain JSON argument (the default data converter
// sends it as a `json/plain` payload, as the Temporal CLI does). Then it queries `status`, awaits
// the result, prints the result JSON on stdout, and exits non-zero unless the key was revoked by
// this client and no salt appears in the result or in the workflow's history.
//
//   node revoke.mjs <api key id> [idempotency key]
//
// Environment: TEMPORAL_ADDRESS (default 127.0.0.1:7233), TEMPORAL_NAMESPACE (default "default"),
// APIKEYS_TASK_QUEUE (default "api-keys").
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';

const WORKFLOW_TYPE = 'RevokeApiKeysWorkflow';
const REVOKED_BY = 'node-client';
const TIMEOUT_MS = 60_000;

function log(message) {
  process.stderr.write(`revoke.mjs: ${message}\n`);
}

function fail(message) {
  log(`FAIL: ${message}`);
  process.exitCode = 1;
}

/** Every string a proto message carries, payload bytes decoded as UTF-8, for the salt check. */
function* texts(value, seen = new Set()) {
  if (value == null) return;
  if (typeof value === 'string') {
    yield value;
  } else if (value instanceof Uint8Array) {
    yield Buffer.from(value).toString('utf8');
  } else if (typeof value === 'object' && !seen.has(value)) {
    seen.add(value);
    for (const child of Array.isArray(value) ? value : Object.values(value)) {
      yield* texts(child, seen);
    }
  }
}

async function main() {
  const [id, idempotencyKeyArg] = process.argv.slice(2);
  if (!id || id.startsWith('-')) {
    log('usage: node revoke.mjs <api key id> [idempotency key]');
    return 2;
  }
  const address = process.env.TEMPORAL_ADDRESS || '127.0.0.1:7233';
  const namespace = process.env.TEMPORAL_NAMESPACE || 'default';
  const taskQueue = process.env.APIKEYS_TASK_QUEUE || 'api-keys';
  const idempotencyKey = idempotencyKeyArg || `node-${randomUUID()}`;
  const workflowId = `revoke-apikeys-${idempotencyKey}`;
  const input = {
    id,
    data: { revoked_by: REVOKED_BY, revoke_in: 1 },
    context: { idempotencyKey },
  };

  const connection = await Connection.connect({ address, connectTimeout: '10s' });
  try {
    const client = new Client({ connection, namespace });
    log(`connected to ${address} (namespace ${namespace})`);

    const handle = await client.workflow.start(WORKFLOW_TYPE, {
      taskQueue,
      workflowId,
      args: [input],
      workflowExecutionTimeout: '5 minutes',
    });
    log(`started ${WORKFLOW_TYPE} ${handle.workflowId} (run ${handle.firstExecutionRunId}) with ${JSON.stringify(input)}`);

    // A query sent before the first workflow task has run can fail; poll until it answers.
    const deadline = Date.now() + TIMEOUT_MS;
    let status;
    for (;;) {
      try {
        status = await handle.query('status');
        if (status && status.state !== 'validating') break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
      if (Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    log(`status query answers ${JSON.stringify(status)}`);
    if (!status || !['scheduled', 'revoking', 'revoked'].includes(status.state)) {
      fail(`status.state is ${status && status.state}, expected scheduled, revoking or revoked`);
    }

    const result = await Promise.race([
      handle.result(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`no result within ${TIMEOUT_MS} ms`)), TIMEOUT_MS).unref()),
    ]);
    const resultJson = JSON.stringify(result);
    process.stdout.write(`${resultJson}\n`);

    if (result.status !== 'revoked') {
      fail(`result.status is ${JSON.stringify(result.status)}, expected "revoked"`);
    }
    const first = Array.isArray(result.api_keys) ? result.api_keys[0] : undefined;
    if (!first || first.id !== id) {
      fail(`result.api_keys[0].id is ${JSON.stringify(first && first.id)}, expected ${JSON.stringify(id)}`);
    }
    if (!first || first.revoked_by !== REVOKED_BY) {
      fail(`result.api_keys[0].revoked_by is ${JSON.stringify(first && first.revoked_by)}, expected "${REVOKED_BY}"`);
    }
    if (/salt/i.test(resultJson)) {
      fail('the result mentions a salt');
    }
    const history = await handle.fetchHistory();
    for (const text of texts(history)) {
      if (/salt/i.test(text)) {
        fail('the workflow history mentions a salt');
        break;
      }
    }
    if (!process.exitCode) {
      log(`OK: ${id} revoked by ${REVOKED_BY} at ${first.revoked_at}; ${history.events.length} history events, no salt`);
    }
    return process.exitCode || 0;
  } finally {
    await connection.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    log(`FAIL: ${err && err.message ? err.message : err}`);
    // A refused revocation fails the workflow with an ApplicationFailure of the contract's type.
    for (let cause = err && err.cause; cause; cause = cause.cause) {
      log(`  caused by ${cause.type || cause.name}: ${cause.message}`);
    }
    process.exitCode = 1;
  },
);
