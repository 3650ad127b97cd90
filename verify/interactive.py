"""The path an MCP client takes with a person at the keyboard, driven headless.

The MCP Python SDK's own OAuth client (`OAuthClientProvider`) does the protocol: protected
resource metadata from the gateway, the issuer's metadata, dynamic client registration, /authorize
with PKCE and `resource`, the code exchange, refresh. The only thing done here is what a person
does in the browser: fill in the login form (`username`, `password`) and accept the consent page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx2
from mcp.client.auth.oauth2 import OAuthClientProvider
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

REDIRECT_URI = "http://127.0.0.1:9/callback"  # never served: the redirect is read, not followed


class LoginError(Exception):
    """The login or consent page did not lead to a code."""


class MemoryStorage:
    """The SDK's TokenStorage, in memory."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


class _Forms(HTMLParser):
    """The forms on a page: action and their named inputs' values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "fields": {}})
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1]["fields"][a["name"]] = a.get("value", "")


def _form(page: str, url: str) -> tuple[str, dict[str, str]]:
    parser = _Forms()
    parser.feed(page)
    if not parser.forms:
        raise LoginError(f"no form at {url}: {page[:200]}")
    form = parser.forms[0]
    return urljoin(url, form["action"]), dict(form["fields"])


@dataclass
class Person:
    """What a person types and clicks."""

    username: str
    password: str
    accept: bool = True
    pages: list[str] = field(default_factory=list)  # the pages seen, for diagnosis

    async def authorize(self, url: str) -> AuthorizationCodeResult:
        async with httpx2.AsyncClient(timeout=10) as http:
            page = await http.get(url)
            self.pages.append(page.text)
            if page.status_code != 200:
                raise LoginError(f"/authorize answered {page.status_code}: {page.text[:300]}")
            action, fields = _form(page.text, str(page.url))
            answer = await http.post(action, data={**fields, "username": self.username, "password": self.password})
            self.pages.append(answer.text)
            if answer.status_code == 200 and "/authorize/consent" in answer.text:
                action, fields = _form(answer.text, str(answer.url))
                answer = await http.post(action, data={**fields, "decision": "accept" if self.accept else "deny"})
            if answer.status_code != 302:
                raise LoginError(f"login answered {answer.status_code}: {answer.text[:300]}")
            query = parse_qs(urlsplit(answer.headers["location"]).query)
            if "code" not in query:
                raise LoginError("the redirect carries no code: " + answer.headers["location"])
            return AuthorizationCodeResult(code=query["code"][0], state=query.get("state", [None])[0])


def provider_for(
    gateway_url: str,
    person: Person | BrowserPerson,
    storage: MemoryStorage,
    *,
    name: str = "mcpauth sandbox",
    client_metadata_url: str | None = None,
) -> Any:
    """The SDK's OAuth client with `person` at the login page. It registers itself by DCR, or, given
    `client_metadata_url` and an issuer that supports CIMD, uses that https URL as its client id."""
    result: dict[str, AuthorizationCodeResult] = {}

    async def redirect(url: str) -> None:
        result["code"] = await person.authorize(url)

    async def callback() -> AuthorizationCodeResult:
        return result.pop("code")

    metadata = OAuthClientMetadata(
        redirect_uris=[REDIRECT_URI],
        client_name=name,
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method="none",
    )
    return OAuthClientProvider(
        gateway_url, metadata, storage, redirect, callback, client_metadata_url=client_metadata_url
    )


async def list_tools(gateway_url: str, auth: Any) -> list[str]:
    """initialize and tools/list through the gateway, authenticated by `auth` (an httpx2 Auth)."""
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async with (
        httpx2.AsyncClient(auth=auth, timeout=10) as http,
        streamable_http_client(gateway_url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        return [t.name for t in (await session.list_tools()).tools]


CHROMIUM = "/usr/bin/chromium"  # Debian's package (`make browser`); Playwright drives it, downloads nothing


@dataclass
class BrowserPerson:
    """A person in a real headless Chromium: the pages are rendered and the form is typed into and
    submitted as a person would, whatever the page (the sandbox's form, or Auth0's Universal Login,
    which may ask for the username and the password on two pages). Driven by Playwright."""

    username: str
    password: str
    accept: bool = True
    executable: str = CHROMIUM
    pages: list[str] = field(default_factory=list)  # the URLs visited

    async def authorize(self, url: str) -> AuthorizationCodeResult:
        from playwright.async_api import async_playwright

        landed: dict[str, str] = {}
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=self.executable, headless=True, args=["--no-sandbox"])
            try:
                page = await browser.new_page()

                # The client's redirect URI is read from the request the browser makes, never served
                # (Playwright's route() does not see the target of a redirect; its request event does).
                prefix = REDIRECT_URI.rsplit("/", 1)[0] + "/"

                def seen(request: Any) -> None:
                    if request.url.startswith(prefix):
                        landed.setdefault("url", request.url)

                page.on("request", seen)
                await page.goto(url)
                for _ in range(6):
                    if "url" in landed:
                        break
                    self.pages.append(page.url)
                    username, password = page.locator("input[name=username]"), page.locator("input[name=password]")
                    if await username.count() and await username.first.is_visible():
                        await username.first.fill(self.username)
                    if await password.count() and await password.first.is_visible():
                        await password.first.fill(self.password)
                    decision = page.locator(f"button[value={'accept' if self.accept else 'deny'}]")
                    button = decision if await decision.count() else page.locator("button[type=submit]")
                    if not await button.count():
                        raise LoginError(f"nothing to submit at {page.url}: {(await page.content())[:300]}")
                    await button.first.click()
                    await page.wait_for_load_state()
            finally:
                await browser.close()
        if "url" not in landed:
            raise LoginError("the browser never reached the client's redirect URI: " + " → ".join(self.pages))
        query = parse_qs(urlsplit(landed["url"]).query)
        if "code" not in query:
            raise LoginError("the redirect carries no code: " + landed["url"])
        return AuthorizationCodeResult(code=query["code"][0], state=query.get("state", [None])[0])
