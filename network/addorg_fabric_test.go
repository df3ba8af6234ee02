//go:build fabric && addorg

package network_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/chaincode"
	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/internal/fabrictest"
	"github.com/efa-marktplatz/registry/network"
	"github.com/stretchr/testify/require"
)

// TestAddOrgJoinsTheChannel adds a fourth member org (KDO) to the running
// channel through a configuration update signed by the members' admins
// (registryctl network add-org runs the same), and shows it a member: its
// peer has the ledger, answers the registry chaincode, and endorses — a
// transaction that the new org's peer must endorse, with two others (the
// channel's MAJORITY of four), commits. It changes the network for good:
// make test-fabric runs it last.
func TestAddOrgJoinsTheChannel(t *testing.T) {
	fabrictest.Network(t) // running
	// The new org's chaincode servers are the repository's (make build).
	server, err := filepath.Abs(filepath.Join("..", "bin", "registry-chaincode"))
	require.NoError(t, err)
	require.FileExists(t, server, "make build puts the chaincode server there")
	cfg := fabrictest.NetworkConfig()
	cfg.ChaincodeServer = []string{server}
	n, err := network.New(cfg)
	require.NoError(t, err)
	kdo := network.Org{Name: "KDO", MSPID: "KDOMSP", Domain: "kdo.registry.test"}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	require.NoError(t, n.AddOrg(ctx, kdo))
	require.NoError(t, n.AddOrg(ctx, kdo), "again: nothing left to do")
	require.ErrorContains(t, n.AddOrg(ctx, network.Org{Name: "KDO2", MSPID: kdo.MSPID, Domain: "kdo2.registry.test"}), "has KDOMSP already")

	n, err = network.New(fabrictest.NetworkConfig())
	require.NoError(t, err)
	require.Contains(t, n.MemberOrgs(), kdo, "the network's directory records the org")
	for _, s := range n.Status() {
		require.NotZero(t, s.PID, "%s runs", s.Name)
	}
	require.Contains(t, n.RootFiles(), kdo.MSPID, "an auditor pins its root too")

	kv := fabrictest.Dial(t, n, kdo.MSPID, "User1", network.KVChaincode)
	orgs := []string{kdo.MSPID, network.Members[0].MSPID, network.Members[1].MSPID}
	_, err = kv.SubmitEndorsedBy(ctx, orgs, "Put", "kdo-joined", "ja")
	require.NoError(t, err, "endorsed by KDO, Dataport and AKDB")
	got, err := kv.Evaluate(ctx, "Get", "kdo-joined")
	require.NoError(t, err)
	require.Equal(t, "ja", string(got))

	registry := fabrictest.Client(t, n, kdo.MSPID, "User1", chaincode.Name)
	_, err = registry.Offerings(ctx, client.Filter{}, client.PageRequest{Size: 1})
	require.NoError(t, err, "KDO's peer serves the registry chaincode")
}
