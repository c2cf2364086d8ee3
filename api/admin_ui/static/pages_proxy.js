/* Proxy pages: messages (list, queue, detail with the event timeline), tenants, accounts. */
"use strict";

(() => {
  const { h } = LM;
  const STATUSES = ["", "pending", "deferred", "sending", "sent", "error", "rejected", "cancelled"];

  async function messages(view, params, id) {
    if (id) return messageDetail(view, params, id);
    const filter = h("form", { class: "inline", "aria-label": "Filter messages", onsubmit: (e) => {
      e.preventDefault();
      const q = LM.formData(e.target);
      location.hash = `#/messages?status=${encodeURIComponent(q.status || "")}`;
    } }, LM.field("Status", { name: "status" }, "select", STATUSES.map((s) => [s, s || "any"])),
    h("button", { type: "submit", class: "secondary" }, "Filter"));
    filter.elements.status.value = params.get("status") || "";
    view.append(h("h1", {}, "Messages"), filter, await queueForm());
    const status = params.get("status");
    const data = await LM.get(`/messages?limit=100${status ? `&status=${encodeURIComponent(status)}` : ""}`,
      { tenantQuery: true });
    view.append(h("div", { id: "message-list" }, LM.table([
      ["Id", (m) => m.id], ["Status", (m) => LM.status(m.status)], ["To", (m) => (m.to || []).join(", ")],
      ["Subject", (m) => m.subject], ["Accepted", (m) => LM.fmtTime(m.accepted_ts)],
      ["Sent", (m) => LM.fmtTime(m.sent_ts)],
    ], data.messages, (m) => { location.hash = `#/messages/${encodeURIComponent(m.id)}`; })));
  }

  async function queueForm() {
    let accounts = [];
    try { accounts = (await LM.get("/accounts", { tenantQuery: true })).accounts || []; } catch (_) { /* none */ }
    const form = h("form", { class: "inline", id: "queue-form", "aria-label": "Queue a message", onsubmit: async (e) => {
      e.preventDefault();
      const q = LM.formData(e.target);
      const message = { id: q.id || `console-${Date.now()}`, account_id: q.account_id, from: q.from,
        to: [q.to], subject: q.subject, body: q.body };
      try {
        const result = await LM.post("/commands/add-messages", { messages: [message] }, { tenantQuery: true });
        if (result.rejected && result.rejected.length) throw new LM.ApiError(422, result.rejected[0]);
        LM.showError(null);
        location.hash = `#/messages/${encodeURIComponent(message.id)}`;
      } catch (err) { LM.showError(err); }
    } },
    LM.field("Account", { name: "account_id", required: true }, "select",
      accounts.map((a) => [a.id || a.account_id, a.id || a.account_id])),
    LM.field("Id", { name: "id", placeholder: "optional" }),
    LM.field("From", { name: "from", type: "email", required: true }),
    LM.field("To", { name: "to", type: "email", required: true }),
    LM.field("Subject", { name: "subject", required: true }),
    LM.field("Body", { name: "body", required: true }, "textarea"),
    h("button", { type: "submit" }, "Queue message"));
    return h("details", {}, h("summary", {}, "Queue a message"), form);
  }

  async function messageDetail(view, params, id) {
    const m = await LM.get(`/messages/${encodeURIComponent(id)}`, { tenantQuery: true });
    view.append(h("h1", {}, `Message ${m.id}`),
      h("p", {}, "Status: ", h("span", { id: "message-status" }, LM.status(m.status)),
        m.purged ? h("span", { class: "muted" }, " (purged from the lists; history from the event store)") : null),
      LM.table([["Field", (r) => r[0]], ["Value", (r) => r[1]]], [
        ["From", m.from], ["To", (m.to || []).join(", ")], ["Subject", m.subject],
        ["Message-ID", m.message_id], ["Account", m.account_id], ["Attempts", m.attempts],
        ["Error", m.error || ""], ["Accepted", LM.fmtTime(m.accepted_ts)], ["Sent", LM.fmtTime(m.sent_ts)],
      ]),
      h("h2", {}, "Timeline"),
      h("ol", { class: "timeline" }, (m.history || []).map((e) => h("li", {},
        h("strong", {}, e.type), " ", h("span", { class: "muted" }, LM.fmtTime(e.ts)),
        e.reported_ts ? h("span", { class: "muted" }, ` · reported ${LM.fmtTime(e.reported_ts)}`) : null,
        h("div", {}, h("code", {}, JSON.stringify(e.data)))))));
    if (!["sent", "error", "rejected", "cancelled"].includes(m.status)) LM.refreshIn(1500);
  }

  async function tenants(view) {
    view.append(h("h1", {}, "Tenants"));
    if (!LM.session.admin) { view.append(LM.unavailable("The tenant list (admin tokens only)")); return; }
    const data = await LM.get("/tenants");
    view.append(LM.table([
      ["Id", (t) => t.id], ["Name", (t) => t.name || ""], ["Active", (t) => (t.active ? "yes" : "no")],
      ["Client URL", (t) => t.client_base_url || ""],
    ], data.tenants, (t) => LM.switchTenant(t.id)));
  }

  async function accounts(view) {
    view.append(h("h1", {}, "SMTP accounts"));
    const data = await LM.get("/accounts", { tenantQuery: true });
    view.append(LM.table([
      ["Id", (a) => a.id || a.account_id], ["Host", (a) => `${a.host}:${a.port}`],
      ["TLS", (a) => (a.use_tls ? "yes" : "no")], ["Batch", (a) => a.batch_size],
      ["Concurrency", (a) => a.max_concurrency], ["Per minute", (a) => a.limit_per_minute ?? ""],
    ], data.accounts));
  }

  LM.page("messages", messages, { label: "Messages" });
  LM.page("accounts", accounts, { label: "SMTP accounts" });
  LM.page("tenants", tenants, { label: "Tenants", adminOnly: true });
})();
