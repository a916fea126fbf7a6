#!/usr/bin/env node
// Refusals as a client that is not Java sees them, using only @temporalio/client from npm: each
// one must carry the contract's type (INVALID_DATA, NOT_ALLOWED) as the ApplicationFailure's
// `type`, and the message the README shows, whichever way it reaches the client:
//
//   1. an update refused by its validator: `reschedule` with {"revoke_in":"30"} is INVALID_DATA
//      "revoke_in: expected a whole number of seconds, got string";
//   2. an update refused by its validator on a workflow that repeats an idempotency key:
//      `revokeNow` is NOT_ALLOWED "this workflow repeats an idempotency key; …";
//   3. a refused start: {"data":{"revoke_in":"60"}} fails the workflow with INVALID_DATA
//      "data.revoke_in: …", the `data.` prefix as in the README's table of refusals.
//
// Then it cancels the revocation it scheduled, so the key is as before. It prints one JSON line
// per refusal ({"case", "type", "message"}) on stdout and exits non-zero if any differs.
//
//   node refusals.mjs <id of an active api key>
//
// Environment: TEMPORAL_ADDRESS (default 127.0.0.1:7233), TEMPORAL_NAMESPACE (default "default"),
// APIKEYS_TASK_QUEUE (default "api-keys").
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';

const WORKFLOW_TYPE = 'RevokeApiKeysWorkflow';
const TIMEOUT_MS = 60_000;

function log(message) {
  process.stderr.write(`refusals.mjs: ${message}\n`);
}

/** The ApplicationFailure a rejected promise carries, however deep the SDK wraps it. */
async function refusalOf(promise) {
  try {
    await promise;
  } catch (err) {
    for (let cause = err; cause; cause = cause.cause) {
      if (cause.name === 'ApplicationFailure' || cause.type !== undefined) {
        return { type: cause.type, message: cause.message };
      }
    }
    throw err;
  }
  throw new Error('expected a refusal, got an answer');
}

async function statusOf(handle, done) {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    try {
      const status = await handle.query('status');
      if (done(status)) return status;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error('the status query never said so');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function main() {
  const [id] = process.argv.slice(2);
  if (!id || id.startsWith('-')) {
    log('usage: node refusals.mjs <api key id>');
    return 2;
  }
  const address = process.env.TEMPORAL_ADDRESS || '127.0.0.1:7233';
  const namespace = process.env.TEMPORAL_NAMESPACE || 'default';
  const taskQueue = process.env.APIKEYS_TASK_QUEUE || 'api-keys';
  const idempotencyKey = `node-refusals-${randomUUID()}`;
  const request = { id, data: { revoked_by: 'node-client', revoke_in: 3600 }, context: { idempotencyKey } };

  const connection = await Connection.connect({ address, connectTimeout: '10s' });
  const seen = [];
  let failed = false;
  const expect = (name, refusal, type, messageStart) => {
    const line = { case: name, type: refusal.type, message: refusal.message };
    seen.push(line);
    process.stdout.write(`${JSON.stringify(line)}\n`);
    if (refusal.type !== type || !refusal.message.startsWith(messageStart)) {
      log(`FAIL: ${name}: expected ${type} "${messageStart}…"`);
      failed = true;
    }
  };
  try {
    const client = new Client({ connection, namespace });
    const owner = await client.workflow.start(WORKFLOW_TYPE, {
      taskQueue,
      workflowId: `revoke-apikeys-${idempotencyKey}`,
      args: [request],
      // The Java test server (apikeys dev) fails a start that gives no timeout at all.
      workflowExecutionTimeout: '2 hours',
    });
    await statusOf(owner, (s) => s && s.state === 'scheduled');
    log(`scheduled ${owner.workflowId}`);

    expect(
      'reschedule with revoke_in "30"',
      await refusalOf(owner.executeUpdate('reschedule', { args: [{ revoke_in: '30' }] })),
      'INVALID_DATA',
      'revoke_in: expected a whole number of seconds, got string',
    );

    const duplicate = await client.workflow.start(WORKFLOW_TYPE, {
      taskQueue,
      workflowId: `node-${randomUUID()}`,
      args: [request],
      // The Java test server (apikeys dev) fails a start that gives no timeout at all.
      workflowExecutionTimeout: '2 hours',
    });
    await statusOf(duplicate, (s) => s && s.duplicate_of);
    expect(
      'revokeNow on a workflow that repeats an idempotency key',
      await refusalOf(duplicate.executeUpdate('revokeNow')),
      'NOT_ALLOWED',
      'this workflow repeats an idempotency key; change the revocation through workflow ',
    );

    const refused = await client.workflow.start(WORKFLOW_TYPE, {
      taskQueue,
      workflowId: `node-${randomUUID()}`,
      args: [{ id, data: { revoked_by: 'node-client', revoke_in: '60' } }],
      workflowExecutionTimeout: '2 hours',
    });
    expect(
      'start with revoke_in "60"',
      await refusalOf(refused.result()),
      'INVALID_DATA',
      'data.revoke_in: ',
    );

    await owner.cancel();
    await statusOf(owner, (s) => s && s.state === 'cancelled');
    log(`cancelled ${owner.workflowId}; ${seen.length} refusals seen${failed ? ', some wrong' : ', all typed'}`);
    return failed ? 1 : 0;
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
    for (let cause = err && err.cause; cause; cause = cause.cause) {
      log(`  caused by ${cause.type || cause.name}: ${cause.message}`);
    }
    process.exitCode = 1;
  },
);
