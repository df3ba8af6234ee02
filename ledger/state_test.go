package ledger_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/ledger/ledgertest"
	"github.com/stretchr/testify/require"
)

func TestStateReadsAndWrites(t *testing.T) {
	l := openKV(t, t.TempDir(), ledger.Options{})
	c := newClient(t, l)

	c.mustSubmit("Put", "a", "1")
	c.mustSubmit("Put", "b", "2")
	c.mustSubmit("Put", "c", "3")

	tests := []struct {
		name  string
		act   func()
		check func(t *testing.T)
	}{
		{"get", nil, func(t *testing.T) { require.Equal(t, "1", c.get("a")) }},
		{"missing key reads empty", nil, func(t *testing.T) { require.Equal(t, "", c.get("nope")) }},
		{"get multiple", nil, func(t *testing.T) {
			var vs []string
			c.query(&vs, "GetMany", jsonArg(t, []string{"c", "nope", "a"}))
			require.Equal(t, []string{"3", "", "1"}, vs)
		}},
		{"overwrite", func() { c.mustSubmit("Put", "a", "10") }, func(t *testing.T) { require.Equal(t, "10", c.get("a")) }},
		{"delete", func() { c.mustSubmit("Del", "b") }, func(t *testing.T) { require.Equal(t, "", c.get("b")) }},
		{"empty value deletes, as in Fabric", func() { c.mustSubmit("Put", "c", "") }, func(t *testing.T) {
			var h []ledgertest.Modification
			c.query(&h, "History", "c")
			require.Len(t, h, 2)
			require.True(t, h[0].IsDelete)
		}},
		{"reads see committed state, not the transaction's own writes", nil, func(t *testing.T) {
			commit := c.mustSubmit("PutAndGet", "fresh", "v")
			require.Equal(t, "", string(commit.Payload))
			require.Equal(t, "v", c.get("fresh"))
		}},
		{"write batch flushed by FinishWriteBatch", func() { c.mustSubmit("PutBatch", "w1,w2", "x", "true") }, func(t *testing.T) {
			require.Equal(t, "x", c.get("w1"))
			require.Equal(t, "x", c.get("w2"))
		}},
		{"write batch flushed when the transaction ends", func() { c.mustSubmit("PutBatch", "w3", "y", "false") }, func(t *testing.T) {
			require.Equal(t, "y", c.get("w3"))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.act != nil {
				tc.act()
			}
			tc.check(t)
		})
	}
	require.NoError(t, l.Verify(t.Context()))
}

func TestBadWritesAreRefusedAndWriteNothing(t *testing.T) {
	l := openKV(t, t.TempDir(), ledger.Options{})
	c := newClient(t, l)
	tests := []struct {
		name string
		fn   string
		args []string
		want string
	}{
		{"empty key", "Put", []string{"", "v"}, "key must not be an empty string"},
		{"key not UTF-8", "Put", []string{"\xff\xfe", "v"}, "must be a valid UTF-8 string"},
		{"key too long", "Put", []string{strings.Repeat("k", ledger.MaxKeyLength+1), "v"}, "longer than"},
		{"bad key inside a write batch", "PutBatch", []string{"ok,\xff", "v", "true"}, "write batch"},
		{"paginated query then write", "PageThenPut", []string{"k"}, "paginated"},
		{"write then paginated query", "PutThenPage", []string{"k"}, "paginated queries are supported only in a read-only transaction"},
		{"composite key attribute with U+0000", "PutComposite", []string{"t", jsonArg(t, []string{"a\x00b"}), "v"}, "not allowed"},
		{"range start in composite key space", "Range", []string{"\x00a", ""}, "null character"},
		{"empty event name", "Emit", []string{"k", "", "p"}, "event name can not be empty"},
		{"chaincode error", "Fail", []string{"no way"}, "no way"},
		{"chaincode panic", "Panic", nil, "chaincode panicked: KV.Panic called"},
		{"unknown function", "Nope", nil, "Function Nope not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := l.Height()
			_, err := c.submit(tc.fn, tc.args...)
			var ce *ledger.ChaincodeError
			require.ErrorAs(t, err, &ce)
			require.Contains(t, ce.Message, tc.want)
			require.EqualValues(t, 500, ce.Status)
			require.Equal(t, before, l.Height(), "a refused proposal orders nothing")
		})
	}
	require.Equal(t, "", c.get("ok"))
	require.Equal(t, "", c.get("k"))

	_, err := l.Submit(t.Context(), c.id, ledger.Proposal{Chaincode: "other", Function: "Put"})
	require.ErrorIs(t, err, ledger.ErrUnknownChaincode)
	for name, signer := range map[string]*ledger.Identity{
		"no signer":                     nil,
		"identity not from the MSP":     {MSPID: c.id.MSPID, Name: "forged", Certificate: c.id.Certificate},
		"certificate under another org": {MSPID: "OtherMSP", Name: "client", Certificate: c.id.Certificate},
	} {
		_, err = l.Submit(t.Context(), signer, ledger.Proposal{Chaincode: ledgertest.Name, Function: "Put", Args: args("k", "v")})
		require.ErrorIs(t, err, ledger.ErrUnknownIdentity, name)
	}
}

func TestUnsupportedCallsNameThemselves(t *testing.T) {
	l := openKV(t, t.TempDir(), ledger.Options{})
	c := newClient(t, l)
	for _, call := range []string{"GetPrivateData", "PutPrivateData", "GetPrivateDataByRange", "GetQueryResult", "GetSignedProposal", "InvokeChaincode"} {
		t.Run(call, func(t *testing.T) {
			_, err := c.evaluate("Unsupported", call)
			var ce *ledger.ChaincodeError
			require.ErrorAs(t, err, &ce)
			require.Contains(t, ce.Message, "ledger: "+call+" is not supported by the embedded ledger")
		})
	}
}

func TestEvaluateWritesNothing(t *testing.T) {
	l := openKV(t, t.TempDir(), ledger.Options{})
	c := newClient(t, l)
	c.mustSubmit("Put", "k", "committed")
	height := l.Height()

	_, err := c.evaluate("Put", "k", "evaluated")
	require.NoError(t, err)
	_, err = c.evaluate("Put", "other", "evaluated")
	require.NoError(t, err)

	require.Equal(t, height, l.Height())
	require.Equal(t, "committed", c.get("k"))
	require.Equal(t, "", c.get("other"))
}

func TestTransactionContext(t *testing.T) {
	l := openKV(t, t.TempDir(), ledger.Options{ChannelID: "efa"})
	c := newClient(t, l)

	commit := c.mustSubmit("Whoami", "ignored", "args")
	var who ledgertest.Caller
	require.NoError(t, jsonUnmarshal(commit.Payload, &who))
	require.Equal(t, ledger.DefaultMSPID, who.MSPID)
	require.Equal(t, "x509::CN=client,OU=client,O=EmbeddedMSP::CN=ca.EmbeddedMSP,O=EmbeddedMSP", decodeID(t, who.ID))
	require.True(t, who.OU)
	require.Equal(t, commit.TxID, who.TxID)
	require.Equal(t, "efa", who.Channel)
	require.Equal(t, "Whoami", who.Function)
	require.Equal(t, 2, who.Args)
	require.Equal(t, 32, who.Binding)

	tx, loc, err := l.Transaction(commit.TxID)
	require.NoError(t, err)
	require.Equal(t, ledger.TxLocation{BlockNumber: commit.BlockNumber, TxIndex: commit.TxIndex}, loc)
	require.Equal(t, who.Timestamp, tx.Timestamp.Format("2006-01-02T15:04:05.999999999Z07:00"), "GetTxTimestamp is the recorded transaction time")
	require.Equal(t, ledger.ArgsDigest("Whoami", []byte("ignored"), []byte("args")), tx.ArgsDigest)
	require.Equal(t, c.id.Serialized(), tx.Creator)

	other, err := l.Identity("DataportMSP", "alice")
	require.NoError(t, err)
	payload, err := l.Evaluate(t.Context(), other, ledger.Proposal{Chaincode: ledgertest.Name, Function: "Whoami"})
	require.NoError(t, err)
	require.NoError(t, jsonUnmarshal(payload, &who))
	require.Equal(t, "DataportMSP", who.MSPID)
	require.Equal(t, "x509::CN=alice,OU=client,O=DataportMSP::CN=ca.DataportMSP,O=DataportMSP", decodeID(t, who.ID))

	payload, err = l.Evaluate(t.Context(), c.id, ledger.Proposal{
		Chaincode: ledgertest.Name, Function: "Transient", Args: args("secret"),
		Transient: map[string][]byte{"secret": []byte("s3cr3t")},
	})
	require.NoError(t, err)
	require.Equal(t, "s3cr3t", string(payload))

	_, err = l.Identity("bad msp", "x")
	require.Error(t, err)
}

func TestValidationParameter(t *testing.T) {
	l := openKV(t, t.TempDir(), ledger.Options{})
	c := newClient(t, l)
	policy := func(key string) string {
		v, err := c.evaluate("GetPolicy", key)
		require.NoError(t, err)
		return string(v)
	}

	c.mustSubmit("SetPolicy", "absent", "P0")
	require.Equal(t, "", policy("absent"), "a policy on a key that does not exist is ignored, as in Fabric")
	require.Equal(t, "", c.get("absent"))

	c.mustSubmit("PutWithPolicy", "k", "v1", "P1")
	require.Equal(t, "P1", policy("k"))
	c.mustSubmit("Put", "k", "v2")
	require.Equal(t, "P1", policy("k"), "writing a value keeps the key's policy")
	c.mustSubmit("SetPolicy", "k", "P2")
	require.Equal(t, "P2", policy("k"))
	require.Equal(t, "v2", c.get("k"))

	var h []ledgertest.Modification
	c.query(&h, "History", "k")
	require.Len(t, h, 2, "a policy change is not a value modification")

	c.mustSubmit("Del", "k")
	require.Equal(t, "", policy("k"), "a delete drops the policy")
	c.mustSubmit("Put", "k", "v3")
	require.Equal(t, "", policy("k"))
	require.NoError(t, l.Verify(t.Context()))
}

func TestHistoryNewestFirst(t *testing.T) {
	l := openKV(t, t.TempDir(), ledger.Options{})
	c := newClient(t, l)
	var ids []string
	for _, step := range [][]string{{"Put", "k", "v1"}, {"Put", "k", "v2"}, {"Del", "k"}, {"Put", "k", "v3"}} {
		ids = append(ids, c.mustSubmit(step[0], step[1:]...).TxID)
	}
	c.mustSubmit("Put", "k2", "other key") // "k2" shares a prefix with "k"
	_, err := c.submit("Put", "", "")      // refused, changes nothing
	require.Error(t, err)
	var h []ledgertest.Modification
	c.query(&h, "History", "k")
	require.Len(t, h, 4)
	want := []struct {
		id    string
		value string
		del   bool
	}{{ids[3], "v3", false}, {ids[2], "", true}, {ids[1], "v2", false}, {ids[0], "v1", false}}
	for i, w := range want {
		require.Equal(t, w.id, h[i].TxID)
		require.Equal(t, w.value, h[i].Value)
		require.Equal(t, w.del, h[i].IsDelete)
		require.NotEmpty(t, h[i].Timestamp)
	}
	c.query(&h, "History", "never")
	require.Empty(t, h)
}

func TestClosedLedger(t *testing.T) {
	dir := t.TempDir()
	l := openKV(t, dir, ledger.Options{})
	c := newClient(t, l)
	c.mustSubmit("Put", "k", "v")
	require.NoError(t, l.Close())
	require.NoError(t, l.Close(), "Close is idempotent")
	_, err := c.submit("Put", "k", "v2")
	require.True(t, errors.Is(err, ledger.ErrClosed), "got %v", err)
}

// decodeID undoes the base64 that cid.GetID wraps around "x509::subject::issuer".
func decodeID(t *testing.T, id string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(id)
	require.NoError(t, err)
	return string(raw)
}

// StoredBytes is the store in use: it grows by about what commits write,
// far less than the file the store grows ahead of need, and a closed
// ledger says so.
func TestStoredBytes(t *testing.T) {
	dir := t.TempDir()
	l := openKV(t, dir, ledger.Options{NoSync: true})
	c := newClient(t, l)
	before, err := l.StoredBytes()
	require.NoError(t, err)
	require.Positive(t, before)
	value := strings.Repeat("v", 4000)
	for i := range 200 {
		c.mustSubmit("Put", fmt.Sprint("k", i), value)
	}
	after, err := l.StoredBytes()
	require.NoError(t, err)
	grown := after - before
	require.Greater(t, grown, int64(2*200*4000), "each value is kept twice: in its block and in the state")
	require.Less(t, grown, int64(8*200*4000), "and the store's overhead is bounded")
	fi, err := os.Stat(filepath.Join(dir, ledger.StoreFile))
	require.NoError(t, err)
	require.LessOrEqual(t, after, fi.Size())

	require.NoError(t, l.Close())
	_, err = l.StoredBytes()
	require.ErrorIs(t, err, ledger.ErrClosed)
}
