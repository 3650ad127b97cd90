'use strict';
// The real Action file against event and api objects shaped like Auth0's post-login v3 ones.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { onExecutePostLogin } = require('./post-login.js');

const NS = 'https://mcp.example.com/';
const API = 'https://tools-dev-abc.gateway.bedrock-agentcore.us-east-1.amazonaws.com/mcp';

function config(overrides = {}) {
  return JSON.stringify({
    namespace: NS,
    audiences: [API],
    claims: ['department', 'org_id', 'org_name', 'roles'],
    adminEmailDomain: null,
    elevatedPermissions: ['admin'],
    idToken: false,
    ...overrides,
  });
}

function event(overrides = {}) {
  return {
    secrets: { MCPAUTH_CONFIG: config() },
    resource_server: { identifier: API },
    user: {
      user_id: 'auth0|123',
      email: 'ada@example.com',
      email_verified: true,
      app_metadata: { department: 'platform' },
      user_metadata: {},
    },
    organization: { id: 'org_abc', name: 'acme', display_name: 'Acme', metadata: {} },
    authorization: { roles: ['MCP User'] },
    client: { client_id: 'cid', name: 'Claude' },
    transaction: { requested_scopes: ['openid', 'read:tools'] },
    ...overrides,
  };
}

function recorder() {
  const access = {};
  const id = {};
  return {
    access,
    id,
    api: {
      accessToken: { setCustomClaim: (k, v) => { access[k] = v; } },
      idToken: { setCustomClaim: (k, v) => { id[k] = v; } },
    },
  };
}

async function run(ev) {
  const r = recorder();
  await onExecutePostLogin(ev, r.api);
  return r;
}

test('adds every configured claim under the namespace to access tokens for our API', async () => {
  const { access, id } = await run(event());
  assert.deepEqual(access, {
    [NS + 'department']: 'platform',
    [NS + 'org_id']: 'org_abc',
    [NS + 'org_name']: 'acme',
    [NS + 'roles']: ['MCP User'],
  });
  assert.deepEqual(id, {}, 'ID tokens are left alone unless configured');
});

test('only the claims the stack config lists', async () => {
  const ev = event({ secrets: { MCPAUTH_CONFIG: config({ claims: ['roles', 'not-a-claim'] }) } });
  assert.deepEqual((await run(ev)).access, { [NS + 'roles']: ['MCP User'] });
});

test('tokens for another audience are untouched', async () => {
  for (const rs of [{ identifier: 'https://other.example.com/api' }, undefined, null, { identifier: API + '/' }]) {
    const { access } = await run(event({ resource_server: rs }));
    assert.deepEqual(access, {}, JSON.stringify(rs));
  }
});

test('ID tokens get the claims only when configured', async () => {
  const ev = event({ secrets: { MCPAUTH_CONFIG: config({ idToken: true }) }, resource_server: undefined });
  const { access, id } = await run(ev);
  assert.deepEqual(access, {});
  assert.equal(id[NS + 'org_id'], 'org_abc');
});

test('missing fields give fewer claims, never an error', async () => {
  const cases = [
    { user: { email: 'a@b.c' } }, // no app_metadata
    { user: undefined },
    { user: { app_metadata: null } },
    { organization: undefined },
    { organization: { id: 42, name: ['x'] } }, // unexpected types
    { authorization: undefined },
    { authorization: { roles: 'MCP User' } },
    { authorization: { roles: [null, 7, 'MCP Admin'] } },
  ];
  for (const c of cases) {
    const { access } = await run(event(c));
    for (const k of Object.keys(access)) assert.ok(k.startsWith(NS), k);
  }
  assert.deepEqual((await run(event({ authorization: { roles: [null, 7, 'MCP Admin'] } }))).access[NS + 'roles'], [
    'MCP Admin',
  ]);
  assert.equal((await run(event({ organization: { id: 42 } }))).access[NS + 'org_id'], undefined);
});

test('no or broken configuration: nothing is set and nothing throws', async () => {
  for (const secrets of [undefined, {}, { MCPAUTH_CONFIG: '{not json' }, { MCPAUTH_CONFIG: '[]' },
    { MCPAUTH_CONFIG: config({ namespace: 'http://insecure.example.com/' }) },
    { MCPAUTH_CONFIG: config({ namespace: 42 }) }]) {
    const { access, id } = await run(event({ secrets }));
    assert.deepEqual([access, id], [{}, {}]);
  }
});

test('a namespace without a trailing slash still prefixes with one', async () => {
  const ev = event({ secrets: { MCPAUTH_CONFIG: config({ namespace: 'https://mcp.example.com' }) } });
  assert.ok(Object.keys((await run(ev)).access).every((k) => k.startsWith('https://mcp.example.com/')));
});

test('elevated permissions need a verified email on exactly the configured domain', async () => {
  const cfg = config({ adminEmailDomain: 'admin.example.com', elevatedPermissions: ['admin'] });
  const withUser = (user) => event({ secrets: { MCPAUTH_CONFIG: cfg }, user });
  const elevated = async (user) => (await run(withUser(user))).access[NS + 'elevated_permissions'];

  assert.deepEqual(await elevated({ email: 'root@admin.example.com', email_verified: true }), ['admin']);
  assert.deepEqual(await elevated({ email: 'Root@ADMIN.example.com', email_verified: true }), ['admin']);
  assert.equal(await elevated({ email: 'root@admin.example.com', email_verified: false }), undefined);
  assert.equal(await elevated({ email: 'root@admin.example.com' }), undefined);
  assert.equal(await elevated({ email: 'root@admin.example.com', email_verified: 'true' }), undefined);
  assert.equal(await elevated({ email: 'root@evil-admin.example.com', email_verified: true }), undefined);
  assert.equal(await elevated({ email: 'root@admin.example.com.evil.io', email_verified: true }), undefined);
  assert.equal(await elevated({ email_verified: true }), undefined);
  assert.equal(await elevated({ email: 'admin.example.com', email_verified: true }), undefined);
  // Off unless configured.
  const off = event({ user: { email: 'root@admin.example.com', email_verified: true } });
  assert.equal((await run(off)).access[NS + 'elevated_permissions'], undefined);
});

test('never sets the reserved or un-namespaced permissions claim', async () => {
  const cfg = config({ adminEmailDomain: 'admin.example.com' });
  const ev = event({ secrets: { MCPAUTH_CONFIG: cfg }, user: { email: 'a@admin.example.com', email_verified: true } });
  const { access } = await run(ev);
  assert.equal(access.permissions, undefined);
  assert.ok(Object.keys(access).every((k) => k.startsWith(NS)));
});

test('an api that throws does not fail the login', async () => {
  const api = {
    accessToken: { setCustomClaim: () => { throw new Error('reserved claim'); } },
    idToken: { setCustomClaim: () => {} },
  };
  await assert.doesNotReject(onExecutePostLogin(event(), api));
});

// --- property-based: whatever Auth0 hands us, no throw and nothing outside the namespace

const anything = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.string(),
  fc.integer(),
  fc.boolean(),
  fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null)), { maxLength: 4 }),
  fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer()), { maxKeys: 3 }),
);

const arbEvent = fc.record(
  {
    secrets: fc.oneof(
      fc.constant({ MCPAUTH_CONFIG: config({ adminEmailDomain: 'admin.example.com', idToken: true }) }),
      fc.constant({ MCPAUTH_CONFIG: config() }),
      fc.record({ MCPAUTH_CONFIG: fc.oneof(fc.string(), fc.json()) }),
      anything,
    ),
    resource_server: fc.oneof(fc.constant({ identifier: API }), fc.record({ identifier: anything }), anything),
    user: fc.oneof(
      fc.record(
        {
          email: fc.oneof(fc.emailAddress(), fc.constant('x@admin.example.com'), anything),
          email_verified: anything,
          app_metadata: fc.oneof(fc.record({ department: anything }), anything),
        },
        { requiredKeys: [] },
      ),
      anything,
    ),
    organization: fc.oneof(fc.record({ id: anything, name: anything }, { requiredKeys: [] }), anything),
    authorization: fc.oneof(fc.record({ roles: anything }, { requiredKeys: [] }), anything),
  },
  { requiredKeys: [] },
);

test('generated events never throw and never produce a claim outside the namespace', async () => {
  await fc.assert(
    fc.asyncProperty(arbEvent, async (ev) => {
      const r = recorder();
      await onExecutePostLogin(ev, r.api);
      for (const k of [...Object.keys(r.access), ...Object.keys(r.id)]) {
        if (!k.startsWith(NS)) return false;
      }
      return true;
    }),
    { numRuns: 2000 },
  );
});
