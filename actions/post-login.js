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
 *   - elevated permissions by email domain need a verified email on exactly that domain.
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
      claims: new Set(list(cfg.claims).filter((c) => KNOWN_CLAIMS.includes(c))),
      adminEmailDomain:
        typeof cfg.adminEmailDomain === 'string' && cfg.adminEmailDomain
          ? cfg.adminEmailDomain.toLowerCase()
          : null,
      elevatedPermissions: list(cfg.elevatedPermissions),
      idToken: cfg.idToken === true,
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

exports.onExecutePostLogin = async (event, api) => {
  try {
    const cfg = readConfig(get(event, 'secrets'));
    if (!cfg) return;
    const audience = str(get(get(event, 'resource_server'), 'identifier'));
    const forOurApi = audience !== null && cfg.audiences.has(audience);
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
