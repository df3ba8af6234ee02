// Package fabrictest gives the Fabric tests of several packages their
// network: the running native network make test-fabric brought up, and
// clients of its gateways.
package fabrictest

import (
	"testing"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/network"
	"github.com/stretchr/testify/require"
)

// Network is the native network in dir (from -fabric DIR); every node must be
// running.
func Network(t testing.TB, dir string, basePort int) *network.Network {
	t.Helper()
	require.NotEmpty(t, dir, "the fabric tests need -fabric DIR: the directory of a running network")
	n, err := network.New(network.Config{Dir: dir, BasePort: basePort})
	require.NoError(t, err)
	for _, s := range n.Status() {
		require.NotZero(t, s.PID, "%s is not running", s.Name)
	}
	return n
}

// Dial connects to an org's peer as one of its users, for a chaincode; the
// connection closes when the test ends.
func Dial(t testing.TB, n *network.Network, mspID, user, chaincodeName string) *client.Fabric {
	t.Helper()
	cfg, err := n.Gateway(mspID, user, chaincodeName)
	require.NoError(t, err)
	b, err := client.DialFabric(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}
