package web

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"
)

// The auditor's page runs the offline verifier, compiled to WebAssembly
// (cmd/verifier-wasm, built by `make build` into static/), in the browser.

type auditorPage struct {
	Title string
	// Offline is set in the self-contained copy: scripts and the verifier
	// inline, nothing fetched.
	Offline bool
	// Ready says whether this binary carries the verifier.
	Ready bool
	// Inline holds the offline copy's style, scripts and verifier.
	Inline inlineAssets
}

type inlineAssets struct {
	Style    template.CSS
	WasmExec template.JS
	Verify   template.JS
	Verifier template.JS // verifier.wasm in base64, as a JavaScript string literal
}

// verifierFiles are the generated files the auditor's page needs.
var verifierFiles = []string{"verifier.wasm", "wasm_exec.js"}

// verifierReady reports whether the verifier was built into the binary.
func (s *Site) verifierReady() bool {
	for _, f := range verifierFiles {
		if _, err := fs.Stat(s.static, f); err != nil {
			return false
		}
	}
	return true
}

func (s *Site) auditor(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "auditor", auditorPage{Title: "Prüfung im Browser", Ready: s.verifierReady()})
}

// offlineCSP allows the offline copy's inline style and scripts, and no
// connection at all: the page cannot upload what it verifies.
const offlineCSP = "default-src 'none'; script-src 'unsafe-inline' 'wasm-unsafe-eval'; style-src 'unsafe-inline'; img-src data:; " +
	"connect-src 'none'; base-uri 'none'; form-action 'none'"

// auditorOffline serves the auditor's page as one file, for an auditor to
// save and open without a network.
func (s *Site) auditorOffline(w http.ResponseWriter, r *http.Request) {
	s.offlineOnce.Do(func() { s.offline, s.offlineErr = s.buildOffline() })
	if s.offlineErr != nil {
		s.fail(w, r, s.offlineErr)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", offlineCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Disposition", `attachment; filename="efa-pruefung.html"`)
	_, _ = w.Write(s.offline)
}

func (s *Site) buildOffline() ([]byte, error) {
	if !s.verifierReady() {
		return nil, &problemError{Status: http.StatusServiceUnavailable,
			Detail: "Dieses Programm wurde ohne das Prüfmodul gebaut (make build baut es)."}
	}
	read := func(name string) ([]byte, error) {
		b, err := fs.ReadFile(s.static, name)
		if err != nil {
			return nil, fmt.Errorf("web: offline page: %w", err)
		}
		return b, nil
	}
	var files [4][]byte
	for i, name := range []string{"style.css", "wasm_exec.js", "verify.js", "verifier.wasm"} {
		b, err := read(name)
		if err != nil {
			return nil, err
		}
		files[i] = b
	}
	p := auditorPage{Title: "Prüfung im Browser", Offline: true, Ready: true, Inline: inlineAssets{
		Style: template.CSS(files[0]), WasmExec: template.JS(files[1]), Verify: template.JS(files[2]),
		Verifier: template.JS(`"` + base64.StdEncoding.EncodeToString(files[3]) + `"`),
	}}
	var buf bytes.Buffer
	if err := s.pages["auditor"].ExecuteTemplate(&buf, "layout", p); err != nil {
		return nil, fmt.Errorf("web: offline page: %w", err)
	}
	if buf.Len() == 0 {
		return nil, errors.New("web: offline page is empty")
	}
	return buf.Bytes(), nil
}

// acceptsGzip reports whether the request accepts a gzipped answer.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}

// serveWasmGzip serves the verifier gzipped — a quarter of its size, as
// `make build` compressed it (static/verifier.wasm.gz) — and reports whether
// it did (not when the build left it out).
func (s *Site) serveWasmGzip(w http.ResponseWriter, r *http.Request) bool {
	gz, err := fs.ReadFile(s.static, "verifier.wasm.gz")
	if err != nil {
		return false
	}
	h := w.Header()
	h.Set("Content-Type", "application/wasm")
	h.Set("Content-Encoding", "gzip")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(gz))
	return true
}
