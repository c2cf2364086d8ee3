/* Flows: the list with live stats, one flow with pause/resume (optionally holding its runs),
   its steps, versions and runs (filter by status). */
"use strict";

(() => {
  const { h } = LM;
  const enc = encodeURIComponent;
  const STATUSES = ["", "active", "held", "completed", "exited", "failed"];

  function trigger(t) {
    if (!t) return "";
    if (t.type === "event") return `event ${t.eventName}${t.once ? " (once)" : ""}`;
    if (t.type === "segment_enter") return `segment enter, every ${t.scanMinutes} min`;
    return `cron ${t.cron} ${t.timezone || "UTC"}`;
  }

  async function flows(view, params, slug) {
    if (slug) return detail(view, slug);
    view.append(h("h1", {}, "Flows"));
    let data;
    try { data = await LM.get("/admin/api/flows?limit=200"); } catch (err) {
      if (err instanceof LM.ApiError && err.status === 404) { view.append(LM.unavailable("Flows")); return; }
      throw err;
    }
    view.append(h("div", { id: "flows-list" }, LM.table([
      ["Slug", (f) => f.slug], ["Name", (f) => f.name], ["Trigger", (f) => trigger(f.trigger)],
      ["Status", (f) => LM.status(f.enabled ? "enabled" : (f.version ? "paused" : "draft"))],
      ["Version", (f) => String(f.version || "draft")], ["Active runs", (f) => String(f.stats.activeRuns)],
      ["Completed", (f) => String(f.stats.completedRuns)], ["Sends (7 d)", (f) => String(f.stats.sendsLast7Days)]],
    data.flows, (f) => { location.hash = `#/flows/${enc(f.slug)}`; })));
  }

  function stepList(steps) {
    if (!steps || !steps.length) return h("p", { class: "muted" }, "No steps published.");
    const item = (s, path) => h("li", { "data-path": path }, h("code", {}, path), ` ${s.type}`,
      s.templateSlug ? ` ${s.templateSlug}` : "", s.type === "wait" ? ` ${s.value} ${s.unit}` : "",
      s.type === "branch" ? h("ul", {}, [...(s.ifTrue || []).map((x, i) => item(x, `${path}.t.${i}`)),
        ...(s.ifFalse || []).map((x, i) => item(x, `${path}.f.${i}`))]) : "");
    return h("ol", { id: "flow-steps", class: "steps" }, steps.map((s, i) => item(s, String(i))));
  }

  async function runsTable(slug, status) {
    const q = status ? `&status=${enc(status)}` : "";
    const data = await LM.get(`/admin/api/flows/${enc(slug)}/runs?limit=200${q}`);
    return h("div", { id: "flow-runs" }, LM.table([
      ["Contact", (r) => r.externalId], ["Status", (r) => LM.status(r.status)], ["Version", (r) => String(r.version)],
      ["At step", (r) => r.currentPath || ""], ["Waiting until", (r) => LM.fmtTime(r.waitingUntil)],
      ["Entered", (r) => LM.fmtTime(r.enteredAt)], ["Exit", (r) => r.exitReason || ""]], data.runs));
  }

  async function detail(view, slug) {
    const f = await LM.get(`/admin/api/flows/${enc(slug)}`);
    const result = h("p", { id: "flow-result", "aria-live": "polite" });
    const hold = h("input", { type: "checkbox", name: "holdRuns", id: "flow-hold" });
    const act = (verb, body) => async () => {
      try {
        LM.showError(null);
        const r = await LM.post(`/admin/api/flows/${enc(slug)}/${verb}`, body());
        result.textContent = r.changed ? `Flow ${verb === "pause" ? "paused" : "resumed"}.` : "Nothing changed.";
        view.replaceChildren();
        await detail(view, slug);
        view.querySelector("#flow-result").textContent = result.textContent;
      } catch (err) { LM.showError(err); }
    };
    const filter = LM.field("Runs", { name: "status", id: "flow-runs-status" }, "select",
      STATUSES.map((s) => [s, s || "all"]));
    filter.querySelector("select").onchange = async (e) => {
      view.querySelector("#flow-runs").replaceWith(await runsTable(slug, e.target.value));
    };
    const can = LM.can("canPublish");
    view.append(h("h1", {}, `Flow ${f.slug}`),
      h("p", { id: "flow-summary" }, `${f.name} · ${trigger(f.trigger)} · version ${f.version || 0} · `,
        LM.status(f.enabled ? "enabled" : (f.version ? "paused" : "draft")),
        f.holdRuns ? " · runs held" : "",
        ` · ${f.stats.activeRuns} active, ${f.stats.completedRuns} completed, ${f.stats.sendsTotal} sends`),
      h("div", { class: "toolbar" },
        h("button", { type: "button", id: "flow-pause", disabled: !can || (!f.enabled && f.holdRuns),
          onclick: act("pause", () => ({ holdRuns: hold.checked })) }, "Pause"),
        h("label", { class: "inline" }, hold, " hold runs"),
        h("button", { type: "button", id: "flow-resume", class: "secondary", disabled: !can || (f.enabled && !f.holdRuns),
          onclick: act("resume", () => ({})) }, "Resume")),
      result, h("h2", {}, "Steps"), stepList(f.steps), h("h2", {}, "Runs"), filter, await runsTable(slug, ""));
  }

  LM.page("flows", flows, LM.nav.some((n) => n.name === "flows") ? undefined : { label: "Flows" });
})();
