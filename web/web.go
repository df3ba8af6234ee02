package web

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

//go:embed templates static
var assets embed.FS

// Config configures the pages.
type Config struct {
	// API is the REST API's handler. The pages read through it, and every
	// request that is not a page (/v1/…, /healthz, /openapi.json, …) goes to it.
	API http.Handler
	// Logger receives render failures (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock of the offering page's allocation years (default time.Now).
	Now func() time.Time
}

// Site is the pages in front of the REST API.
type Site struct {
	cfg    Config
	read   reader
	mux    *http.ServeMux
	pages  map[string]*template.Template
	static fs.FS

	offlineOnce sync.Once
	offline     []byte // the auditor's page as one self-contained file
	offlineErr  error
}

// pageNames are the templates rendered in the layout (templates/NAME.html).
var pageNames = []string{"catalogue", "offering", "agreement", "party", "auditor", "error"}

// New builds the pages in front of cfg.API.
func New(cfg Config) (*Site, error) {
	if cfg.API == nil {
		return nil, errors.New("web: no API handler")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	static, err := fs.Sub(assets, "static")
	if err != nil {
		return nil, fmt.Errorf("web: static assets: %w", err)
	}
	s := &Site{cfg: cfg, read: reader{api: cfg.API}, mux: http.NewServeMux(), pages: map[string]*template.Template{}, static: static}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		s.pages[name] = t
	}
	s.mux.HandleFunc("GET /{$}", s.catalogue)
	s.mux.HandleFunc("GET /angebote/{id}", s.offering)
	s.mux.HandleFunc("GET /vereinbarungen/{id}", s.agreement)
	s.mux.HandleFunc("GET /parteien/{id}", s.party)
	s.mux.HandleFunc("GET /pruefung", s.auditor)
	s.mux.HandleFunc("GET /pruefung/offline.html", s.auditorOffline)
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", s.staticHandler()))
	s.mux.Handle("/", cfg.API)
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// pageCSP is the pages' content security policy: nothing from elsewhere,
// no inline script; WebAssembly may be compiled (the verifier).
const pageCSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// render writes a page: the named template in the layout.
func (s *Site) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "render page", "page", name, "path", r.URL.Path, "err", err)
		http.Error(w, "Die Seite konnte nicht dargestellt werden.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorPage shows why a page cannot be shown, with the API's status.
type errorPage struct {
	Title   string
	Status  int
	Message string
	Field   string
}

func (s *Site) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	p := errorPage{Title: "Fehler", Status: status, Message: "Die Seite konnte nicht geladen werden."}
	var pe *problemError
	if errors.As(err, &pe) {
		p.Field = pe.Field
		if pe.Rule != "" {
			p.Message = pe.Rule
		} else if pe.Detail != "" {
			p.Message = pe.Detail
		}
	}
	switch status {
	case http.StatusNotFound:
		p.Title = "Nicht gefunden"
	case http.StatusBadRequest:
		p.Title = "Ungültige Anfrage"
	}
	if status >= 500 {
		s.cfg.Logger.ErrorContext(r.Context(), "page", "path", r.URL.Path, "err", err)
	}
	s.render(w, r, status, "error", p)
}

// staticHandler serves the embedded assets; they change only with the
// binary, so a browser revalidates them (no far-future caching of names
// without a content hash).
func (s *Site) staticHandler() http.Handler {
	files := http.FileServerFS(s.static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-cache")
		if r.URL.Path == "verifier.wasm" {
			w.Header().Add("Vary", "Accept-Encoding")
			if acceptsGzip(r) && s.serveWasmGzip(w, r) {
				return
			}
		}
		files.ServeHTTP(w, r)
	})
}
