package api

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"
)

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
		"path", clip(c.Request.URL.Path, maxLoggedRunes), "status", c.Writer.Status(), "durationMs", float64(time.Since(start).Microseconds()) / 1000,
		"client", c.ClientIP(),
	}
	if tx := c.GetString(txIDKey); tx != "" {
		attrs = append(attrs, "txId", tx)
	}
	level := slog.LevelInfo
	if err, ok := c.Get(errorKey); ok {
		attrs = append(attrs, "err", clip(fmt.Sprint(err), maxLoggedRunes))
		level = slog.LevelError
	}
	a.cfg.Logger.Log(c.Request.Context(), level, "request", attrs...)
}

// maxLoggedRunes bounds what the access log copies from a request.
const maxLoggedRunes = 1000

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

// requireJSON refuses an act or member call (a POST or PUT of a route)
// whose body is not declared application/json: 415, naming Content-Type.
// The media type is matched case-insensitively and may carry parameters;
// a charset, if named, must be UTF-8 (RFC 8259).
func (a *API) requireJSON(c *gin.Context) {
	m := c.Request.Method
	if (m == http.MethodPost || m == http.MethodPut) && c.FullPath() != "" {
		if p := jsonContentType(c.GetHeader("Content-Type")); p != nil {
			abort(c, p)
			return
		}
	}
	c.Next()
}

func jsonContentType(header string) *Problem {
	unsupported := func(rule string) *Problem {
		return newProblem(http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type", rule)
	}
	if strings.TrimSpace(header) == "" {
		return unsupported("is missing: acts and member calls take application/json")
	}
	mediaType, params, err := mime.ParseMediaType(header)
	if err != nil || mediaType != "application/json" {
		return unsupported("must be application/json")
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return unsupported("must name no charset but utf-8: JSON is UTF-8")
	}
	return nil
}

// member checks the member credential in constant time. The scheme is
// matched case-insensitively (RFC 7235): "bearer TOKEN" is "Bearer TOKEN".
func (a *API) member(c *gin.Context) bool {
	if a.cfg.AdminToken == "" || a.cfg.Admin == nil {
		return false
	}
	scheme, credentials, ok := strings.Cut(strings.TrimSpace(c.GetHeader("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimLeft(credentials, " ")))
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

func newRequestID() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Sprintf("req-%d", time.Now().UnixNano())
	}
	return hex.EncodeToString(b[:])
}
