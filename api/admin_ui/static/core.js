/* The console's core: DOM building (no innerHTML with data), the API client, the session. */
"use strict";

const LM = { pages: {}, nav: [], session: null, me: null };

LM.h = function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "text") el.textContent = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
};

LM.loadSession = () => {
  const raw = sessionStorage.getItem("lm.session");  // the browser session only, never disk
  LM.session = raw ? JSON.parse(raw) : null;
};
LM.saveSession = (s) => { LM.session = s; sessionStorage.setItem("lm.session", JSON.stringify(s)); };
LM.logout = () => { sessionStorage.removeItem("lm.session"); LM.session = null; LM.me = null; location.hash = "#/login"; };

class ApiError extends Error {
  constructor(status, body) {
    const text = body && (body.message || body.error) ? `${body.message || body.error}` : `HTTP ${status}`;
    super(text);
    this.status = status; this.body = body || {};
  }
  describe() {
    const details = (this.body.details || []).map((d) => `${d.path || d.field || ""} ${d.message || ""}`.trim());
    const code = this.body.error ? ` (${this.body.error})` : "";
    return [this.message + code, ...details].join(" — ");
  }
}
LM.ApiError = ApiError;

/* Proxy routes name an admin's tenant with ?tenant_id=; console routes with X-Tenant-Id. */
LM.api = async function api(method, path, body, opts = {}) {
  const s = LM.session || {};
  const headers = { "X-API-Token": s.token || "" };
  let url = path;
  if (s.admin && s.tenant) {
    if (path.startsWith("/admin/api")) headers["X-Tenant-Id"] = s.tenant;
    else if (opts.tenantQuery) url += (url.includes("?") ? "&" : "?") + "tenant_id=" + encodeURIComponent(s.tenant);
  }
  if (s.actor && path.startsWith("/admin/api")) headers["X-Actor"] = s.actor;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = { error: "bad_response", message: text.slice(0, 200) }; }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
};
LM.get = (path, opts) => LM.api("GET", path, undefined, opts);
LM.post = (path, body, opts) => LM.api("POST", path, body, opts);

LM.showError = (err) => {
  const box = document.getElementById("alert");
  box.textContent = err ? (err instanceof ApiError ? err.describe() : String(err.message || err)) : "";
};

LM.can = (flag) => !LM.me || !LM.me.permissions || LM.me.permissions[flag] !== false;

LM.fmtTime = (v) => {
  if (v === null || v === undefined || v === "") return "";
  const d = typeof v === "number" ? new Date(v * 1000) : new Date(v);
  return isNaN(d) ? String(v) : d.toISOString().replace("T", " ").slice(0, 19);
};
LM.pct = (v) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(1)} %`);
LM.status = (s) => LM.h("span", { class: `status ${s || ""}` }, s || "");

/* A table of rows; columns are [heading, row => cell]. onRow makes rows links. */
LM.table = (columns, rows, onRow) => {
  const h = LM.h;
  if (!rows || !rows.length) return h("p", { class: "muted" }, "Nothing here yet.");
  const head = h("tr", {}, columns.map(([title]) => h("th", { scope: "col" }, title)));
  const body = rows.map((row) => h("tr", onRow ? { class: "link", tabindex: 0, onclick: () => onRow(row),
    onkeydown: (e) => { if (e.key === "Enter") onRow(row); } } : {},
  columns.map(([, cell]) => h("td", {}, cell(row)))));
  return h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, head), h("tbody", {}, body)));
};

/* A labelled field; `attrs.name` is the form key. */
LM.field = (label, attrs, kind = "input", options = []) => {
  const h = LM.h;
  const control = kind === "select"
    ? h("select", attrs, options.map(([value, text]) => h("option", { value }, text)))
    : h(kind, attrs);
  return h("label", {}, label, control);
};
LM.formData = (form) => Object.fromEntries(new FormData(form).entries());

/* A page registered under a hash route; `nav` puts it in the side bar. */
LM.page = (name, render, nav) => {
  LM.pages[name] = render;
  if (nav) LM.nav.push({ name, ...nav });
};

/* "Not in this version" for console sections whose API answers 404. */
LM.unavailable = (what) => LM.h("div", { class: "notice" },
  `${what} is not available in this version of ledgermail yet.`);
