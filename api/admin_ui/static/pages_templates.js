/* Templates: list and create; the draft editor with inline lint, live preview and publish. */
"use strict";

(() => {
  const { h } = LM;
  const enc = encodeURIComponent;

  async function templates(view, params, slug) {
    if (slug) return editor(view, slug);
    view.append(h("h1", {}, "Templates"));
    let data;
    try { data = await LM.get("/admin/api/templates?limit=200"); } catch (err) {
      if (err instanceof LM.ApiError && err.status === 404) { view.append(LM.unavailable("Templates")); return; }
      throw err;
    }
    view.append(createForm(), LM.table([["Slug", (t) => t.slug], ["Name", (t) => t.name], ["Kind", (t) => t.kind],
      ["Version", (t) => t.version || "draft"], ["Published", (t) => LM.fmtTime(t.publishedAt)]],
    data.templates, (t) => { location.hash = `#/templates/${enc(t.slug)}`; }));
  }

  function createForm() {
    const form = h("form", { class: "inline", id: "template-create", "aria-label": "New template", onsubmit: async (e) => {
      e.preventDefault();
      const q = LM.formData(e.target);
      try {
        await LM.post("/admin/api/templates", { slug: q.slug, name: q.name, kind: q.kind,
          ...(q.fromEmail ? { fromEmail: q.fromEmail } : {}) });
        location.hash = `#/templates/${enc(q.slug)}`;
      } catch (err) { LM.showError(err); }
    } }, LM.field("Slug", { name: "slug", required: true, pattern: "[a-z0-9][a-z0-9-]{0,59}" }),
    LM.field("Name", { name: "name", required: true }),
    LM.field("Kind", { name: "kind" }, "select", [["marketing", "marketing"], ["transactional", "transactional"]]),
    LM.field("From email", { name: "fromEmail", type: "email" }),
    h("button", { type: "submit", disabled: !LM.can("canPublish") }, "Create template"));
    return h("details", {}, h("summary", {}, "New template"), form);
  }

  function lintList(lint) {
    const items = [...(lint.errors || []), ...(lint.warnings || []), ...(lint.infos || [])];
    if (!items.length) return h("p", { class: "muted" }, "No lint findings.");
    return h("ul", { class: "lint" }, items.map((i) => h("li", { class: `lint-${i.severity}`, "data-rule": i.rule },
      h("strong", {}, `${i.severity}: ${i.rule}`), " — ", i.message, i.hint ? h("span", { class: "muted" }, ` (${i.hint})`) : null)));
  }

  async function editor(view, slug) {
    const t = await LM.get(`/admin/api/templates/${enc(slug)}`);
    const d = t.draft || {};
    const results = h("div", { id: "template-results", "aria-live": "polite" });
    const preview = h("iframe", { title: "Preview", sandbox: "", class: "preview", id: "template-preview" });
    const form = h("form", { id: "template-draft", "aria-label": "Draft" },
      LM.field("Subject", { name: "subject", value: d.subject || "" }),
      LM.field("Preheader", { name: "preheader", value: d.preheader || "" }),
      LM.field("Format", { name: "format" }, "select", [["mjml", "MJML"], ["html", "HTML"]]),
      LM.field("Body", { name: "body", rows: 14, class: "code" }, "textarea"));
    form.elements.format.value = d.format || "mjml";
    form.elements.body.value = (d.format === "html" ? d.html : d.mjml) || "";
    const fields = () => {
      const q = LM.formData(form);
      return { subject: q.subject, preheader: q.preheader, format: q.format, [q.format === "html" ? "html" : "mjml"]: q.body };
    };
    const run = async (label, call) => {
      try { LM.showError(null); results.replaceChildren(h("p", { class: "muted" }, `${label}…`)); await call(); } catch (err) {
        results.replaceChildren(h("p", { class: "gate" }, err instanceof LM.ApiError ? err.describe() : String(err)),
          err.body && err.body.lint ? lintList(err.body.lint) : "");
      }
    };
    const save = () => LM.api("PATCH", `/admin/api/templates/${enc(slug)}/draft`, fields());
    const buttons = h("div", { class: "toolbar" },
      h("button", { type: "button", class: "secondary", disabled: !LM.can("canPublish"),
        onclick: () => run("Saving", async () => { const r = await save(); results.replaceChildren(h("p", {}, `Draft saved (revision ${r.revision}).`)); }) }, "Save draft"),
      h("button", { type: "button", class: "secondary", onclick: () => run("Linting", async () => {
        results.replaceChildren(lintList(await LM.post(`/admin/api/templates/${enc(slug)}/lint`, fields())));
      }) }, "Lint"),
      h("button", { type: "button", class: "secondary", onclick: () => run("Rendering", async () => {
        const r = await LM.post(`/admin/api/templates/${enc(slug)}/preview`, { useDraft: true, ...bodyOnly(fields()) });
        preview.srcdoc = r.html; results.replaceChildren(h("p", {}, `Subject: ${r.subject}`));
      }) }, "Preview"),
      h("button", { type: "button", disabled: !LM.can("canPublish"), onclick: () => run("Publishing", async () => {
        await save();
        const r = await LM.post(`/admin/api/templates/${enc(slug)}/publish`, {});
        results.replaceChildren(h("p", { class: "published" }, `Published version ${r.version}.`), lintList(r.lint || {}));
      }) }, "Publish"));
    view.append(h("h1", {}, `Template ${t.slug}`),
      h("p", { class: "muted" }, `${t.kind} · from ${t.fromEmail || "(default)"} · version ${t.version || 0}`),
      form, buttons, results, h("h2", {}, "Preview"), preview);
  }

  function bodyOnly(f) {
    return f.format === "html" ? { html: f.html } : { mjml: f.mjml };
  }

  LM.page("templates", templates, { label: "Templates" });
})();
