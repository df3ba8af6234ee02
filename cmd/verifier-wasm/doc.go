// Command verifier-wasm is the offline proof verifier — package proof, the
// same code as `registryctl verify` — compiled to WebAssembly, for auditors
// who verify a proof bundle in their browser: nothing leaves the page.
//
// Build it with `make wasm`, which writes web/static/verifier.wasm and copies
// Go's web/static/wasm_exec.js beside it, or by hand:
//
//	GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o verifier.wasm ./cmd/verifier-wasm
//
// Loaded with wasm_exec.js and run (new Go().run(instance)), it registers
//
//	globalThis.efaVerify(bundleJSON, roots) → string
//
// and then sets globalThis.efaVerifierReady to true. bundleJSON is the text
// of a proof bundle file (AGREEMENT.proof.json); roots is an array of
// {name, content} objects, the files of a roots directory as
// `registryctl verify --roots` reads them: name "MSPID.pem", "MSPID/ca.pem"
// or "genesis.sha256", content the file's text. The result is JSON:
//
//	{"report": <proof.Report>}                  the bundle was verified; report.ok says whether it holds
//	{"report": null, "error": "<why>"}          the bundle or the roots could not be read
//
// Verification runs synchronously, on the calling thread.
//
// Built for any other platform, the command only says how to build it.
package main
