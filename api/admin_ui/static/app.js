/* The console shell: log in, tenant switcher, navigation and the hash router. */
"use strict";

(() => {
  const { h } = LM;
  let refreshTimer = null;
  let rendering = 0;  // a render that finishes after a newer one started is dropped
  const ORDER = ["dashboard", "messages", "contacts", "suppressions", "templates", "broadcasts", "flows",
    "health", "dnsbl", "dmarc", "postmaster", "hygiene", "audit", "accounts", "tenants"];

  /* Admin tokens may list tenants; a tenant or console key may not (403). */
  async function identify(token, actor) {
    LM.saveSession({ token, actor: actor || null, admin: false, tenant: null, tenants: [] });
    try {
      const data = await LM.get("/tenants");
      const tenants = data.tenants.map((t) => t.id);
      LM.saveSession({ ...LM.session, admin: true, tenants, tenant: tenants[0] || null });
    } catch (err) {
      if (!(err instanceof LM.ApiError) || err.status !== 403) throw err;
    }
    await loadMe();
  }

  async function loadMe() {
    LM.me = null;
    if (LM.session.admin && !LM.session.tenant) return;
    try { LM.me = await LM.get("/admin/api/me"); } catch (err) {
      if (err instanceof LM.ApiError && err.status === 401) throw err;
    }
    if (LM.me && !LM.session.admin) LM.saveSession({ ...LM.session, tenant: LM.me.tenantId });
  }

  LM.switchTenant = async (tenant) => {
    LM.saveSession({ ...LM.session, tenant });
    await loadMe();
    render();
  };

  function loginPage(view) {
    view.append(h("h1", {}, "Sign in"), h("form", { class: "login", id: "login", onsubmit: async (e) => {
      e.preventDefault();
      const q = LM.formData(e.target);
      try {
        await identify(q.token.trim(), q.actor.trim());
        LM.showError(null);
        location.hash = "#/dashboard";
      } catch (err) {
        sessionStorage.removeItem("lm.session");
        LM.session = null;
        LM.showError(err.status === 401 ? "That token was not accepted (unauthorized)." : err);
      }
    } }, LM.field("API token (admin, tenant or console key)", { name: "token", type: "password", required: true,
      autocomplete: "off" }),
    LM.field("Acting as (optional, admin: human:name)", { name: "actor", placeholder: "human:alice" }),
    h("p", { class: "muted" }, "The token stays in this browser tab's session only."),
    h("button", { type: "submit" }, "Sign in")));
  }

  function sessionBar() {
    const bar = document.getElementById("session");
    bar.replaceChildren();
    if (!LM.session) return;
    if (LM.session.admin) {
      const select = h("select", { id: "tenant-switcher", onchange: (e) => LM.switchTenant(e.target.value) },
        LM.session.tenants.map((t) => h("option", { value: t, selected: t === LM.session.tenant }, t)));
      bar.append(h("label", { class: "inline" }, "Tenant", select));
    } else {
      bar.append(h("span", { class: "muted" }, `tenant ${LM.session.tenant || ""}`));
    }
    if (LM.me) bar.append(h("span", { class: "muted", id: "actor" }, LM.me.actor));
    bar.append(h("button", { class: "secondary", onclick: LM.logout }, "Sign out"));
  }

  function navBar(current) {
    const nav = document.getElementById("nav");
    const rank = (item) => (ORDER.includes(item.name) ? ORDER.indexOf(item.name) : ORDER.length);
    nav.replaceChildren(...(LM.session ? [...LM.nav].sort((a, b) => rank(a) - rank(b)) : [])
      .filter((item) => !item.adminOnly || LM.session.admin)
      .map((item) => h("a", { href: `#/${item.name}`, "aria-current": item.name === current ? "page" : null }, item.label)));
  }

  LM.refreshIn = (ms) => {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(render, ms);
  };

  async function render() {
    clearTimeout(refreshTimer);
    const mine = ++rendering;
    const [path, query] = (location.hash.slice(2) || "dashboard").split("?");
    const [name, ...rest] = path.split("/");
    const fresh = h("div", { id: "view" });
    if (!LM.session && name !== "login") { location.hash = "#/login"; return; }
    sessionBar();
    navBar(name);
    try {
      if (name === "login") loginPage(fresh);
      else if (LM.session.admin && !LM.session.tenant && name !== "tenants") {
        fresh.append(h("h1", {}, "No tenant yet"), LM.unavailable("The console (create a tenant first)"));
      } else await (LM.pages[name] || LM.pages.dashboard)(fresh, new URLSearchParams(query || ""), ...rest.map(decodeURIComponent));
    } catch (err) {
      if (err instanceof LM.ApiError && err.status === 401) { LM.logout(); return; }
      if (mine === rendering) LM.showError(err);
    }
    if (mine !== rendering) return;
    document.getElementById("view").replaceWith(fresh);
  }

  window.addEventListener("hashchange", () => { LM.showError(null); render(); });
  LM.loadSession();
  if (LM.session) loadMe().then(render, render); else render();
})();
