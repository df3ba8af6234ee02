// harness.js loads verifier.wasm as a web page does — through Go's
// wasm_exec.js, without giving the Go program Node's fs or require, so it
// runs on wasm_exec.js's browser stand-ins — and calls efaVerify on cases.
//
// usage: node harness.js WASM_EXEC_JS VERIFIER_WASM CASES_JSON RESULTS_JSON
//
// CASES_JSON holds [{name, bundle, roots, repeat}]: bundle and roots are
// passed to efaVerify as they are, repeat times (default once).
// RESULTS_JSON receives {instantiateMs, results: [{name, result, thrown, ms}]}:
// result is what the first call returned (a JSON string), thrown what it
// threw, ms how long each call took.
"use strict";

const fs = require("fs");

const [wasmExec, wasmFile, casesFile, resultsFile] = process.argv.slice(2);
if (!resultsFile) {
	console.error("usage: node harness.js WASM_EXEC_JS VERIFIER_WASM CASES_JSON RESULTS_JSON");
	process.exit(2);
}
require(require("path").resolve(wasmExec)); // defines globalThis.Go

async function main() {
	const cases = JSON.parse(fs.readFileSync(casesFile, "utf8"));
	const go = new Go();
	const started = performance.now();
	const { instance } = await WebAssembly.instantiate(fs.readFileSync(wasmFile), go.importObject);
	const instantiateMs = performance.now() - started;
	go.run(instance); // main registers efaVerify and waits for calls; it never returns
	for (let i = 0; globalThis.efaVerifierReady !== true; i++) {
		if (i === 500) {
			throw new Error("the verifier did not set efaVerifierReady");
		}
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
	if (typeof globalThis.efaVerify !== "function") {
		throw new Error("the verifier did not register efaVerify");
	}
	const results = [];
	for (const c of cases) {
		const r = { name: c.name, ms: [] };
		for (let i = 0; i < (c.repeat || 1); i++) {
			const t0 = performance.now();
			try {
				const out = globalThis.efaVerify(c.bundle, c.roots);
				if (i === 0) {
					r.result = out;
				}
			} catch (err) {
				r.thrown = String(err);
				break;
			}
			r.ms.push(performance.now() - t0);
		}
		results.push(r);
	}
	fs.writeFileSync(resultsFile, JSON.stringify({ instantiateMs, results }));
}

main().then(
	() => process.exit(0),
	(err) => {
		console.error(err);
		process.exit(1);
	},
);
