/**
 * The status page: asks whether it may read (`/v1/status/session`), asks for the token
 * when it may not (TCP without a session), then shows the daemon's state and keeps it
 * current from `/v1/status/events`. The token goes out once, in a POST body; after that
 * the browser's HttpOnly cookie carries the session, and writes carry the session's
 * CSRF value in a header, which no other site can read or set.
 */
import { $ } from "./dom.js";
import { renderChart } from "./chart.js";
import { recordsTable } from "./records.js";
import { renderHistory, renderKeys, renderUsage } from "./views.js";

const state = { csrf: null, events: null, timer: null, busy: false, again: false };

/** A request to the API; JSON or text back; a 401 means the session is gone. */
async function api(path, init = {}) {
  const headers = new Headers(init.headers);
  if (init.body !== undefined) headers.set("content-type", "application/json");
  if (state.csrf && init.method && init.method !== "GET") headers.set("x-strata-csrf", state.csrf);
  const res = await fetch(path, { ...init, headers, credentials: "same-origin" });
  const json = (res.headers.get("content-type") ?? "").startsWith("application/json");
  const body = json ? await res.json() : await res.text();
  if (res.status === 401) showLogin();
  if (!res.ok) throw new Error(body?.error?.message ?? `the daemon answered ${res.status}`);
  return body;
}

const records = recordsTable(api);

async function refresh() {
  try {
    const [status, samples, history, keys] = await Promise.all([
      api("/v1/status"), api("/v1/status/samples"), api("/v1/status/history?limit=100"), api("/v1/status/keys?limit=20"),
      records.load(),
    ]);
    renderUsage(status);
    renderChart($("#chart"), samples.samples);
    renderHistory(history.runs);
    renderKeys(keys);
    $("#updated").textContent = `Updated ${new Date().toLocaleTimeString()}`;
    $("#page-error").hidden = true;
  } catch (err) {
    $("#page-error").textContent = err.message;
    $("#page-error").hidden = false;
  }
}

/**
 * Changes in a burst (a prune removing hundreds of records) make one refresh; one that
 * comes while a refresh runs makes one more, a second after it, so a busy store costs
 * the daemon at most one round of reads a second per open page.
 */
function soon(delay = 200) {
  if (state.timer) return; // the refresh to come will see this change too
  if (state.busy) return void (state.again = true);
  state.timer = setTimeout(async () => {
    state.timer = null;
    state.busy = true;
    await refresh();
    state.busy = false;
    if (state.again) (state.again = false), soon(1000);
  }, delay);
}

function setLive(on) {
  $("#live").textContent = on ? "live" : "reconnecting…";
  $("#live").className = on ? "live on" : "live off";
}

function listen() {
  state.events?.close();
  const events = (state.events = new EventSource("/v1/status/events"));
  events.addEventListener("ready", () => (setLive(true), soon())); // after a reconnect, catch up
  events.addEventListener("change", () => soon());
  events.addEventListener("error", async () => {
    setLive(false);
    if (events.readyState !== EventSource.CLOSED) return; // the browser retries by itself
    // Refused (a 401 after the daemon restarted, say): ask again whether we may read.
    const session = await fetch("/v1/status/session").then((r) => r.json(), () => null);
    if (session && !session.authenticated) showLogin();
    else setTimeout(() => state.events === events && listen(), 2000);
  });
}

function showLogin() {
  state.events?.close();
  state.events = null;
  state.csrf = null;
  $("#dashboard").hidden = true;
  $("#logout").hidden = true;
  $("#live").hidden = true;
  $("#login").hidden = false;
  $("#token").focus();
}

function enter(session) {
  state.csrf = session.csrf ?? null;
  $("#login").hidden = true;
  $("#login-error").hidden = true;
  $("#dashboard").hidden = false;
  $("#live").hidden = false;
  $("#logout").hidden = session.via !== "session";
  setLive(false);
  listen();
  soon(0);
}

$("#login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const token = $("#token").value.trim();
  const res = await fetch("/v1/status/login", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token }), credentials: "same-origin",
  });
  const body = await res.json().catch(() => ({}));
  $("#token").value = "";
  if (!res.ok) {
    $("#login-error").textContent = `Not logged in: ${body.error?.message ?? res.status}.`;
    $("#login-error").hidden = false;
    return;
  }
  enter(body);
});

$("#logout").addEventListener("click", async () => {
  await api("/v1/status/logout", { method: "POST" }).catch(() => {});
  showLogin();
});

const session = await fetch("/v1/status/session", { credentials: "same-origin" }).then((r) => r.json());
if (session.authenticated) enter(session);
else showLogin();
