// Conformance checks for actorgate's OpenAI-compatible HTTP API, driven by
// the official OpenAI Node SDK against a running gateway with the echo agent.
//
// Environment:
//   OPENAI_BASE_URL  required, the gateway's API root, for example
//                    http://127.0.0.1:8642/v1
//   OPENAI_API_KEY   required, the gateway's API_SERVER_KEY
//   ACTORGATE_MODEL  the model id the gateway advertises (default
//                    "actorgate", the gateway's default API_SERVER_MODEL_NAME)
//
// The echo agent replies "turn N: TEXT", where N is the number of user turns
// in the conversation and TEXT is the last user message.
//
// Run: node --test tests/node/

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import OpenAI from 'openai';

const DEFAULT_MODEL = 'actorgate';

// One request may take this long before the client aborts it. The gateway
// runs slowly under `go test -race` on a busy machine, so the limit is generous.
const REQUEST_TIMEOUT_MS = 60_000;

// Read a required variable. The SDK would fall back to the public OpenAI API
// when OPENAI_BASE_URL is unset, so a missing value stops the run instead.
function requireEnv(name, example) {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') {
    throw new Error(`${name} is not set: set it to ${example} and run again`);
  }
  return value.trim();
}

function newClient() {
  return new OpenAI({
    baseURL: requireEnv('OPENAI_BASE_URL', 'the API root, e.g. http://127.0.0.1:8642/v1'),
    apiKey: requireEnv('OPENAI_API_KEY', 'the gateway API_SERVER_KEY'),
    maxRetries: 0,
    timeout: REQUEST_TIMEOUT_MS,
  });
}

// Describe an SDK error with its chain of causes, so that "connect
// ECONNREFUSED" shows in the failure message and not only in a nested stack.
function describeError(err) {
  const parts = [];
  for (let e = err; e && parts.length < 5; e = e.cause) {
    const name = e.constructor?.name ?? 'Error';
    parts.push(`${name}: ${e.message ?? e}`);
  }
  return parts.join(' <- ');
}

// Concatenate the output_text parts of a Responses API response. The SDK adds
// response.output_text only to the results of create and retrieve, not to
// the response objects carried inside stream events.
function outputText(response) {
  const parts = [];
  for (const item of response.output ?? []) {
    if (item.type !== 'message') {
      continue;
    }
    for (const content of item.content ?? []) {
      if (content.type === 'output_text') {
        parts.push(content.text);
      }
    }
  }
  return parts.join('');
}

function assertUsage(usage, where) {
  assert.ok(usage, `${where}: usage is missing`);
  assert.ok(Number.isInteger(usage.prompt_tokens), `${where}: prompt_tokens is not an integer`);
  assert.ok(
    Number.isInteger(usage.completion_tokens),
    `${where}: completion_tokens is not an integer`,
  );
  assert.equal(
    usage.total_tokens,
    usage.prompt_tokens + usage.completion_tokens,
    `${where}: total_tokens is not prompt_tokens + completion_tokens`,
  );
}

describe('actorgate OpenAI API conformance', () => {
  const model = process.env.ACTORGATE_MODEL?.trim() || DEFAULT_MODEL;
  let client;
  let probe;

  // Check once that the gateway responds, so that every test fails with the
  // same clear message when nothing listens at OPENAI_BASE_URL.
  async function connect() {
    client ??= newClient();
    probe ??= client.models.list().catch((err) => {
      throw new Error(
        `gateway at ${client.baseURL} is not reachable: ${describeError(err)}. ` +
          'Start actorgate with the echo agent and the API server enabled.',
        { cause: err },
      );
    });
    await probe;
    return client;
  }

  test('models list contains the model', async () => {
    const client = await connect();
    const ids = [];
    for await (const entry of client.models.list()) {
      assert.equal(entry.object, 'model', `model ${entry.id}: object`);
      ids.push(entry.id);
    }
    assert.ok(ids.includes(model), `model ${model} not in list: ${JSON.stringify(ids)}`);
  });

  test('chat completion returns assistant text', async () => {
    const client = await connect();
    const text = 'hello from the node client';
    const completion = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: text }],
    });

    assert.equal(completion.object, 'chat.completion');
    assert.match(completion.id, /\S/, 'completion id is empty');
    assert.equal(completion.choices.length, 1);
    const choice = completion.choices[0];
    assert.equal(choice.index, 0);
    assert.equal(choice.message.role, 'assistant');
    assert.equal(choice.message.content, `turn 1: ${text}`);
    assert.equal(choice.finish_reason, 'stop');
    assertUsage(completion.usage, 'chat completion');
  });

  test('streamed chat completion matches non-streamed', async () => {
    const client = await connect();
    const messages = [{ role: 'user', content: 'stream me the same answer' }];
    const whole = await client.chat.completions.create({ model, messages });
    const expected = whole.choices[0].message.content;

    const stream = await client.chat.completions.create({
      model,
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
    }

    assert.ok(chunks.length >= 2, `got ${chunks.length} chunks, expected content and usage`);
    const ids = new Set(chunks.map((chunk) => chunk.id));
    assert.equal(ids.size, 1, `chunks carry different ids: ${[...ids].join(', ')}`);

    const last = chunks.at(-1);
    const contentChunks = chunks.slice(0, -1);
    let streamed = '';
    const finishReasons = [];
    for (const chunk of contentChunks) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      assert.equal(chunk.usage ?? null, null, 'usage is set on a chunk before the last');
      for (const choice of chunk.choices) {
        streamed += choice.delta?.content ?? '';
        if (choice.finish_reason) {
          finishReasons.push(choice.finish_reason);
        }
      }
    }
    assert.equal(streamed, expected, 'concatenated deltas differ from the non-streamed text');
    assert.deepEqual(finishReasons, ['stop'], 'expected one finish_reason "stop"');

    assert.equal(last.object, 'chat.completion.chunk');
    assert.deepEqual(last.choices, [], 'the usage chunk must have empty choices');
    assertUsage(last.usage, 'last chunk');
  });

  test('response create returns output_text', async () => {
    const client = await connect();
    const text = 'first response turn';
    const response = await client.responses.create({ model, input: text });

    assert.equal(response.object, 'response');
    assert.match(response.id, /^resp_/, `response id ${response.id} lacks the resp_ prefix`);
    assert.equal(response.status, 'completed');
    assert.equal(response.output_text, `turn 1: ${text}`);
    assert.equal(outputText(response), response.output_text);
  });

  test('previous_response_id continues the thread', async () => {
    const client = await connect();
    const first = await client.responses.create({ model, input: 'remember this turn' });
    assert.equal(first.status, 'completed');

    const text = 'and now the second turn';
    const second = await client.responses.create({
      model,
      input: text,
      previous_response_id: first.id,
    });

    assert.equal(second.status, 'completed');
    assert.notEqual(second.id, first.id);
    assert.equal(second.previous_response_id, first.id);
    assert.ok(
      second.output_text.startsWith('turn 2: '),
      `second answer does not see the first turn: ${JSON.stringify(second.output_text)}`,
    );
    assert.ok(second.output_text.includes(text), 'second answer lacks the second input');
  });

  test('streamed response events are ordered', async () => {
    const client = await connect();
    const text = 'stream a response';
    const stream = await client.responses.create({ model, input: text, stream: true });
    const events = [];
    for await (const event of stream) {
      events.push(event);
    }

    assert.ok(events.length >= 2, `got ${events.length} events`);
    assert.equal(events[0].type, 'response.created');
    assert.equal(events[0].sequence_number, 0, 'first sequence_number is not 0');
    for (let i = 1; i < events.length; i++) {
      const previous = events[i - 1].sequence_number;
      const current = events[i].sequence_number;
      assert.ok(
        Number.isInteger(current) && current > previous,
        `event ${i} (${events[i].type}): sequence_number ${current} after ${previous}`,
      );
    }

    const last = events.at(-1);
    assert.equal(last.type, 'response.completed');
    assert.equal(last.response.status, 'completed');
    assert.equal(last.response.id, events[0].response.id, 'completed and created ids differ');

    const deltas = events
      .filter((event) => event.type === 'response.output_text.delta')
      .map((event) => event.delta)
      .join('');
    assert.equal(outputText(last.response), `turn 1: ${text}`);
    assert.equal(deltas, outputText(last.response), 'deltas differ from the completed text');
  });

  test('response retrieve and delete', async () => {
    const client = await connect();
    const text = 'keep me, then delete me';
    const created = await client.responses.create({ model, input: text });

    const retrieved = await client.responses.retrieve(created.id);
    assert.equal(retrieved.id, created.id);
    assert.equal(retrieved.status, 'completed');
    assert.equal(retrieved.output_text, created.output_text);

    await client.responses.delete(created.id);

    await assert.rejects(client.responses.retrieve(created.id), OpenAI.NotFoundError);
    await assert.rejects(client.responses.delete(created.id), OpenAI.NotFoundError);
  });
});
