// Package web serves the registry's pages for people at / : the catalogue,
// offerings, agreements with their signed acts and invoices, parties, and
// the auditor's page that verifies a proof bundle in the browser.
//
// The pages are rendered on the server with html/template from assets
// embedded in the binary (no CDN). They hold no business rule: every page
// reads through the REST API's own handlers, in process (see reader), so a
// page shows exactly what a portal reads, filtered, validated and refused
// by the same code. German is the pages' language.
//
// Two pages run JavaScript. The agreement page lets a customer or Anbieter
// sign an act with a browser wallet (EIP-1193, eth_signTypedData_v4): it
// fetches the typed data from /v1/eip712, shows in plain words the very
// message it passes to the wallet, and posts the act to the REST API, which
// recovers and checks the signer like any other act. The auditor's page
// runs the offline verifier compiled to WebAssembly (cmd/verifier-wasm):
// nothing is uploaded, and a saved copy (/pruefung/offline.html, one file)
// works without a network.
package web
