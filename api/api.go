// Package api is the registry's REST API for portals and auditors (Gin):
// the v1 contract of DESIGN.md §6. Acts are relayed, never performed: the
// body carries the acting party's EIP-712 message and signature, the API
// checks their form and recovers the signer for the record, and the
// chaincode decides. Reads page with limit and an opaque cursor. Every error
// is an RFC 9457 problem (application/problem+json) naming the field and the
// rule; statuses are mapped in one place (problemFor). No business rule
// lives here.
//
// On the embedded ledger, query answers are cached for as long as the
// ledger's height is unchanged (see readCache): a read after a commit is
// answered afresh, so the cache never serves stale state.
package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/proof"
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
)

func init() { gin.SetMode(gin.ReleaseMode) }

// Config configures the API.
type Config struct {
	// Client relays acts and reads as the member org's client identity.
	Client *client.Client
	// Admin runs member administration as the member org's admin identity.
	Admin *client.Client
	// Channel names the EIP-712 domain's salt.
	Channel string
	// Trust holds the root certificates /terms and /verification check
	// proof bundles against.
	Trust *proof.Trust
	// AdminToken authorizes member administration (Authorization: Bearer).
	// Empty disables member administration.
	AdminToken string
	// CORSOrigins are the portal origins allowed to call from a browser.
	CORSOrigins []string
	// ActsPerSecond and ActBurst limit acts per client address (default 20 and 40).
	ActsPerSecond float64
	ActBurst      int
	// MaxBodyBytes caps request bodies (default 1 MiB).
	MaxBodyBytes int64
	// Logger receives the access log (default slog.Default()).
	Logger *slog.Logger
}

// API is the REST API.
type API struct {
	cfg      Config
	engine   *gin.Engine
	metrics  *metrics
	registry *prometheus.Registry
	limiter  *limiter
	token    [32]byte
	doc      openAPIDoc
	cache    readCache
}

// New builds the API.
func New(cfg Config) (*API, error) {
	if cfg.Client == nil {
		return nil, errors.New("api: no client")
	}
	if cfg.ActsPerSecond <= 0 {
		cfg.ActsPerSecond = 20
	}
	if cfg.ActBurst <= 0 {
		cfg.ActBurst = 40
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	a := &API{cfg: cfg, registry: prometheus.NewRegistry(), limiter: newLimiter(cfg.ActsPerSecond, cfg.ActBurst)}
	if cfg.AdminToken != "" {
		a.token = sha256.Sum256([]byte(cfg.AdminToken))
	}
	var err error
	if a.metrics, err = newMetrics(a.registry); err != nil {
		return nil, err
	}
	a.engine = gin.New()
	a.engine.HandleMethodNotAllowed = true
	a.engine.Use(a.requestID, a.accessLog, a.recover, a.observe, a.cors, a.limitBody)
	a.engine.NoRoute(func(c *gin.Context) {
		abort(c, newProblem(http.StatusNotFound, "not_found", "", "no such resource: "+c.Request.URL.Path))
	})
	a.engine.NoMethod(func(c *gin.Context) {
		abort(c, newProblem(http.StatusMethodNotAllowed, "method_not_allowed", "", c.Request.Method+" is not allowed on "+c.Request.URL.Path))
	})
	a.routes()
	return a, nil
}

// ServeHTTP implements http.Handler.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.engine.ServeHTTP(w, r) }

// Routes returns the registered routes as METHOD and path (/v1/offerings/{id}).
func (a *API) Routes() [][2]string {
	var out [][2]string
	for _, r := range a.engine.Routes() {
		out = append(out, [2]string{r.Method, openAPIPath(r.Path)})
	}
	return out
}

// openAPIPath turns gin's :param into OpenAPI's {param}.
func openAPIPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, ":") {
			parts[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

// Context keys.
const (
	requestIDKey = "requestId"
	txIDKey      = "txId"
	errorKey     = "error"
)

// requestID accepts a sane X-Request-ID or issues one, and echoes it.
func (a *API) requestID(c *gin.Context) {
	id := c.GetHeader("X-Request-ID")
	if !validRequestID(id) {
		id = newRequestID()
	}
	c.Set(requestIDKey, id)
	c.Header("X-Request-ID", id)
	c.Next()
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:", r)) {
			return false
		}
	}
	return true
}

// accessLog writes one structured line per request, with the request id and
// the transaction id. Headers (the member token among them) are never logged.
func (a *API) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	attrs := []any{
		"requestId", c.GetString(requestIDKey), "method", c.Request.Method, "route", c.FullPath(),
		"path", c.Request.URL.Path, "status", c.Writer.Status(), "durationMs", float64(time.Since(start).Microseconds()) / 1000,
		"client", c.ClientIP(),
	}
	if tx := c.GetString(txIDKey); tx != "" {
		attrs = append(attrs, "txId", tx)
	}
	level := slog.LevelInfo
	if err, ok := c.Get(errorKey); ok {
		attrs = append(attrs, "err", fmt.Sprint(err))
		level = slog.LevelError
	}
	a.cfg.Logger.Log(c.Request.Context(), level, "request", attrs...)
}

// recover turns a panic into a 500 problem; no panic reaches a client raw.
func (a *API) recover(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			abort(c, fmt.Errorf("panic: %v", r))
		}
	}()
	c.Next()
}

// cors answers the configured portal origins, preflight included.
func (a *API) cors(c *gin.Context) {
	origin := c.GetHeader("Origin")
	allowed := false
	for _, o := range a.cfg.CORSOrigins {
		allowed = allowed || o == origin
	}
	if origin != "" && allowed {
		h := c.Writer.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
		h.Set("Access-Control-Expose-Headers", "X-Request-ID, Retry-After")
		if c.Request.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Content-Type, Authorization, X-Request-ID")
			h.Set("Access-Control-Max-Age", "600")
			c.AbortWithStatus(http.StatusNoContent)
			return
		}
	}
	c.Next()
}

// limitBody caps request bodies.
func (a *API) limitBody(c *gin.Context) {
	if c.Request.Body != nil {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, a.cfg.MaxBodyBytes)
	}
	c.Next()
}

// member checks the member credential in constant time.
func (a *API) member(c *gin.Context) bool {
	if a.cfg.AdminToken == "" || a.cfg.Admin == nil {
		return false
	}
	const prefix = "Bearer "
	h := c.GetHeader("Authorization")
	if !strings.HasPrefix(h, prefix) {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimPrefix(h, prefix)))
	return subtle.ConstantTimeCompare(got[:], a.token[:]) == 1
}

// requireMember rejects requests without the member credential.
func (a *API) requireMember(c *gin.Context) bool {
	if a.member(c) {
		return true
	}
	if c.GetHeader("Authorization") == "" {
		c.Header("WWW-Authenticate", `Bearer realm="registry member administration"`)
		abort(c, newProblem(http.StatusUnauthorized, "unauthorized", "Authorization", "member administration needs the member's bearer token"))
		return false
	}
	abort(c, newProblem(http.StatusForbidden, "forbidden", "Authorization", "the bearer token is not the member's"))
	return false
}

// limiter holds a token bucket per client address, for acts.
type limiter struct {
	mu      sync.Mutex
	perSec  rate.Limit
	burst   int
	buckets map[string]*bucket
}

type bucket struct {
	l    *rate.Limiter
	seen time.Time
}

func newLimiter(perSec float64, burst int) *limiter {
	return &limiter{perSec: rate.Limit(perSec), burst: burst, buckets: map[string]*bucket{}}
}

func (l *limiter) allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if len(l.buckets) > 10000 {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{l: rate.NewLimiter(l.perSec, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	return b.l.Allow()
}

// Ready reports whether the ledger answers.
func (a *API) Ready(ctx context.Context) error {
	_, err := a.cfg.Client.Height(ctx)
	return err
}

func newRequestID() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Sprintf("req-%d", time.Now().UnixNano())
	}
	return hex.EncodeToString(b[:])
}
