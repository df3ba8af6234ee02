package proof_test

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The verifier runs in browsers too (cmd/verifier-wasm): it must depend
// neither on the embedded ledger's store (bbolt) nor on the chaincode shim,
// which do not build for js/wasm. It reads the ledger's blocks through
// package ledger/block.
func TestNoStoreOrShimDependency(t *testing.T) {
	for _, goos := range []string{"", "js"} {
		cmd := exec.Command("go", "list", "-deps", ".")
		if goos != "" {
			cmd.Env = append(cmd.Environ(), "GOOS=js", "GOARCH=wasm")
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		require.NoError(t, err, "go list -deps: %s", stderr.Bytes())
		deps := strings.Fields(string(out))
		require.Contains(t, deps, "github.com/efa-marktplatz/registry/ledger/block")
		for _, dep := range deps {
			require.NotEqual(t, "github.com/efa-marktplatz/registry/ledger", dep, "GOOS=%s", goos)
			require.False(t, strings.HasPrefix(dep, "go.etcd.io/bbolt"), "GOOS=%s: proof depends on %s", goos, dep)
			require.False(t, strings.HasPrefix(dep, "github.com/hyperledger/fabric-chaincode-go"), "GOOS=%s: proof depends on %s", goos, dep)
		}
	}
}
