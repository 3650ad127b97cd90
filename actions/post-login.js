/**
 * mcpauth post-login Action: namespaced claims for MCP gateways.
 *
 * Deployed by the stack that owns the tenant (mcpauth:tenant.manage). Its configuration comes
 * from the Action secret MCPAUTH_CONFIG, a JSON document the Pulumi program generates from the
 * stack config; this file is never edited per environment.
 *
 * Rules this code keeps, whatever the event holds:
 *   - it never throws: a login must not fail because a claim is missing; it gets fewer claims;
 *   - every claim it sets is under the configured https namespace;
 *   - it only touches access tokens for the configured audiences (the stack's APIs), and ID
 *     tokens only when configured to;
 *   - elevated permissions by email domain need a verified email on exactly that domain;
 *   - with a default role configured, a user who holds no role gets it, through the Management
 *     API, with the credentials of a client that may do nothing else (create:role_members), read
 *     from Action secrets; only on a login through the connection the stack manages, for one of
 *     the MCP APIs (this stack's and its team stacks', never extraAudiences): the Action runs for
 *     every login on the tenant, to any application, through any connection. Auth0 resolves a
 *     login's roles and permissions before Actions run, so the role shows in the user's *next*
 *     token (signing in again, or a refresh).
 *   - the Management token is never cached: api.cache is shared by every Action on the trigger.
 */
'use strict';

const KNOWN_CLAIMS = ['department', 'org_id', 'org_name', 'roles'];

function readConfig(secrets) {
  try {
    const raw = secrets && typeof secrets.MCPAUTH_CONFIG === 'string' ? secrets.MCPAUTH_CONFIG : '';
    const cfg = raw ? JSON.parse(raw) : null;
    if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) return null;
    const ns = typeof cfg.namespace === 'string' ? cfg.namespace : '';
    if (!/^https:\/\/[^/?#\s]+(\/[^?#\s]*)?$/.test(ns)) return null;
    const list = (v) => (Array.isArray(v) ? v.filter((x) => typeof x === 'string' && x) : []);
    return {
      namespace: ns.endsWith('/') ? ns : ns + '/',
      audiences: new Set(list(cfg.audiences)),
      extraAudiences: new Set(list(cfg.extraAudiences)),
      claims: new Set(list(cfg.claims).filter((c) => KNOWN_CLAIMS.includes(c))),
      adminEmailDomain:
        typeof cfg.adminEmailDomain === 'string' && cfg.adminEmailDomain
          ? cfg.adminEmailDomain.toLowerCase()
          : null,
      elevatedPermissions: list(cfg.elevatedPermissions),
      idToken: cfg.idToken === true,
      defaultRole:
        cfg.defaultRole &&
        typeof cfg.defaultRole.id === 'string' &&
        /^rol_[A-Za-z0-9]+$/.test(cfg.defaultRole.id) &&
        str(cfg.defaultRole.connection)
          ? {
              id: cfg.defaultRole.id,
              name: String(cfg.defaultRole.name || cfg.defaultRole.id),
              connection: cfg.defaultRole.connection,
            }
          : null,
      managementDomain:
        typeof cfg.managementDomain === 'string' && /^[A-Za-z0-9.-]+$/.test(cfg.managementDomain)
          ? cfg.managementDomain
          : null,
    };
  } catch (_e) {
    return null;
  }
}

function str(v) {
  return typeof v === 'string' && v.length > 0 && v.length <= 1024 ? v : null;
}

function get(obj, key) {
  try {
    return obj && typeof obj === 'object' ? obj[key] : undefined;
  } catch (_e) {
    return undefined; // a getter that throws is a missing field
  }
}

function emailDomain(user) {
  const email = str(get(user, 'email'));
  if (!email) return null;
  const at = email.lastIndexOf('@');
  return at > 0 && at < email.length - 1 ? email.slice(at + 1).toLowerCase() : null;
}

/** The claims for this login, as [name-without-namespace, value] pairs. Pure: no api calls. */
function claimsFor(event, cfg) {
  const out = [];
  const user = get(event, 'user');
  if (cfg.claims.has('department')) {
    const dept = str(get(get(user, 'app_metadata'), 'department'));
    if (dept) out.push(['department', dept]);
  }
  const org = get(event, 'organization');
  if (cfg.claims.has('org_id')) {
    const id = str(get(org, 'id'));
    if (id) out.push(['org_id', id]);
  }
  if (cfg.claims.has('org_name')) {
    const name = str(get(org, 'name'));
    if (name) out.push(['org_name', name]);
  }
  if (cfg.claims.has('roles')) {
    const roles = get(get(event, 'authorization'), 'roles');
    if (Array.isArray(roles)) {
      const clean = roles.filter((r) => str(r));
      if (clean.length) out.push(['roles', clean]);
    }
  }
  if (
    cfg.adminEmailDomain &&
    cfg.elevatedPermissions.length &&
    get(user, 'email_verified') === true &&
    emailDomain(user) === cfg.adminEmailDomain
  ) {
    out.push(['elevated_permissions', cfg.elevatedPermissions.slice()]);
  }
  return out;
}

const TIMEOUT_MS = 5000; // a login waits at most this long for each Management API call

async function post(url, body, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  return fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(TIMEOUT_MS) });
}

/**
 * A Management API token for the assigner client, asked for each time and never cached: values in
 * api.cache "are scoped to the Trigger in which they are set" (Auth0 docs, Actions post-login API
 * object, api.cache.set), so every other post-login Action could read a cached token and assign
 * any role to any user. A user is assigned once, on a first login, so this costs one
 * client-credentials token per new user.
 */
async function managementToken(domain, clientId, clientSecret) {
  const res = await post(`https://${domain}/oauth/token`, {
    grant_type: 'client_credentials',
    client_id: clientId,
    client_secret: clientSecret,
    audience: `https://${domain}/api/v2/`,
  });
  if (!res.ok) return null;
  const body = await res.json();
  return str(get(body, 'access_token'));
}

/**
 * The default role for a user who holds none, signing in through the stack's connection to one
 * of its APIs. Returns what happened ('off', 'other-connection', 'other-audience', 'has-roles',
 * 'assigned', or why not), for the tests; never throws, never logs a secret.
 */
async function assignDefaultRole(event, _api, cfg) {
  if (!cfg.defaultRole || !cfg.managementDomain) return 'off';
  // event.connection.name: the connection the user signed in with (post-login event object).
  if (str(get(get(event, 'connection'), 'name')) !== cfg.defaultRole.connection) return 'other-connection';
  const audience = str(get(get(event, 'resource_server'), 'identifier'));
  if (audience === null || !cfg.audiences.has(audience)) return 'other-audience';
  const roles = get(get(event, 'authorization'), 'roles');
  if (!Array.isArray(roles) || roles.length > 0) return 'has-roles';
  const userId = str(get(get(event, 'user'), 'user_id'));
  if (!userId) return 'no-user';
  const secrets = get(event, 'secrets');
  const clientId = str(get(secrets, 'MCPAUTH_ASSIGNER_CLIENT_ID'));
  const clientSecret = str(get(secrets, 'MCPAUTH_ASSIGNER_CLIENT_SECRET'));
  if (!clientId || !clientSecret) return 'no-credentials';
  try {
    const token = await managementToken(cfg.managementDomain, clientId, clientSecret);
    if (!token) return 'no-token';
    // POST /api/v2/roles/{id}/users: "Assign users to a role", scope create:role_members.
    const url = `https://${cfg.managementDomain}/api/v2/roles/${encodeURIComponent(cfg.defaultRole.id)}/users`;
    const res = await post(url, { users: [userId] }, token);
    return res.ok ? 'assigned' : `http-${res.status}`;
  } catch (_e) {
    return 'unreachable';
  }
}
exports.assignDefaultRole = assignDefaultRole;
exports.readConfig = readConfig;

exports.onExecutePostLogin = async (event, api) => {
  try {
    const cfg = readConfig(get(event, 'secrets'));
    if (!cfg) return;
    await assignDefaultRole(event, api, cfg);
    const audience = str(get(get(event, 'resource_server'), 'identifier'));
    const forOurApi = audience !== null && (cfg.audiences.has(audience) || cfg.extraAudiences.has(audience));
    if (!forOurApi && !cfg.idToken) return;
    for (const [name, value] of claimsFor(event, cfg)) {
      const claim = cfg.namespace + name;
      if (forOurApi) api.accessToken.setCustomClaim(claim, value);
      if (cfg.idToken) api.idToken.setCustomClaim(claim, value);
    }
  } catch (_e) {
    // Never fail a login over claims: the token just carries fewer of them.
  }
};
