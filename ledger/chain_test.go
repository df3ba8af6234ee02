package ledger_test

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/ledger/ledgertest"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
)

func TestBlocksAreLinkedSignedAndComplete(t *testing.T) {
	l := openKV(t, t.TempDir(), ledger.Options{ChannelID: "efa-test"})
	c := newClient(t, l)
	first := c.mustSubmit("Emit", "k", "created", "payload")
	c.mustSubmit("Put", "k", "v2")

	genesis, err := l.Block(0)
	require.NoError(t, err)
	require.Equal(t, uint64(0), genesis.Header.Number)
	require.Empty(t, genesis.Header.PreviousHash)
	require.Equal(t, "efa-test", genesis.Config.ChannelID)
	require.Equal(t, l.NodeCertificatePEM(), genesis.Config.NodeCertificate)
	require.Len(t, genesis.Config.CACertificates, 1)
	caBlock, _ := pem.Decode(genesis.Config.CACertificates[0])
	ca, err := x509.ParseCertificate(caBlock.Bytes)
	require.NoError(t, err)
	require.NoError(t, l.NodeCertificate().CheckSignatureFrom(ca), "the node certificate is issued by the organisation's CA")

	prev := genesis
	for n := uint64(1); n < l.Height(); n++ {
		b, err := l.Block(n)
		require.NoError(t, err)
		require.Equal(t, n, b.Header.Number)
		require.Equal(t, prev.Header.Hash(), b.Header.PreviousHash, "block %d links to block %d", n, n-1)
		require.NoError(t, ledger.VerifyHeaderSignature(&b.Header, b.Signature, l.NodeCertificate()))
		require.Len(t, b.Transactions, int(b.Header.TxCount))
		require.False(t, b.Header.Timestamp.IsZero())
		prev = b
	}

	b, err := l.Block(first.BlockNumber)
	require.NoError(t, err)
	tx := b.Transactions[first.TxIndex]
	require.Equal(t, first.TxID, tx.ID)
	require.Equal(t, c.id.Serialized(), tx.Creator)
	require.Equal(t, ledgertest.Name, tx.Chaincode)
	require.Equal(t, "Emit", tx.Function)
	require.Equal(t, ledger.ArgsDigest("Emit", []byte("k"), []byte("created"), []byte("payload")), tx.ArgsDigest)
	require.Equal(t, []ledger.KVWrite{{Key: "k", Value: []byte("payload")}}, tx.RWSet.Writes)
	require.Equal(t, &ledger.Event{Name: "created", Payload: []byte("payload")}, tx.Event)
	require.Equal(t, peer.TxValidationCode_VALID, tx.ValidationCode)
	sum := sha256.Sum256(append(append([]byte{}, tx.Nonce...), tx.Creator...))
	require.Equal(t, fmt.Sprintf("%x", sum), tx.ID, "the id is derived from nonce and creator, as in Fabric")

	var second *ledger.Transaction
	second, _, err = l.Transaction(c.mustSubmit("Increment", "n").TxID)
	require.NoError(t, err)
	require.Equal(t, []ledger.KVRead{{Key: "n"}}, second.RWSet.Reads, "a read of an absent key records no version")

	_, err = l.Block(l.Height())
	require.ErrorIs(t, err, ledger.ErrNotFound)
	_, _, err = l.Transaction("no-such-tx")
	require.ErrorIs(t, err, ledger.ErrNotFound)
	require.NoError(t, l.Verify(t.Context()))
}

func TestReopenKeepsChainAndIdentities(t *testing.T) {
	dir := t.TempDir()
	l, err := openKVLedger(dir, ledger.Options{})
	require.NoError(t, err)
	c := newClient(t, l)
	commit := c.mustSubmit("Put", "k", "v")
	height := l.Height()
	cert := l.NodeCertificatePEM()
	client := c.id.Serialized()
	require.NoError(t, l.Close())

	l = openKV(t, dir, ledger.Options{})
	require.Equal(t, height, l.Height())
	require.Equal(t, cert, l.NodeCertificatePEM())
	c = newClient(t, l)
	require.Equal(t, client, c.id.Serialized(), "identities are kept in the data directory")
	require.Equal(t, "v", c.get("k"))
	_, _, err = l.Transaction(commit.TxID)
	require.NoError(t, err)
	c.mustSubmit("Put", "k", "v2")
	require.NoError(t, l.Verify(t.Context()))
	require.NoError(t, l.Close())

	_, err = openKVLedger(dir, ledger.Options{ChannelID: "other"})
	require.ErrorContains(t, err, `this chain is channel "registry", not "other"`)
	require.NoError(t, removeFile(filepath.Join(dir, "msp", ledger.DefaultMSPID, "node.pem")))
	_, err = openKVLedger(dir, ledger.Options{})
	require.ErrorContains(t, err, "not the one that signed this chain's genesis block")
}

func TestGroupCommitBatchesConcurrentSubmitters(t *testing.T) {
	const submitters, each, maxTxs = 32, 10, 8
	l := openKV(t, t.TempDir(), ledger.Options{MaxBlockTxs: maxTxs, BatchTimeout: 20 * time.Millisecond, NoSync: true})
	c := newClient(t, l)
	start := l.Height()
	var wg sync.WaitGroup
	errs := make(chan error, submitters*each)
	for w := range submitters {
		wg.Go(func() {
			for i := range each {
				if _, err := c.submit("Put", fmt.Sprintf("w%d-%d", w, i), "v"); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	blocks := l.Height() - start
	largest := 0
	for n := start; n < l.Height(); n++ {
		b, err := l.Block(n)
		require.NoError(t, err)
		require.LessOrEqual(t, len(b.Transactions), maxTxs, "block %d exceeds MaxBlockTxs", n)
		largest = max(largest, len(b.Transactions))
	}
	require.Less(t, int(blocks), submitters*each/2, "%d transactions in %d blocks: concurrent submitters share blocks", submitters*each, blocks)
	require.Equal(t, maxTxs, largest, "blocks fill up to MaxBlockTxs")

	// A lone submitter is not kept waiting for company: its block is cut at once.
	lone := openKV(t, t.TempDir(), ledger.Options{BatchTimeout: time.Hour, NoSync: true})
	lc := newClient(t, lone)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	_, err := lone.Submit(ctx, lc.id, ledger.Proposal{Chaincode: ledgertest.Name, Function: "Put", Args: args("k", "v")})
	require.NoError(t, err, "a lone transaction commits without waiting for BatchTimeout")
}
