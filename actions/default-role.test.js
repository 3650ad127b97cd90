'use strict';
// The default role: assigned through the Management API to a user who holds no role, with the
// assigner client's credentials from Action secrets. fetch is replaced by a recorder that answers
// as Auth0 does; nothing leaves the machine.
const { test, beforeEach, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { onExecutePostLogin, assignDefaultRole, readConfig } = require('./post-login.js');

const DOMAIN = 'acme-dev.us.auth0.com';
const ROLE = { id: 'rol_AbC123', name: 'MCP User' };
const SECRET = 'assigner-secret-value-0123456789';

function secrets(cfg = {}) {
  return {
    MCPAUTH_CONFIG: JSON.stringify({
      namespace: 'https://mcp.example.com/',
      audiences: [],
      claims: [],
      defaultRole: ROLE,
      managementDomain: DOMAIN,
      ...cfg,
    }),
    MCPAUTH_ASSIGNER_CLIENT_ID: 'assigner-id',
    MCPAUTH_ASSIGNER_CLIENT_SECRET: SECRET,
  };
}

function event(overrides = {}) {
  return { secrets: secrets(), user: { user_id: 'auth0|42' }, authorization: { roles: [] }, ...overrides };
}

function cache() {
  const store = new Map();
  return {
    store,
    get: (k) => (store.has(k) ? { value: store.get(k).value } : undefined),
    set: (k, value, opts) => { store.set(k, { value, opts }); return { type: 'success' }; },
  };
}

let calls;
let answers;
const realFetch = global.fetch;

beforeEach(() => {
  calls = [];
  answers = {
    token: { status: 200, body: { access_token: 'mgmt-token', expires_in: 86400, token_type: 'Bearer' } },
    assign: { status: 204, body: null },
  };
  global.fetch = async (url, init) => {
    calls.push({ url, init, body: JSON.parse(init.body) });
    const a = url.endsWith('/oauth/token') ? answers.token : answers.assign;
    if (a.throws) throw a.throws;
    return { ok: a.status >= 200 && a.status < 300, status: a.status, json: async () => a.body };
  };
});

afterEach(() => {
  global.fetch = realFetch;
});

test('a user with no role gets the default one, with a token for the Management API', async () => {
  const c = cache();
  assert.equal(await assignDefaultRole(event(), { cache: c }, readConfig(secrets())), 'assigned');
  const [tok, assign] = calls;
  assert.equal(tok.url, `https://${DOMAIN}/oauth/token`);
  assert.deepEqual(tok.body, {
    grant_type: 'client_credentials',
    client_id: 'assigner-id',
    client_secret: SECRET,
    audience: `https://${DOMAIN}/api/v2/`,
  });
  assert.equal(assign.url, `https://${DOMAIN}/api/v2/roles/rol_AbC123/users`);
  assert.equal(assign.init.headers.authorization, 'Bearer mgmt-token');
  assert.deepEqual(assign.body, { users: ['auth0|42'] });
  // Cached for the next logins, in milliseconds, a minute short of its expiry.
  assert.deepEqual(c.store.get('mcpauth-management-token'), { value: 'mgmt-token', opts: { ttl: 86340000 } });
  calls = [];
  assert.equal(await assignDefaultRole(event(), { cache: c }, readConfig(secrets())), 'assigned');
  assert.deepEqual(calls.map((x) => x.url), [`https://${DOMAIN}/api/v2/roles/rol_AbC123/users`]);
});

test('a user who holds any role, or an unknown shape, is left alone', async () => {
  for (const authorization of [{ roles: ['MCP Admin'] }, { roles: 'MCP User' }, undefined, {}]) {
    assert.equal(await assignDefaultRole(event({ authorization }), { cache: cache() }, readConfig(secrets())), 'has-roles');
  }
  assert.equal(calls.length, 0);
});

test('off unless configured, and never without credentials or a user', async () => {
  assert.equal(await assignDefaultRole(event(), {}, readConfig(secrets({ defaultRole: null }))), 'off');
  assert.equal(await assignDefaultRole(event(), {}, readConfig(secrets({ defaultRole: { id: 'x y' } }))), 'off');
  assert.equal(await assignDefaultRole(event(), {}, readConfig(secrets({ managementDomain: 'evil.com/x' }))), 'off');
  const noSecret = { ...secrets(), MCPAUTH_ASSIGNER_CLIENT_SECRET: undefined };
  assert.equal(await assignDefaultRole(event({ secrets: noSecret }), {}, readConfig(noSecret)), 'no-credentials');
  assert.equal(await assignDefaultRole(event({ user: {} }), {}, readConfig(secrets())), 'no-user');
  assert.equal(calls.length, 0);
});

test('Auth0 refusing or not answering fails the assignment, never the login', async () => {
  answers.token = { status: 401, body: { error: 'access_denied' } };
  assert.equal(await assignDefaultRole(event(), { cache: cache() }, readConfig(secrets())), 'no-token');
  answers.token = { status: 200, body: { access_token: 'mgmt-token', expires_in: 86400 } };
  answers.assign = { status: 403, body: { message: 'Insufficient scope, expected any of: create:role_members' } };
  assert.equal(await assignDefaultRole(event(), { cache: cache() }, readConfig(secrets())), 'http-403');
  answers.assign = { throws: new Error('The operation was aborted due to timeout') };
  assert.equal(await assignDefaultRole(event(), { cache: cache() }, readConfig(secrets())), 'unreachable');
  const claims = {};
  const api = { cache: cache(), accessToken: { setCustomClaim: (k, v) => { claims[k] = v; } }, idToken: { setCustomClaim() {} } };
  await assert.doesNotReject(onExecutePostLogin(event(), api));
});

test('every Management API call has a time limit', async () => {
  await assignDefaultRole(event(), { cache: cache() }, readConfig(secrets()));
  assert.equal(calls.length, 2);
  for (const c of calls) assert.ok(c.init.signal instanceof AbortSignal, c.url);
});

test('the assigner secret never reaches a claim', async () => {
  const claims = {};
  const ev = event({
    secrets: secrets({ audiences: ['https://api.example.com/mcp'], claims: ['roles'] }),
    resource_server: { identifier: 'https://api.example.com/mcp' },
  });
  const api = { cache: cache(), accessToken: { setCustomClaim: (k, v) => { claims[k] = v; } }, idToken: { setCustomClaim() {} } };
  await onExecutePostLogin(ev, api);
  assert.ok(!JSON.stringify(claims).includes(SECRET));
});
