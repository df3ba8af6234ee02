// The agreement page's wallet signing (EIP-1193, eth_signTypedData_v4).
// The page fills in the act's fields; this script adds a fresh nonce and a
// deadline, shows every field of the message in plain words, and signs
// exactly the text it showed — the typed data is serialised once and both
// the review and the wallet get that one string. The registry recovers the
// signer and decides; this script can act for no one.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const review = $("wallet-review"), summary = $("wallet-summary"), fields = $("wallet-fields"), status = $("wallet-status");
  if (!review) return;
  const say = (text) => { status.textContent = text; };

  let eip = null;
  async function signingMaterial() {
    if (!eip) {
      const res = await fetch("/v1/eip712");
      if (!res.ok) throw new Error("Signaturschema nicht geladen: HTTP " + res.status);
      eip = await res.json();
    }
    return eip;
  }

  // A nonce of 64 random bits, in decimal as the registry takes uint64.
  function nonce() {
    const b = new Uint32Array(2);
    crypto.getRandomValues(b);
    return ((BigInt(b[0]) << 32n) | BigInt(b[1])).toString();
  }

  const labels = {
    agreement: "Vereinbarung", party: "Partei", feeVersion: "Entgeltversion", termsHash: "Hash der Vertragsbedingungen",
    endDate: "Vertragsende", reason: "Grund", nonce: "Einmalwert (nonce)", deadline: "Gültig bis",
  };
  const deadlineText = (s) => new Date(Number(s) * 1000).toLocaleString("de-DE");

  function sentence(type, m, who) {
    switch (type) {
      case "ApproveFees":
        return `Sie bestätigen als ${who} die Entgelte der Version ${m.feeVersion} der Vereinbarung ${m.agreement} zu den Vertragsbedingungen ${m.termsHash}.`;
      case "PlaceOrder":
        return `Sie bestellen als ${who} verbindlich die Vereinbarung ${m.agreement} zu den Vertragsbedingungen ${m.termsHash}.`;
      case "Terminate":
        return `Sie kündigen als ${who} die Vereinbarung ${m.agreement} zum ${m.endDate}. Grund: ${m.reason}`;
      default:
        return `Sie signieren ${type}.`;
    }
  }

  let pending = null; // {type, payload, message}

  async function prepare(form) {
    const type = form.dataset.act;
    const material = await signingMaterial();
    if (!material.types[type]) throw new Error("Unbekannter Akt " + type);
    const message = { ...JSON.parse(form.dataset.message) };
    for (const input of form.querySelectorAll("input[name]")) message[input.name] = input.value;
    message.nonce = nonce();
    message.deadline = String(Math.floor(Date.now() / 1000) + 600);
    // The message in the order of its EIP-712 type.
    const ordered = {};
    for (const f of material.types[type]) {
      if (!(f.name in message)) throw new Error("Die Nachricht hat kein Feld " + f.name);
      ordered[f.name] = message[f.name];
    }
    const typed = {
      types: { EIP712Domain: material.types.EIP712Domain, [type]: material.types[type] },
      domain: material.domain, primaryType: type, message: ordered,
    };
    const payload = JSON.stringify(typed);
    // What is shown is read back from the one string the wallet will sign.
    const shown = JSON.parse(payload).message;
    const who = `${form.dataset.role} ${form.dataset.partyName}`;
    summary.textContent = sentence(type, shown, who);
    fields.replaceChildren();
    for (const [k, v] of Object.entries(shown)) {
      const dt = document.createElement("dt");
      dt.textContent = labels[k] ?? k;
      const dd = document.createElement("dd");
      dd.textContent = k === "deadline" ? `${deadlineText(v)} (${v})` : v;
      fields.append(dt, dd);
    }
    review.dataset.payload = payload;
    pending = { type, payload, message: shown };
    review.hidden = false;
    review.focus();
    say("Bitte prüfen Sie die Angaben und signieren Sie dann mit Ihrer Wallet.");
  }

  async function sign() {
    if (!pending) return;
    const { type, payload, message } = pending;
    const provider = globalThis.ethereum;
    if (!provider || typeof provider.request !== "function") {
      throw new Error("Keine Browser-Wallet gefunden (EIP-1193, window.ethereum).");
    }
    const accounts = await provider.request({ method: "eth_requestAccounts" });
    if (!accounts || accounts.length === 0) throw new Error("Die Wallet hat kein Konto freigegeben.");
    say("Warte auf die Signatur der Wallet …");
    const signature = await provider.request({ method: "eth_signTypedData_v4", params: [accounts[0], payload] });
    const ep = eip.endpoints[type];
    const path = ep.path.replace("{id}", ep.pathField ? encodeURIComponent(message[ep.pathField]) : "");
    say("Sende den signierten Akt an das Register …");
    const res = await fetch(path, {
      method: ep.method, headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ message, signature }),
    });
    const body = await res.json().catch(() => ({}));
    pending = null;
    review.hidden = true;
    if (!res.ok) {
      const field = body.field ? ` (Angabe ${body.field})` : "";
      status.dataset.outcome = "refused";
      say(`Das Register hat den Akt abgelehnt: ${body.detail ?? body.rule ?? body.title ?? res.status}${field}.`);
      return;
    }
    const receipt = body.act ?? body.receipt ?? {};
    status.dataset.outcome = "committed";
    status.dataset.txId = body.txId ?? receipt.txId ?? "";
    say(`Signiert und eingetragen${body.blockNumber ? " in Block " + body.blockNumber : ""}. Laden Sie die Seite neu, um den neuen Stand zu sehen.`);
  }

  const failed = (e) => { status.dataset.outcome = "error"; say("Fehler: " + e.message); };
  for (const form of document.querySelectorAll("form.act")) {
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      prepare(form).catch(failed);
    });
  }
  $("wallet-sign").addEventListener("click", () => sign().catch(failed));
  $("wallet-cancel").addEventListener("click", () => {
    pending = null;
    review.hidden = true;
    say("Abgebrochen: nichts wurde signiert.");
  });
})();
