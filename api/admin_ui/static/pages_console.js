/* Console pages: dashboard, contacts, suppressions, audit, and the sections still to come. */
"use strict";

(() => {
  const { h } = LM;
  const SCOPES = [["all", "all"], ["marketing", "marketing"], ["transactional", "transactional"]];
  const REASONS = ["manual", "unsubscribed", "hard_bounce", "complaint", "spam_trap", "role_account",
    "gdpr_forget"].map((r) => [r, r]);

  async function orUnavailable(path, what) {
    try { return await LM.get(path); } catch (err) {
      if (err instanceof LM.ApiError && err.status === 404 && err.body.error !== "not_found_tenant") return { unavailable: what };
      throw err;
    }
  }

  /* Hourly bars: sends (filled) and opens (outlined), index 23 = the last hour. */
  function hourlyChart(series) {
    const sends = series.sends || [], opens = series.opens || [];
    const top = Math.max(1, ...sends, ...opens), W = 480, H = 120, bar = W / 24;
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", `0 0 ${W} ${H + 16}`); svg.setAttribute("class", "chart");
    svg.setAttribute("role", "img"); svg.setAttribute("aria-label", "Sends and opens per hour, last 24 hours");
    const rect = (x, y, w, hgt, fill, stroke) => {
      const r = document.createElementNS(svg.namespaceURI, "rect");
      Object.entries({ x, y, width: w, height: hgt, fill, stroke: stroke || "none" })
        .forEach(([k, v]) => r.setAttribute(k, v));
      svg.append(r);
    };
    sends.forEach((n, i) => rect(i * bar + 2, H - (n / top) * H, bar - 4, (n / top) * H, "#1f5fbf"));
    opens.forEach((n, i) => rect(i * bar + 5, H - (n / top) * H, bar - 10, (n / top) * H, "none", "#1a7f37"));
    return svg;
  }

  async function dashboard(view) {
    view.append(h("h1", {}, "Dashboard"));
    const data = await orUnavailable("/admin/api/dashboard", "The dashboard");
    if (data.unavailable) { view.append(LM.unavailable(data.unavailable)); return; }
    const kpis = data.kpis || {};
    view.append(h("div", { class: "cards" }, Object.entries(kpis).map(([name, k]) => h("div", { class: "card" },
      h("div", { class: "muted" }, name),
      h("div", { class: "value" }, name === "sends" ? String(k.value ?? "–") : LM.pct(k.value)),
      h("div", { class: "delta" }, k.delta === null || k.delta === undefined ? "no previous window"
        : `${k.delta >= 0 ? "+" : ""}${name === "sends" ? LM.pct(k.delta) : (k.delta * 100).toFixed(1) + " pt"} vs previous`)))));
    if (data.series && data.series.hourly) view.append(h("h2", {}, "Last 24 hours"), hourlyChart(data.series.hourly));
    if (data.health) view.append(h("h2", {}, "Health"), h("p", {}, LM.status(data.health.status)));
    if (data.queue) view.append(h("h2", {}, "Queue"), LM.table([["In flight", (q) => q.inFlight],
      ["Delayed", (q) => q.delayed], ["Held", (q) => q.held], ["Provider OK", (q) => (q.providerOk === null || q.providerOk === undefined ? "–" : q.providerOk ? "yes" : "no")]], [data.queue]));
    view.append(h("h2", {}, "Recent sends"), LM.table([["To", (s) => s.email || s.to || ""],
      ["Status", (s) => LM.status(s.status)], ["Queued", (s) => LM.fmtTime(s.queuedAt)]], data.recentSends || []));
    view.append(h("h2", {}, "Recent audit"), auditTable(data.recentAudit || []));
  }

  async function contacts(view, params, externalId) {
    if (externalId) return contactDetail(view, params, externalId);
    view.append(h("h1", {}, "Contacts"), h("form", { class: "inline", role: "search", onsubmit: (e) => {
      e.preventDefault(); location.hash = `#/contacts?q=${encodeURIComponent(LM.formData(e.target).q || "")}`;
    } }, LM.field("Email starts with", { name: "q", value: params.get("q") || "" }),
    h("button", { type: "submit", class: "secondary" }, "Search")));
    const q = params.get("q");
    const data = await orUnavailable(`/admin/api/contacts?limit=50${q ? `&q=${encodeURIComponent(q)}` : ""}`, "Contacts");
    if (data.unavailable) { view.append(LM.unavailable(data.unavailable)); return; }
    view.append(LM.table([["External id", (c) => c.externalId], ["Email", (c) => c.email],
      ["Status", (c) => LM.status(c.subscription && c.subscription.status)], ["Tags", (c) => (c.tags || []).join(", ")],
      ["Created", (c) => LM.fmtTime(c.createdAt)]], data.contacts,
    (c) => { location.hash = `#/contacts/${encodeURIComponent(c.externalId)}`; }));
  }

  async function contactDetail(view, params, externalId) {
    const data = await LM.get(`/admin/api/contacts/${encodeURIComponent(externalId)}`);
    const c = data.contact || {};
    view.append(h("h1", {}, `Contact ${c.externalId || externalId}`),
      LM.table([["Field", (r) => r[0]], ["Value", (r) => r[1]]], [["Email", c.email], ["Tags", (c.tags || []).join(", ")],
        ["Subscription", (data.subscription || {}).status || "none"], ["Timezone", c.timezone || ""], ["Locale", c.locale || ""]]),
      h("h2", {}, "Recent events"), LM.table([["Name", (e) => e.name], ["At", (e) => LM.fmtTime(e.occurredAt)]], data.recentEvents || []),
      h("h2", {}, "Recent sends"), LM.table([["Send", (s) => s.sendId || s.id], ["Status", (s) => LM.status(s.status)]], data.recentSends || []),
      h("h2", {}, "Suppressions"), LM.table([["Scope", (s) => s.scope], ["Reason", (s) => s.reason]], data.suppressions || []));
  }

  async function suppressions(view) {
    const allowed = LM.can("canManageSuppressions");
    view.append(h("h1", {}, "Suppressions"));
    const add = h("form", { class: "inline", id: "suppression-add", "aria-label": "Add a suppression", onsubmit: async (e) => {
      e.preventDefault();
      const q = LM.formData(e.target);
      await act(() => LM.post("/admin/api/suppressions", { email: q.email, scope: q.scope, reason: q.reason,
        ...(q.notes ? { notes: q.notes } : {}) }));
    } }, LM.field("Email", { name: "email", type: "email", required: true }),
    LM.field("Scope", { name: "scope" }, "select", SCOPES), LM.field("Reason", { name: "reason" }, "select", REASONS),
    LM.field("Notes", { name: "notes" }), h("button", { type: "submit", disabled: !allowed }, "Add suppression"));
    view.append(add);
    const data = await orUnavailable("/admin/api/suppressions?limit=100", "Suppressions");
    if (data.unavailable) { view.append(LM.unavailable(data.unavailable)); return; }
    view.append(LM.table([["Email", (s) => s.email || `(hash ${String(s.emailHash || "").slice(0, 12)}…)`],
      ["Scope", (s) => s.scope], ["Reason", (s) => s.reason], ["Source", (s) => s.source || ""],
      ["Added", (s) => LM.fmtTime(s.addedAt)], ["", (s) => liftButton(s, allowed)]], data.suppressions));
  }

  function liftButton(s, allowed) {
    if (!s.email) return "";
    return h("button", { class: "secondary", disabled: !allowed, "aria-label": `Lift ${s.email} (${s.scope})`,
      onclick: async () => {
        const note = prompt(`Why lift ${s.email} (${s.scope})?`, "lifted from the console");
        if (note === null) return;
        const force = ["hard_bounce", "complaint", "gdpr_forget"].includes(s.reason);
        await act(() => LM.post("/admin/api/suppressions/lift", { email: s.email, scope: s.scope, note, force }));
      } }, "Lift");
  }

  async function act(call) {
    try { await call(); LM.showError(null); LM.refreshIn(0); } catch (err) { LM.showError(err); }
  }

  function auditTable(entries) {
    return LM.table([["When", (e) => LM.fmtTime(e.occurredAt)], ["Actor", (e) => e.actor], ["Action", (e) => e.action],
      ["Resource", (e) => (e.resource ? `${e.resource.type} ${e.resource.slug || e.resource.id || ""}` : "")],
      ["Change", (e) => e.diffSummary || ""]], entries);
  }

  async function audit(view) {
    view.append(h("h1", {}, "Audit log"));
    const data = await orUnavailable("/admin/api/audit?limit=100", "The audit log");
    view.append(data.unavailable ? LM.unavailable(data.unavailable) : auditTable(data.entries));
  }

  /* Sections whose API lands with later work: the first list in the answer, as a table. */
  function section(path, title) {
    return async (view) => {
      view.append(h("h1", {}, title));
      const data = await orUnavailable(path, title);
      if (data.unavailable) { view.append(LM.unavailable(title)); return; }
      const rows = Object.values(data).find(Array.isArray) || [];
      const keys = rows.length ? Object.keys(rows[0]).filter((k) => typeof rows[0][k] !== "object").slice(0, 6) : [];
      view.append(LM.table(keys.map((k) => [k, (r) => String(r[k] ?? "")]), rows));
    };
  }

  LM.page("dashboard", dashboard, { label: "Dashboard" });
  LM.page("contacts", contacts, { label: "Contacts" });
  LM.page("suppressions", suppressions, { label: "Suppressions" });
  for (const [name, path, title] of [["broadcasts", "/admin/api/broadcasts", "Broadcasts"], ["flows", "/admin/api/flows", "Flows"],
    ["health", "/admin/api/health", "Health"], ["dnsbl", "/admin/api/dnsbl", "DNSBL"],
    ["dmarc", "/admin/api/dmarc/domains", "DMARC"], ["postmaster", "/admin/api/postmaster", "Postmaster / SNDS"],
    ["hygiene", "/admin/api/hygiene", "List hygiene"]]) {
    LM.page(name, section(path, title), { label: title });
  }
  LM.page("audit", audit, { label: "Audit log" });
})();
