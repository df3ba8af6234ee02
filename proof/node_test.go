package proof

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/ledger"
	"github.com/stretchr/testify/require"
)

// Only the node's certificate (OU peer) may sign the embedded ledger's
// blocks: a client or admin certificate of the same CA may not, and the
// node's must be valid over the bundle's blocks.
func TestNodeCertificate(t *testing.T) {
	dir := t.TempDir()
	l, err := ledger.Open(dir, ledger.Options{MSPID: "DataportMSP"})
	require.NoError(t, err)
	_, err = l.Identity("DataportMSP", "client")
	require.NoError(t, err)
	require.NoError(t, l.Close())
	trust, err := LoadRoots(filepath.Join(dir, "msp"))
	require.NoError(t, err)
	read := func(name string) []byte {
		raw, err := os.ReadFile(filepath.Join(dir, "msp", "DataportMSP", name))
		require.NoError(t, err)
		return raw
	}
	now := time.Now()
	for _, tc := range []struct {
		name        string
		pem         []byte
		first, last time.Time
		error       string
	}{
		{"the node", read("node.pem"), now, now, ""},
		{"a client of the same CA", read("client.pem"), now, now, "OU peer is required"},
		{"an admin of the same CA", read("admin.pem"), now, now, "OU peer is required"},
		{"the node, blocks after it expired", read("node.pem"), now, now.AddDate(100, 0, 0), "not valid at the last block's time"},
		{"the node, blocks before it was issued", read("node.pem"), now.AddDate(-100, 0, 0), now, "chains to none of the supplied roots"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, msp, err := nodeCertificate(tc.pem, trust, tc.first, tc.last)
			if tc.error == "" {
				require.NoError(t, err)
				require.Equal(t, "DataportMSP", msp)
				return
			}
			require.ErrorContains(t, err, tc.error)
		})
	}
}
