/* Broadcasts: the list, a create form with a segment, one broadcast with its live count,
   confirm (showing the recipient count), schedule, pause/resume/cancel and progress. */
"use strict";

(() => {
  const { h } = LM;
  const enc = encodeURIComponent;
  const url = (slug, verb) => `/admin/api/broadcasts/${enc(slug)}${verb ? `/${verb}` : ""}`;

  function progress(b) {
    const total = b.recipientCount || (b.confirmation && b.confirmation.confirmedCount) || 0;
    const done = b.stats ? b.stats.accepted : 0;
    return h("span", {}, h("progress", { max: String(total || 1), value: String(done) }), ` ${done} / ${total}`);
  }

  function createForm(view) {
    const form = h("form", { id: "broadcast-create", class: "card" },
      h("h2", {}, "New broadcast"),
      LM.field("Slug", { name: "slug", required: true, pattern: "[a-z0-9][a-z0-9-]{0,59}" }),
      LM.field("Name", { name: "name", required: true }),
      LM.field("Template", { name: "templateSlug", required: true }),
      LM.field("Segment (JSON)", { name: "segment", rows: 3, placeholder: '{"all": []}' }, "textarea"),
      LM.field("Recipient cap", { name: "recipientCap", type: "number", min: 1 }),
      LM.field("Rate per minute", { name: "ratePerMinute", type: "number", min: 1 }),
      h("button", { type: "submit", disabled: !LM.can("canSendBroadcasts") }, "Create"));
    form.onsubmit = async (e) => {
      e.preventDefault();
      const d = LM.formData(form);
      const body = { slug: d.slug, name: d.name, templateSlug: d.templateSlug };
      try {
        LM.showError(null);
        if (d.segment.trim()) body.segment = JSON.parse(d.segment);
        if (d.recipientCap) body.recipientCap = Number(d.recipientCap);
        if (d.ratePerMinute) body.ratePerMinute = Number(d.ratePerMinute);
        await LM.post("/admin/api/broadcasts", body);
        location.hash = `#/broadcasts/${enc(d.slug)}`;
      } catch (err) { LM.showError(err); }
    };
    view.append(form);
  }

  async function list(view) {
    view.append(h("h1", {}, "Broadcasts"));
    const data = await LM.get("/admin/api/broadcasts?limit=200");
    view.append(h("div", { id: "broadcasts-list" }, LM.table([
      ["Slug", (b) => b.slug], ["Name", (b) => b.name], ["Template", (b) => b.templateSlug],
      ["Status", (b) => LM.status(b.status)], ["Progress", progress],
      ["Created", (b) => LM.fmtTime(b.createdAt)]],
    data.broadcasts, (b) => { location.hash = `#/broadcasts/${enc(b.slug)}`; })));
    createForm(view);
  }

  function actions(view, b, result) {
    const can = LM.can("canSendBroadcasts");
    const run = (verb, body, said) => async () => {
      try {
        LM.showError(null);
        const r = await LM.post(url(b.slug, verb), body ? body() : {});
        const text = typeof said === "function" ? said(r) : said;
        view.replaceChildren();
        await detail(view, b.slug);
        view.querySelector("#broadcast-result").textContent = text;
      } catch (err) { LM.showError(err); }
    };
    const count = h("span", { id: "broadcast-count" });
    const when = h("input", { type: "datetime-local", id: "broadcast-when", "aria-label": "Send at (UTC)" });
    const bar = h("div", { class: "toolbar" });
    if (b.status === "draft") {
      const confirm = h("button", { type: "button", id: "broadcast-confirm", disabled: true }, "Confirm");
      bar.append(h("button", { type: "button", id: "broadcast-count-btn", class: "secondary", onclick: async () => {
        try {
          const c = await LM.post(url(b.slug, "count"), {});
          count.textContent = `${c.recipientCount} recipients (${c.matched} match, ${c.eligible} eligible)`;
          confirm.textContent = `Confirm ${c.recipientCount} recipients`;
          confirm.disabled = !can || c.recipientCount === 0;
          confirm.onclick = run("confirm", () => ({ confirmedCount: c.recipientCount }),
            (r) => `Confirmed ${r.recipientCount} recipients.`);
        } catch (err) { LM.showError(err); }
      } }, "Count recipients"), count, confirm);
      if (b.confirmation) {
        bar.append(when, h("button", { type: "button", id: "broadcast-schedule", disabled: !can,
          onclick: run("schedule", () => ({ scheduledAt: when.value ? new Date(`${when.value}Z`).toISOString()
            : new Date().toISOString() }), "Scheduled.") }, "Schedule"));
      }
    }
    if (b.status === "scheduled") bar.append(h("button", { type: "button", id: "broadcast-unschedule",
      disabled: !can, onclick: run("unschedule", null, "Back to draft.") }, "Unschedule"));
    if (b.status === "sending" || (b.status === "sent" && b.stats.total > b.stats.accepted + b.stats.cancelled)) {
      bar.append(h("button", { type: "button", id: "broadcast-pause", disabled: !can,
        onclick: run("pause", () => ({}), "Paused.") }, "Pause"));
    }
    if (b.status === "paused") bar.append(h("button", { type: "button", id: "broadcast-resume", disabled: !can,
      onclick: run("resume", () => ({}), "Resumed.") }, "Resume"));
    if (!["cancelled", "failed", "draft"].includes(b.status)) {
      bar.append(h("button", { type: "button", id: "broadcast-cancel", class: "danger", disabled: !can,
        onclick: run("cancel", null, (r) => `Cancelled ${r.cancelledSends} sends.`) }, "Cancel"));
    }
    return bar;
  }

  async function detail(view, slug) {
    const b = await LM.get(url(slug));
    const result = h("p", { id: "broadcast-result", "aria-live": "polite" });
    const s = b.stats;
    view.append(h("h1", {}, `Broadcast ${b.slug}`),
      h("p", { id: "broadcast-summary" }, `${b.name} · template ${b.templateSlug} · `, LM.status(b.status),
        b.pauseReason ? ` · paused: ${b.pauseReason.code} (${b.pauseReason.message})` : "",
        b.confirmation ? ` · confirmed ${b.confirmation.confirmedCount} by ${b.confirmation.confirmedBy}` : "",
        b.scheduledAt ? ` · at ${LM.fmtTime(b.scheduledAt)}` : ""),
      h("p", { id: "broadcast-progress" }, "Progress ", progress(b)),
      actions(view, b, result), result,
      h("h2", {}, "Stats"),
      h("p", { id: "broadcast-stats" }, Object.entries(s).map(([k, v]) => `${k} ${v}`).join(" · ")),
      h("h2", {}, "Segment"), h("pre", { id: "broadcast-segment" }, JSON.stringify(b.segment, null, 2)));
    if (b.status === "sending" || b.status === "scheduled") LM.refreshIn(3000);
  }

  async function broadcasts(view, params, slug) {
    if (slug) return detail(view, slug);
    return list(view);
  }

  LM.page("broadcasts", broadcasts, LM.nav.some((n) => n.name === "broadcasts") ? undefined : { label: "Broadcasts" });
})();
