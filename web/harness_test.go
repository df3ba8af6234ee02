package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/efa-marktplatz/registry/api"
	"github.com/efa-marktplatz/registry/chaincode"
	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/internal/embedded"
	"github.com/efa-marktplatz/registry/internal/fabrictest"
	"github.com/efa-marktplatz/registry/internal/scenario"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/network"
	"github.com/efa-marktplatz/registry/proof"
	"github.com/efa-marktplatz/registry/readmodel"
	"github.com/efa-marktplatz/registry/web"
	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"
)

const token = "test-member-token"

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	os.Exit(m.Run())
}

// site is registry-api's handler — the pages in front of the REST API —
// served over HTTP on 127.0.0.1, with a scenario builder that makes its
// data through the REST API as a portal does.
type site struct {
	url     string
	backend string
	b       *scenario.Builder
	// client and readModel are the API's (for the benchmarks, which seed
	// past the API); reg is the embedded registry, on that backend.
	client    *client.Client
	readModel *readmodel.Store
	reg       *embedded.Registry
	// roots is a directory of the roots an auditor pins for this registry
	// (MSPID.pem files, genesis.sha256 on Fabric), as registryctl writes them.
	roots string
}

// onEachBackend runs a test on the embedded ledger and, with -fabric DIR
// (internal/fabrictest), on the native Fabric network.
func onEachBackend(t *testing.T, test func(t *testing.T, s *site)) {
	t.Run("embedded", func(t *testing.T) { test(t, newEmbedded(t)) })
	if fabrictest.Enabled() {
		t.Run("fabric", func(t *testing.T) { test(t, newFabric(t)) })
	}
}

func newEmbedded(t testing.TB) *site {
	t.Helper()
	dir := t.TempDir()
	l, err := embedded.Open(dir, ledger.Options{MSPID: scenario.Dataport, NoSync: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	as := func(name string) *client.Client {
		c, err := l.Client(scenario.Dataport, name)
		require.NoError(t, err)
		return c
	}
	trust, err := proof.LoadRoots(filepath.Join(dir, "msp"))
	require.NoError(t, err)
	s := serve(t, "embedded", api.Config{Client: as("client"), Admin: as("admin"), Channel: l.ChannelID(), Trust: trust})
	s.reg = l
	return s
}

func newFabric(t testing.TB) *site {
	t.Helper()
	n, err := network.New(fabrictest.NetworkConfig())
	require.NoError(t, err)
	trust, err := proof.FabricTrust(n.RootFiles(), n.GenesisBlock())
	require.NoError(t, err)
	return serve(t, "fabric", api.Config{
		Client:  fabrictest.Client(t, n, scenario.Dataport, "User1", chaincode.Name),
		Admin:   fabrictest.Client(t, n, scenario.Dataport, "Admin", chaincode.Name),
		Channel: network.ChannelID, Trust: trust,
	})
}

// serve runs the read model, the REST API and the pages, as registry-api does.
func serve(t testing.TB, backend string, cfg api.Config) *site {
	t.Helper()
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	rm, stop, err := readmodel.Start(ctx, filepath.Join(t.TempDir(), "read-model.sqlite"), cfg.Client, quiet)
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, rm.Verify(ctx), "the read model is consistent at the end of the test")
		require.NoError(t, stop(), "the projection ran until the test ended")
	})
	cfg.ReadModel, cfg.AdminToken, cfg.Logger = rm, token, quiet
	cfg.ActsPerSecond, cfg.ActBurst = 1000, 1000
	a, err := api.New(cfg)
	require.NoError(t, err)
	pages, err := web.New(web.Config{API: a, Logger: quiet})
	require.NoError(t, err)
	srv := httptest.NewServer(pages) // on 127.0.0.1
	srv.Config.RegisterOnShutdown(a.Shutdown)
	t.Cleanup(srv.Close)
	roots := t.TempDir()
	require.NoError(t, cfg.Trust.WriteDir(roots))
	s := &site{url: srv.URL, backend: backend, roots: roots, client: cfg.Client, readModel: rm}
	s.b = scenario.New(&scenario.HTTP{URL: srv.URL, Token: token, ChannelID: cfg.Channel, Client: http.DefaultClient}, scenario.WithRandomSuffix())
	return s
}
