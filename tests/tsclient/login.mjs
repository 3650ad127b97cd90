// The MCP TypeScript SDK's OAuth client, end to end against a gateway of the sandbox
// (tests/e2e/test_tsclient.py). The SDK does the protocol: the gateway's 401 and its protected resource
// metadata, the issuer's discovery document, dynamic client registration, /authorize with PKCE and
// `resource`, the code exchange, then initialize and tools/list. This script only does what a
// person does in the browser: fill in the login form and accept the consent page.
//
// Usage: node login.mjs <gateway URL>, with MCPAUTH_TEST_USERNAME and MCPAUTH_TEST_PASSWORD in the
// environment. Prints one JSON line: the tools, the /authorize parameters, the token's claims.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";

const REDIRECT_URI = "http://127.0.0.1:9/callback"; // never served: the redirect is read, not followed

const [gatewayUrl] = process.argv.slice(2);
const username = process.env.MCPAUTH_TEST_USERNAME;
const password = process.env.MCPAUTH_TEST_PASSWORD;
if (!gatewayUrl || !username || !password) {
  console.error("usage: MCPAUTH_TEST_USERNAME=… MCPAUTH_TEST_PASSWORD=… node login.mjs <gateway URL>");
  process.exit(2);
}

// The first form on a page: its action, and its named inputs' values (quoted or not).
function form(page, base) {
  const open = page.match(/<form\b[^>]*>/i);
  if (!open) throw new Error(`no form at ${base}: ${page.slice(0, 200)}`);
  const attr = (tag, name) => {
    const m = tag.match(new RegExp(`\\b${name}=(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, "i"));
    return m ? (m[1] ?? m[2] ?? m[3]) : undefined;
  };
  const fields = {};
  for (const input of page.slice(open.index).matchAll(/<input\b[^>]*>/gi)) {
    const name = attr(input[0], "name");
    if (name) fields[name] = attr(input[0], "value") ?? "";
  }
  return { action: new URL(attr(open[0], "action") ?? "", base).toString(), fields };
}

async function post(url, data) {
  return fetch(url, { method: "POST", body: new URLSearchParams(data), redirect: "manual" });
}

// What a person does: log in, accept the consent page; the code from the redirect back.
async function logIn(authorizeUrl) {
  const page = await fetch(authorizeUrl, { redirect: "manual" });
  const text = await page.text();
  if (page.status !== 200) throw new Error(`/authorize answered ${page.status}: ${text.slice(0, 300)}`);
  let f = form(text, authorizeUrl);
  let answer = await post(f.action, { ...f.fields, username, password });
  if (answer.status === 200) {
    const consent = await answer.text();
    if (!consent.includes("/authorize/consent")) throw new Error(`login answered 200: ${consent.slice(0, 300)}`);
    f = form(consent, f.action);
    answer = await post(f.action, { ...f.fields, decision: "accept" });
  }
  const location = answer.headers.get("location") ?? "";
  const code = new URL(location, authorizeUrl).searchParams.get("code");
  if (answer.status !== 302 || !code) throw new Error(`no code: HTTP ${answer.status} ${location}`);
  return code;
}

const seen = { authorize: null, client: null, tokens: null, verifier: null, code: null };
const provider = {
  get redirectUrl() {
    return REDIRECT_URI;
  },
  get clientMetadata() {
    return {
      client_name: "mcpauth tsclient test",
      redirect_uris: [REDIRECT_URI],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  },
  clientInformation: () => seen.client ?? undefined,
  saveClientInformation: (info) => {
    seen.client = info;
  },
  tokens: () => seen.tokens ?? undefined,
  saveTokens: (tokens) => {
    seen.tokens = tokens;
  },
  redirectToAuthorization: async (url) => {
    seen.authorize = Object.fromEntries(url.searchParams);
    seen.code = await logIn(url.toString());
  },
  saveCodeVerifier: (verifier) => {
    seen.verifier = verifier;
  },
  codeVerifier: () => seen.verifier,
};

async function connect() {
  const client = new Client({ name: "mcpauth-tsclient", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(gatewayUrl), { authProvider: provider }));
  return client;
}

try {
  let client;
  try {
    client = await connect();
  } catch (e) {
    if (!(e instanceof UnauthorizedError) || !seen.code) throw e;
    // The SDK stops at the redirect; the code comes back as a browser's redirect would bring it.
    const transport = new StreamableHTTPClientTransport(new URL(gatewayUrl), { authProvider: provider });
    await transport.finishAuth(seen.code);
    client = await connect();
  }
  const tools = (await client.listTools()).tools.map((t) => t.name);
  await client.close();
  const payload = seen.tokens.access_token.split(".")[1];
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
  console.log(JSON.stringify({ tools, authorize: seen.authorize, client_id: seen.client?.client_id, claims }));
} catch (e) {
  console.error(`tsclient: ${e?.stack ?? e}`);
  process.exit(1);
}
