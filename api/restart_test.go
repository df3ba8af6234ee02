//go:build fabric && fabricrestart

package api_test

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/api"
	"github.com/efa-marktplatz/registry/internal/fabrictest"
	"github.com/efa-marktplatz/registry/network"
	"github.com/efa-marktplatz/registry/proof"
	"github.com/stretchr/testify/require"
)

// An honest bundle verifies after the whole network was stopped and started
// again: the blocks the peers serve afterwards are the same, and a bundle
// exported before the restart still verifies. It restarts the network, so
// make test-fabric runs it on its own, after the other Fabric tests.
func TestProofAfterNetworkRestart(t *testing.T) {
	// Restarting needs the chaincode server make test-fabric built.
	server, err := filepath.Abs(filepath.Join("..", "bin", "registry-chaincode"))
	require.NoError(t, err)
	require.FileExists(t, server, "build it first: go build -o bin/ ./cmd/...")
	cfg := fabrictest.NetworkConfig()
	cfg.ChaincodeServer = []string{server}
	n, err := network.New(cfg)
	require.NoError(t, err)
	h := newFabric(t, api.Config{})
	s := h.scenario()
	a := s.eightActs(h.id("restart"))

	export := func() *proof.Bundle {
		r := h.get(agreementPath(a.ID, "proof"))
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		b, err := proof.Read(bytes.NewReader(r.body))
		require.NoError(t, err)
		return b
	}
	before := export()
	report, _ := proof.Verify(before, h.trust)
	require.True(t, report.OK, "%+v", report.FirstFailure)

	require.NoError(t, n.Down())
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	require.NoError(t, n.Up(ctx))

	after := export() // through the same API and gateway connection
	report, _ = proof.Verify(after, h.trust)
	require.True(t, report.OK, "%+v", report.FirstFailure)
	require.Equal(t, before.Fabric.Blocks, after.Fabric.Blocks, "the peers serve the same blocks after the restart")
	report, _ = proof.Verify(before, h.trust)
	require.True(t, report.OK, "the bundle exported before the restart still verifies: %+v", report.FirstFailure)
}
