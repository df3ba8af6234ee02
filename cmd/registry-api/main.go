// Command registry-api serves the registry's REST API (DESIGN.md §6). By
// default it runs the embedded ledger in --data; with --backend fabric it
// connects to a Fabric network as one member org. Every flag can also be
// set by an environment variable: --data is REGISTRY_DATA, --admin-token is
// REGISTRY_ADMIN_TOKEN, and so on.
//
// With --demo, a new data directory gets the demo first, built aside and
// moved into place once complete (demo.Open): a first start killed while
// seeding is seeded afresh by the next. Once the embedded ledger has
// stopped committing (a failed write, e.g. a full disk), /healthz answers
// 503 and the process exits with status 1 shortly after, so that its
// supervisor restarts it and the restart reopens the ledger.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/efa-marktplatz/registry/api"
	"github.com/efa-marktplatz/registry/chaincode"
	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/internal/atomicfile"
	"github.com/efa-marktplatz/registry/internal/demo"
	"github.com/efa-marktplatz/registry/internal/embedded"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/network"
	"github.com/efa-marktplatz/registry/proof"
	"github.com/efa-marktplatz/registry/web"
	"github.com/gin-gonic/gin"
)

type config struct {
	backend, data, listen, member, adminToken, cors string
	trustedProxies                                  string
	demo                                            bool
	actsPerSecond                                   float64
	fabricNetwork, fabricOrg                        string
	fabricWithin                                    bool
	fabric                                          client.FabricConfig
	fabricAdminCert, fabricAdminKey, fabricAwait    string
	trustRoots                                      string
	pprofListen                                     string
	readModel                                       string
	rebuildReadModel, verifyReadModel               bool
}

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	slog.SetDefault(logger)
	gin.SetMode(gin.ReleaseMode) // the process's choice: no debug output from gin
	cfg, err := parse(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "registry-api:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := run(ctx, cfg, logger, nil); err != nil {
		logger.Error("registry-api failed", "err", err)
		os.Exit(1)
	}
}

// env returns the REGISTRY_ variable of a flag, or def.
func env(name, def string) string {
	if v, ok := os.LookupEnv("REGISTRY_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))); ok {
		return v
	}
	return def
}

func parse(args []string) (*config, error) {
	fs := flag.NewFlagSet("registry-api", flag.ContinueOnError)
	c := &config{}
	str := func(p *string, name, def, usage string) {
		fs.StringVar(p, name, env(name, def), usage+" ($REGISTRY_"+strings.ToUpper(strings.ReplaceAll(name, "-", "_"))+")")
	}
	str(&c.backend, "backend", "embedded", "ledger: embedded or fabric")
	str(&c.data, "data", "./data", "data directory of the embedded ledger (and the generated member token)")
	str(&c.listen, "listen", "127.0.0.1:8080", "address to serve on")
	str(&c.member, "member", "DataportMSP", "MSP id of the member org this instance runs as (embedded)")
	str(&c.adminToken, "admin-token", "", "bearer token of member administration (default: generated into DATA/admin-token)")
	str(&c.cors, "cors-origins", "", "comma-separated portal origins allowed by CORS")
	str(&c.trustedProxies, "trusted-proxies", "", "comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For names the client (default none: the peer is the client)")
	demoDefault, err := strconv.ParseBool(env("demo", "false"))
	if err != nil {
		return nil, fmt.Errorf("REGISTRY_DEMO: %w", err)
	}
	fs.BoolVar(&c.demo, "demo", demoDefault, "seed demo data into a new data directory on first start (embedded ledger only) ($REGISTRY_DEMO)")
	rate, err := strconv.ParseFloat(env("acts-per-second", "20"), 64)
	if err != nil {
		return nil, fmt.Errorf("REGISTRY_ACTS_PER_SECOND: %w", err)
	}
	fs.Float64Var(&c.actsPerSecond, "acts-per-second", rate, "acts per second and client address ($REGISTRY_ACTS_PER_SECOND)")
	str(&c.fabricNetwork, "fabric-network", "", "directory of a native network (registryctl network up): fills the fabric-* settings")
	str(&c.fabricOrg, "fabric-org", "DataportMSP", "member org to connect as, with --fabric-network")
	within, err := strconv.ParseBool(env("fabric-within", "false"))
	if err != nil {
		return nil, fmt.Errorf("REGISTRY_FABRIC_WITHIN: %w", err)
	}
	fs.BoolVar(&c.fabricWithin, "fabric-within", within, "with --fabric-network of a network in containers: this process runs in a container beside them and reaches the peers by host name ($REGISTRY_FABRIC_WITHIN)")
	str(&c.fabric.Endpoint, "fabric-endpoint", "", "peer gateway host:port")
	str(&c.fabric.TLSRootCert, "fabric-tls-ca", "", "PEM file of the peer's TLS CA")
	str(&c.fabric.MSPID, "fabric-msp", "", "MSP id of the member org")
	str(&c.fabric.Certificate, "fabric-cert", "", "client identity certificate (PEM)")
	str(&c.fabric.PrivateKey, "fabric-key", "", "client identity key (PEM file or directory)")
	str(&c.fabricAdminCert, "fabric-admin-cert", "", "admin identity certificate (PEM), for member administration")
	str(&c.fabricAdminKey, "fabric-admin-key", "", "admin identity key (PEM file or directory)")
	str(&c.fabric.Channel, "fabric-channel", network.ChannelID, "channel")
	str(&c.fabric.Chaincode, "fabric-chaincode", chaincode.Name, "chaincode name")
	str(&c.fabricAwait, "fabric-await", "", "comma-separated endpoint=tls-ca of further peers to await after each commit")
	str(&c.trustRoots, "trust-roots", "", "root certificates (MSPID.pem files) /terms and /verification check bundles against "+
		"(default: the embedded ledger's CAs, or the --fabric-network's orgs)")
	str(&c.pprofListen, "pprof-listen", "", "address to serve Go profiles (net/http/pprof) on, apart from the API; off by default")
	str(&c.readModel, "read-model", "", "SQLite file of the read model (default DATA/read-model.sqlite); built from the ledger when missing")
	fs.BoolVar(&c.rebuildReadModel, "rebuild-read-model", false, "remove the read model and rebuild it from the ledger before serving")
	fs.BoolVar(&c.verifyReadModel, "verify-read-model", false, "check every projected record against its event's hash and its acts before serving")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if c.backend != "embedded" && c.backend != "fabric" {
		return nil, fmt.Errorf("--backend must be embedded or fabric, not %q", c.backend)
	}
	if c.demo && c.backend != "embedded" {
		return nil, errors.New("--demo (or REGISTRY_DEMO) seeds the embedded ledger only and cannot be used with --backend fabric: drop it")
	}
	return c, nil
}

// backend is what the API runs on.
type backend struct {
	relay, admin *client.Client
	channel      string
	// health reports whether the ledger can still commit (embedded; nil on Fabric).
	health func() error
	close  func() error
}

// backends opens the client and admin clients of the configured ledger.
func backends(ctx context.Context, cfg *config, logger *slog.Logger) (*backend, error) {
	if cfg.backend == "embedded" {
		return embeddedBackend(ctx, cfg, logger)
	}
	return fabricBackend(cfg)
}

// embeddedBackend opens the embedded ledger in DATA/ledger; with --demo, a
// new data directory gets the demo first (see demo.Open).
func embeddedBackend(ctx context.Context, cfg *config, logger *slog.Logger) (*backend, error) {
	opts := ledger.Options{MSPID: cfg.member}
	var (
		l   *embedded.Registry
		err error
	)
	if cfg.demo {
		l, err = demo.Open(ctx, cfg.data, opts, logger)
	} else {
		l, err = embedded.Open(filepath.Join(cfg.data, "ledger"), opts)
	}
	if err != nil {
		return nil, err
	}
	b := &backend{channel: l.ChannelID(), health: l.Healthy, close: l.Close}
	if b.relay, err = l.Client(cfg.member, "client"); err == nil {
		b.admin, err = l.Client(cfg.member, "admin")
	}
	if err != nil {
		_ = l.Close()
		return nil, err
	}
	return b, nil
}

func fabricBackend(cfg *config) (*backend, error) {
	fc := cfg.fabric
	adminCfg := fc
	if cfg.fabricNetwork != "" {
		n, err := network.New(network.Config{Dir: cfg.fabricNetwork})
		if err != nil {
			return nil, err
		}
		gateway, peers := client.NetworkGateway, client.NetworkPeers
		if cfg.fabricWithin {
			gateway, peers = client.NetworkGatewayWithin, client.NetworkPeersWithin
		}
		user, err := gateway(n, cfg.fabricOrg, "User1", fc.Chaincode)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cfg.fabricNetwork, err)
		}
		fc.Endpoint, fc.TLSRootCert, fc.TLSServerName = user.Endpoint, user.TLSRootCert, user.TLSServerName
		fc.MSPID, fc.Certificate, fc.PrivateKey = user.MSPID, user.Certificate, user.PrivateKey
		fc.AwaitPeers = peers(n)
		adminGW, err := gateway(n, cfg.fabricOrg, "Admin", fc.Chaincode)
		if err != nil {
			return nil, err
		}
		adminCfg = fc
		adminCfg.Certificate, adminCfg.PrivateKey = adminGW.Certificate, adminGW.PrivateKey
	} else {
		for _, pair := range strings.Split(cfg.fabricAwait, ",") {
			if endpoint, ca, ok := strings.Cut(pair, "="); ok {
				fc.AwaitPeers = append(fc.AwaitPeers, client.FabricPeer{Endpoint: endpoint, TLSRootCert: ca})
			}
		}
		adminCfg = fc
		adminCfg.Certificate, adminCfg.PrivateKey = cfg.fabricAdminCert, cfg.fabricAdminKey
	}
	rb, err := client.DialFabric(fc)
	if err != nil {
		return nil, err
	}
	b := &backend{relay: client.New(rb), channel: fc.Channel}
	closers := []func() error{rb.Close}
	if adminCfg.Certificate != "" {
		ab, err := client.DialFabric(adminCfg)
		if err != nil {
			rb.Close()
			return nil, err
		}
		b.admin = client.New(ab)
		closers = append(closers, ab.Close)
	}
	b.close = func() error {
		var errs []error
		for _, c := range closers {
			errs = append(errs, c())
		}
		return errors.Join(errs...)
	}
	return b, nil
}

// trustedRoots returns the roots /terms and /verification verify against:
// --trust-roots, else the embedded ledger's CAs or the native network's orgs.
func trustedRoots(cfg *config) (*proof.Trust, error) {
	switch {
	case cfg.trustRoots != "":
		return proof.LoadRoots(cfg.trustRoots)
	case cfg.backend == "embedded":
		return proof.LoadRoots(filepath.Join(cfg.data, "ledger", "msp"))
	case cfg.fabricNetwork != "":
		n, err := network.New(network.Config{Dir: cfg.fabricNetwork})
		if err != nil {
			return nil, err
		}
		return proof.FabricTrust(n.RootFiles(), n.GenesisBlock())
	}
	return nil, nil
}

// adminToken returns the configured member token, or one generated once
// into DATA/admin-token (never logged).
func adminToken(cfg *config) (token, source string, err error) {
	if cfg.adminToken != "" {
		return cfg.adminToken, "configured", nil
	}
	path := filepath.Join(cfg.data, "admin-token")
	if raw, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(raw)), path, nil
	}
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", err
	}
	token = hex.EncodeToString(b[:])
	if err := os.MkdirAll(cfg.data, 0o700); err != nil {
		return "", "", err
	}
	if err := atomicfile.Write(path, []byte(token+"\n"), 0o600); err != nil {
		return "", "", err
	}
	return token, path, nil
}

// run serves until ctx ends; ready (tests) receives the bound address.
func run(ctx context.Context, cfg *config, logger *slog.Logger, ready chan<- string) error {
	began := time.Now()
	if cfg.pprofListen != "" {
		profCtx, stopProfiles := context.WithCancel(ctx)
		defer stopProfiles()
		if _, err := serveProfiles(profCtx, cfg.pprofListen, logger); err != nil {
			return err
		}
	}
	b, err := backends(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer func() {
		if err := b.close(); err != nil {
			logger.Error("closing the ledger", "err", err)
		}
	}()
	token, source, err := adminToken(cfg)
	if err != nil {
		return fmt.Errorf("member token: %w", err)
	}
	origins, proxies := list(cfg.cors), list(cfg.trustedProxies)
	trust, err := trustedRoots(cfg)
	if err != nil {
		return err
	}
	if trust == nil {
		logger.Warn("no root certificates configured: /terms and /verification report every bundle as unverified; set --trust-roots")
	}
	proj, err := startReadModel(ctx, cfg, b.relay, logger)
	if err != nil {
		return err
	}
	defer func() {
		if err := proj.stop(); err != nil {
			logger.Error("closing the read model", "err", err)
		}
	}()
	hooks, stopHooks, err := startWebhooks(ctx, cfg, proj.store, logger)
	if err != nil {
		return err
	}
	defer func() {
		if err := stopHooks(); err != nil {
			logger.Error("stopping the webhooks", "err", err)
		}
	}()
	a, err := api.New(api.Config{Client: b.relay, Admin: b.admin, Channel: b.channel, AdminToken: token, Trust: trust,
		CORSOrigins: origins, TrustedProxies: proxies, Health: b.health, ActsPerSecond: cfg.actsPerSecond, Logger: logger,
		ReadModel: proj.store, Webhooks: hooks})
	if err != nil {
		return err
	}
	site, err := web.New(web.Config{API: a, Logger: logger})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: site, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 90 * time.Second, IdleTimeout: 2 * time.Minute}
	srv.RegisterOnShutdown(a.Shutdown) // event streams end, with a final event
	logger.Info("registry-api serving", "address", "http://"+ln.Addr().String(), "backend", cfg.backend,
		"memberToken", source, "startup", time.Since(began).Round(time.Millisecond).String())
	if ready != nil {
		ready <- ln.Addr().String()
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	failed := make(chan error, 1)
	watchCtx, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	if b.health != nil {
		go watchHealth(watchCtx, b.health, failed)
	}
	var failure error
	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	case failure = <-failed:
		// The embedded ledger stops committing after a failed write (e.g. a
		// full disk) until it is reopened: exit, so that a supervisor
		// restarts the process, once /healthz has answered 503 for a moment.
		logger.Error("the ledger has stopped committing; registry-api exits so that its supervisor restarts it",
			"err", failure, "exitIn", failedExitDelay.String())
		select {
		case <-time.After(failedExitDelay):
		case <-ctx.Done():
		}
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return errors.Join(failure, fmt.Errorf("shutdown: %w", err))
	}
	if failure != nil {
		return fmt.Errorf("the ledger failed: %w", failure)
	}
	return nil
}

// failedExitDelay is how long registry-api keeps answering (/healthz with
// 503) after its ledger failed, before it exits.
const failedExitDelay = 2 * time.Second

// healthPoll is how often the ledger's health is checked.
const healthPoll = 250 * time.Millisecond

// watchHealth reports the first failure of health on failed.
func watchHealth(ctx context.Context, health func() error, failed chan<- error) {
	t := time.NewTicker(healthPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := health(); err != nil && !errors.Is(err, ledger.ErrClosed) {
				failed <- err
				return
			}
		}
	}
}

// list splits a comma-separated setting.
func list(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
