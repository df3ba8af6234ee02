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
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/proof"
	"github.com/efa-marktplatz/registry/readmodel"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/efa-marktplatz/registry/webhook"
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
)

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
	// TrustedProxies are the addresses or CIDR ranges of the reverse
	// proxies whose X-Forwarded-For and X-Real-IP name the client (for the
	// per-client act limit and the access log). Default none: the client is
	// the peer address, and forwarded headers are ignored.
	TrustedProxies []string
	// Health reports whether the ledger can still commit (the embedded
	// ledger: ledger.Healthy; nil: always). /healthz answers 503 once it
	// fails.
	Health func() error
	// ActsPerSecond and ActBurst limit acts per client address (default 20 and 40).
	ActsPerSecond float64
	ActBurst      int
	// MaxBodyBytes caps request bodies (default 1 MiB).
	MaxBodyBytes int64
	// ReadModel, when set, answers the reads and listings of parties,
	// offerings and agreements, serves the event feed (/v1/events), and is
	// waited for before an act answers. Something else runs its projection
	// (readmodel.Store.Project). Without it, reads go to the ledger and
	// there is no feed.
	ReadModel *readmodel.Store
	// Webhooks, when set, serves the member's webhook subscriptions
	// (/v1/webhooks); it runs apart (webhook.Service.Run).
	Webhooks *webhook.Service
	// Events tunes the event feed.
	Events EventsConfig
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
	table    []route       // built once in New
	signing  schema.EIP712 // what /v1/eip712 answers

	shutdown     chan struct{} // closed by Shutdown: event streams end
	shutdownOnce sync.Once
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
	if cfg.Events.Heartbeat <= 0 {
		cfg.Events.Heartbeat = defaultHeartbeat
	}
	if cfg.Events.MaxLag <= 0 {
		cfg.Events.MaxLag = defaultMaxLag
	}
	if cfg.Events.WriteTimeout <= 0 {
		cfg.Events.WriteTimeout = defaultWriteTimeout
	}
	a := &API{cfg: cfg, registry: prometheus.NewRegistry(), limiter: newLimiter(cfg.ActsPerSecond, cfg.ActBurst), shutdown: make(chan struct{})}
	if cfg.AdminToken != "" {
		a.token = sha256.Sum256([]byte(cfg.AdminToken))
	}
	var err error
	if a.metrics, err = newMetrics(a.registry); err != nil {
		return nil, err
	}
	if cfg.ReadModel != nil {
		cfg.ReadModel.ObserveLag(func(d time.Duration) { a.metrics.lag.Observe(d.Seconds()) })
	}
	a.engine = gin.New()
	a.engine.HandleMethodNotAllowed = true
	if err := a.engine.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		return nil, fmt.Errorf("api: trusted proxies: %w", err)
	}
	a.engine.Use(a.requestID, a.accessLog, a.recover, a.observe, a.cors, a.limitBody, a.requireJSON)
	a.engine.NoRoute(func(c *gin.Context) {
		abort(c, newProblem(http.StatusNotFound, "not_found", "", "no such resource: "+c.Request.URL.Path))
	})
	a.engine.NoMethod(func(c *gin.Context) {
		abort(c, newProblem(http.StatusMethodNotAllowed, "method_not_allowed", "", c.Request.Method+" is not allowed on "+c.Request.URL.Path))
	})
	a.table = a.routeTable()
	a.signing = signingMaterial(cfg.Channel, a.table)
	for _, r := range a.table {
		a.engine.Handle(r.method, r.path, r.handler)
	}
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

// healthy is nil while the process can serve, and a 503 problem once the
// ledger has stopped committing (Config.Health).
func (a *API) healthy() error {
	if a.cfg.Health == nil {
		return nil
	}
	if err := a.cfg.Health(); err != nil {
		p := newProblem(http.StatusServiceUnavailable, "unhealthy", "",
			"the ledger has stopped committing; this process must be restarted")
		return fmt.Errorf("%w: %w", p, err)
	}
	return nil
}

// Ready reports whether the ledger answers.
func (a *API) Ready(ctx context.Context) error {
	_, err := a.cfg.Client.Height(ctx)
	return err
}
