'use strict';
// The default role: assigned through the Management API to a user who holds no role, with the
// assigner client's credentials from Action secrets. fetch is replaced by a recorder that answers
// as Auth0 does; nothing leaves the machine.
const { test, beforeEach, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { onExecutePostLogin, assignDefaultRole, readConfig } = require('./post-login.js');

const DOMAIN = 'acme-dev.us.auth0.com';
const CONNECTION = 'Username-Password-Authentication';
const API = 'https://tools.gateway.example.com/mcp';
const ROLE = { id: 'rol_AbC123', name: 'MCP User', connection: CONNECTION };
const SECRET = 'assigner-secret-value-0123456789';

function secrets(cfg = {}) {
  return {
    MCPAUTH_CONFIG: JSON.stringify({
      namespace: 'https://mcp.example.com/',
      audiences: [API],
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
  return {
    secrets: secrets(),
    user: { user_id: 'auth0|42' },
    authorization: { roles: [] },
    connection: { id: 'con_Abc', name: CONNECTION, strategy: 'auth0' },
    resource_server: { identifier: API },
    ...overrides,
  };
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
});

test('the Management token is never left where another post-login Action can read it', async () => {
  // api.cache is "scoped to the Trigger in which they are set" (Auth0, post-login API object):
  // every Action bound to post-login shares it, and a token that may assign roles is not for them.
  const c = cache();
  assert.equal(await assignDefaultRole(event(), { cache: c }, readConfig(secrets())), 'assigned');
  assert.equal(c.store.size, 0);
  assert.ok(![...c.store.values()].some((v) => String(v.value).includes('mgmt-token')));
  // A token another Action planted under the old key is not used either.
  c.store.set('mcpauth-management-token', { value: 'planted-token' });
  calls = [];
  assert.equal(await assignDefaultRole(event(), { cache: c }, readConfig(secrets())), 'assigned');
  assert.equal(calls[1].init.headers.authorization, 'Bearer mgmt-token');
});

test('only a login through the managed connection, for one of the stack APIs, gets the role', async () => {
  const cfg = readConfig(secrets());
  const other = [
    ['other-connection', { connection: { id: 'con_G', name: 'google-oauth2', strategy: 'google-oauth2' } }],
    ['other-connection', { connection: undefined }],
    ['other-audience', { resource_server: { identifier: 'https://payroll.example.com/' } }],
    ['other-audience', { resource_server: undefined }], // an ID-token-only login to any application
  ];
  for (const [why, overrides] of other) {
    assert.equal(await assignDefaultRole(event(overrides), { cache: cache() }, cfg), why, JSON.stringify(overrides));
  }
  // An extra audience gets the claims, never the role: it is not one of the stack's APIs.
  const extra = 'https://other.example.com/mcp';
  const withExtra = secrets({ extraAudiences: [extra], claims: ['roles'] });
  const claims = {};
  const api = { cache: cache(), accessToken: { setCustomClaim: (k, v) => { claims[k] = v; } }, idToken: { setCustomClaim() {} } };
  await onExecutePostLogin(
    event({ secrets: withExtra, resource_server: { identifier: extra }, authorization: { roles: ['MCP Admin'] } }),
    api,
  );
  assert.deepEqual(claims, { 'https://mcp.example.com/roles': ['MCP Admin'] });
  await onExecutePostLogin(event({ secrets: withExtra, resource_server: { identifier: extra } }), api);
  // A config without the connection (an older program) assigns nothing.
  const noConnection = readConfig(secrets({ defaultRole: { id: ROLE.id, name: ROLE.name } }));
  assert.equal(await assignDefaultRole(event(), { cache: cache() }, noConnection), 'off');
  assert.equal(calls.length, 0);
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
