// The auditor's page: runs the offline verifier (Go, compiled to
// WebAssembly) on a proof bundle and the roots the auditor trusts. Nothing
// leaves the browser: the files are read locally and handed to efaVerify.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const status = $("verify-status");
  const form = $("verify-form");
  if (!form) return;

  const say = (text) => { status.textContent = text; };

  // The verifier: from the inline copy (saved page) or from the server.
  async function instantiate(go) {
    if (typeof globalThis.efaVerifierWasm === "string") {
      const raw = atob(globalThis.efaVerifierWasm);
      const bytes = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
      return (await WebAssembly.instantiate(bytes, go.importObject)).instance;
    }
    const res = await fetch("/static/verifier.wasm");
    if (!res.ok) throw new Error("Prüfmodul nicht geladen: HTTP " + res.status);
    return (await WebAssembly.instantiateStreaming(res, go.importObject)).instance;
  }
  const began = performance.now();
  const ready = (async () => {
    const go = new Go();
    const instance = await instantiate(go);
    go.run(instance);
    for (let i = 0; i < 200 && !globalThis.efaVerifierReady; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    if (!globalThis.efaVerifierReady) throw new Error("Das Prüfmodul hat nicht gestartet.");
    const ms = Math.round(performance.now() - began);
    document.body.dataset.verifierLoadMs = String(ms);
    say(`Prüfmodul bereit (geladen in ${ms} ms). Wählen Sie Beweispaket und Wurzelzertifikate.`);
  })();
  ready.catch((e) => say("Fehler: " + e.message));

  // Files from the inputs, or dropped: .pem and genesis.sha256 are roots,
  // anything else the bundle.
  let dropped = null;
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    dropped = [...e.dataTransfer.files];
    drop.textContent = dropped.map((f) => f.name).join(", ");
    run().catch((err) => say("Fehler: " + err.message));
  });

  const isRoot = (f) => f.name.endsWith(".pem") || f.name === "genesis.sha256";
  async function files() {
    const all = dropped ?? [...$("bundle").files, ...$("roots").files];
    const roots = [], bundles = [];
    for (const f of all) (isRoot(f) ? roots : bundles).push(f);
    if (bundles.length !== 1) throw new Error("Bitte genau ein Beweispaket wählen.");
    if (roots.length === 0) throw new Error("Bitte die Wurzelzertifikate wählen, denen Sie vertrauen.");
    return {
      bundle: await bundles[0].text(),
      name: bundles[0].name,
      roots: await Promise.all(roots.map(async (f) => ({ name: f.name, content: await f.text() }))),
    };
  }

  async function run() {
    await ready;
    const input = await files();
    say("Prüfe " + input.name + " …");
    const t0 = performance.now();
    const out = JSON.parse(globalThis.efaVerify(input.bundle, input.roots));
    const ms = Math.round(performance.now() - t0);
    document.body.dataset.verifyMs = String(ms);
    show(input.name, out, ms);
  }

  function show(name, out, ms) {
    const result = $("verify-result"), verdict = $("verdict"), list = $("checks");
    list.replaceChildren();
    result.hidden = false;
    if (out.error) {
      verdict.className = "verdict fail";
      verdict.textContent = "Nicht lesbar: " + out.error;
      say("Prüfung von " + name + " nicht möglich.");
      verdict.focus?.();
      return;
    }
    const r = out.report;
    const first = r.firstFailure;
    let firstItem = null;
    for (const it of r.items) {
      const li = document.createElement("li");
      li.className = it.ok ? "ok" : "fail";
      const mark = document.createElement("span");
      mark.className = "mark";
      mark.textContent = it.ok ? "✓ bestanden" : "✗ nicht bestanden";
      const what = document.createElement("span");
      what.className = "what";
      what.textContent = `${it.check}: ${it.subject}`;
      li.append(mark, " ", what);
      if (it.detail) {
        const d = document.createElement("span");
        d.className = "detail";
        d.textContent = it.detail;
        li.append(" ", d);
      }
      if (!firstItem && first && !it.ok && it.check === first.check && it.subject === first.subject) {
        firstItem = li;
        li.classList.add("first-failure");
        li.id = "erstes-gebrochenes-glied";
        li.tabIndex = -1;
        const label = document.createElement("strong");
        label.textContent = "Erstes gebrochenes Glied: ";
        li.prepend(label);
      }
      list.append(li);
    }
    verdict.className = "verdict " + (r.ok ? "ok" : "fail");
    verdict.textContent = r.ok
      ? `Geprüft: alle ${r.items.length} Prüfungen bestanden (Vereinbarung ${r.agreement}, ${r.backend}, in ${ms} ms).`
      : `Nicht bestanden: ${first.check} von ${first.subject} hält nicht (${first.detail}).`;
    say(r.ok ? "Das Beweispaket ist gültig." : "Das Beweispaket ist NICHT gültig.");
    (firstItem ?? verdict).scrollIntoView?.({ block: "center" });
    firstItem?.focus();
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    dropped = null;
    run().catch((err) => say("Fehler: " + err.message));
  });
})();
