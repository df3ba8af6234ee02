package ledger_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/ledger/ledgertest"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/stretchr/testify/require"
)

// openKV opens a ledger in dir running the KV test contract, closed when the test ends.
func openKV(t testing.TB, dir string, opts ledger.Options) *ledger.Ledger {
	t.Helper()
	l, err := openKVLedger(dir, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func openKVLedger(dir string, opts ledger.Options) (*ledger.Ledger, error) {
	cc, err := ledgertest.New()
	if err != nil {
		return nil, err
	}
	opts.Chaincodes = map[string]shim.Chaincode{ledgertest.Name: cc}
	return ledger.Open(dir, opts)
}

func args(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func jsonArg(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

type kvClient struct {
	t  testing.TB
	l  *ledger.Ledger
	id *ledger.Identity
}

func newClient(t testing.TB, l *ledger.Ledger) *kvClient {
	t.Helper()
	id, err := l.DefaultIdentity()
	require.NoError(t, err)
	return &kvClient{t: t, l: l, id: id}
}

func (c *kvClient) submit(fn string, a ...string) (*ledger.Commit, error) {
	return c.l.Submit(context.Background(), c.id, ledger.Proposal{Chaincode: ledgertest.Name, Function: fn, Args: args(a...)})
}

func (c *kvClient) mustSubmit(fn string, a ...string) *ledger.Commit {
	c.t.Helper()
	commit, err := c.submit(fn, a...)
	require.NoError(c.t, err, "%s%q", fn, a)
	return commit
}

func (c *kvClient) evaluate(fn string, a ...string) ([]byte, error) {
	return c.l.Evaluate(context.Background(), c.id, ledger.Proposal{Chaincode: ledgertest.Name, Function: fn, Args: args(a...)})
}

func (c *kvClient) get(key string) string {
	c.t.Helper()
	v, err := c.evaluate("Get", key)
	require.NoError(c.t, err)
	return string(v)
}

// query evaluates fn and decodes its JSON answer into out.
func (c *kvClient) query(out any, fn string, a ...string) {
	c.t.Helper()
	v, err := c.evaluate(fn, a...)
	require.NoError(c.t, err, "%s%q", fn, a)
	require.NoError(c.t, json.Unmarshal(v, out), "%s answered %s", fn, v)
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func removeFile(path string) error { return os.Remove(path) }
