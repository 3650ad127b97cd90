#!/usr/bin/env node
/**
 * Runs the real post-login Action once, for the sandbox issuer (sandbox/authserver.py): reads
 * {event} as JSON on stdin, calls onExecutePostLogin with an `api` that records what the Action
 * sets, and prints {accessToken: {claim: value}, idToken: {claim: value}} on stdout.
 *
 * The `api` offers what post-login.js uses (accessToken/idToken.setCustomClaim, api.cache) and
 * nothing more: a call to anything else fails, as it would not exist in Auth0 either.
 */
'use strict';

const { onExecutePostLogin } = require('./post-login.js');

function recorder() {
  const accessToken = {};
  const idToken = {};
  const cache = new Map();
  const api = {
    accessToken: { setCustomClaim: (name, value) => { accessToken[name] = value; } },
    idToken: { setCustomClaim: (name, value) => { idToken[name] = value; } },
    cache: {
      get: (key) => cache.get(key),
      set: (key, value) => { cache.set(key, { value }); return { type: 'success' }; },
    },
  };
  return { api, accessToken, idToken };
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const { api, accessToken, idToken } = recorder();
  await onExecutePostLogin(event, api);
  process.stdout.write(JSON.stringify({ accessToken, idToken }));
}

main().catch((err) => {
  process.stderr.write(`run-post-login: ${err && err.message}\n`);
  process.exit(1);
});
