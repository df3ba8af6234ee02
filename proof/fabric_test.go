//go:build fabric

// The Fabric verifier against blocks of the real network: honest evidence
// verifies, and every tampering with it is reported, naming the check and
// block that broke. Run with the build tag fabric and -fabric DIR (make
// test brings a network up for them).

package proof_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/evidence"
	"github.com/efa-marktplatz/registry/internal/fabrictest"
	"github.com/efa-marktplatz/registry/network"
	"github.com/efa-marktplatz/registry/proof"
	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/statebased"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

const (
	dataport = "DataportMSP"
	akdb     = "AKDBMSP"
	regioIT  = "RegioITMSP"
)

func testNetwork(t *testing.T) *network.Network {
	return fabrictest.Network(t)
}

func dialAs(t *testing.T, n *network.Network, msp, user, chaincodeName string) *client.Fabric {
	return fabrictest.Dial(t, n, msp, user, chaincodeName)
}

// networkTrust is what an auditor supplies: the CA roots of the four orgs
// and the genesis block.
func networkTrust(t *testing.T, n *network.Network) *proof.Trust {
	t.Helper()
	trust, err := proof.FabricTrust(n.RootFiles(), n.GenesisBlock())
	require.NoError(t, err)
	return trust
}

// fabricEvidence fetches the Fabric blocks of transactions from a peer.
func fabricEvidence(t *testing.T, b *client.Fabric, txIDs ...string) *evidence.FabricBlocks {
	t.Helper()
	ev, err := b.Evidence(context.Background(), txIDs, nil)
	require.NoError(t, err)
	return ev.Fabric
}

func txSubject(id string, block uint64) string {
	return fmt.Sprintf("tx %s… in block %d", id[:8], block)
}

func hasFailed(r *proof.Report, check proof.Check) bool {
	return slices.ContainsFunc(r.Items, func(it proof.Item) bool { return !it.OK && it.Check == check })
}

// cloneLedger copies the evidence, so that each tamper case starts honest.
func cloneLedger(f *evidence.FabricBlocks) *evidence.FabricBlocks {
	out := &evidence.FabricBlocks{ConfigBlock: slices.Clone(f.ConfigBlock)}
	for _, b := range f.Blocks {
		out.Blocks = append(out.Blocks, slices.Clone(b))
	}
	return out
}

func blockIndex(t *testing.T, f *evidence.FabricBlocks, number uint64) int {
	t.Helper()
	for i, raw := range f.Blocks {
		b := &common.Block{}
		require.NoError(t, proto.Unmarshal(raw, b))
		if b.GetHeader().GetNumber() == number {
			return i
		}
	}
	t.Fatalf("block %d is not in the evidence", number)
	return -1
}

// editBlock decodes a block of the evidence, lets edit change it, and encodes it back.
func editBlock(t *testing.T, f *evidence.FabricBlocks, number uint64, edit func(b *common.Block)) {
	t.Helper()
	i := blockIndex(t, f, number)
	b := &common.Block{}
	require.NoError(t, proto.Unmarshal(f.Blocks[i], b))
	edit(b)
	raw, err := proto.Marshal(b)
	require.NoError(t, err)
	f.Blocks[i] = raw
}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	raw, err := proto.Marshal(m)
	require.NoError(t, err)
	return raw
}

func mustUnmarshal(t *testing.T, raw []byte, m proto.Message) {
	t.Helper()
	require.NoError(t, proto.Unmarshal(raw, m))
}

// editAction decodes the endorsed action of a transaction in a block, lets
// edit change it, and encodes everything back up to the block's data (its
// header's data hash is left as it was).
func editAction(t *testing.T, b *common.Block, txID string, edit func(cap *peer.ChaincodeActionPayload)) {
	t.Helper()
	for i, raw := range b.Data.Data {
		env := &common.Envelope{}
		mustUnmarshal(t, raw, env)
		pl := &common.Payload{}
		mustUnmarshal(t, env.Payload, pl)
		chdr := &common.ChannelHeader{}
		mustUnmarshal(t, pl.Header.ChannelHeader, chdr)
		if chdr.TxId != txID {
			continue
		}
		tx := &peer.Transaction{}
		mustUnmarshal(t, pl.Data, tx)
		cap := &peer.ChaincodeActionPayload{}
		mustUnmarshal(t, tx.Actions[0].Payload, cap)
		edit(cap)
		tx.Actions[0].Payload = mustMarshal(t, cap)
		pl.Data = mustMarshal(t, tx)
		env.Payload = mustMarshal(t, pl)
		b.Data.Data[i] = mustMarshal(t, env)
		return
	}
	t.Fatalf("tx %s is not in block %d", txID, b.Header.Number)
}

// editWrites changes the KV writes of the chaincode's namespace.
func editWrites(t *testing.T, cap *peer.ChaincodeActionPayload, edit func(ws []*kvrwset.KVWrite)) {
	t.Helper()
	prp := &peer.ProposalResponsePayload{}
	mustUnmarshal(t, cap.Action.ProposalResponsePayload, prp)
	cca := &peer.ChaincodeAction{}
	mustUnmarshal(t, prp.Extension, cca)
	rws := &rwset.TxReadWriteSet{}
	mustUnmarshal(t, cca.Results, rws)
	for _, ns := range rws.NsRwset {
		if ns.Namespace != network.KVChaincode {
			continue
		}
		kv := &kvrwset.KVRWSet{}
		mustUnmarshal(t, ns.Rwset, kv)
		require.NotEmpty(t, kv.Writes)
		edit(kv.Writes)
		ns.Rwset = mustMarshal(t, kv)
	}
	cca.Results = mustMarshal(t, rws)
	prp.Extension = mustMarshal(t, cca)
	cap.Action.ProposalResponsePayload = mustMarshal(t, prp)
}

// selfSigned is a certificate that looks like a peer's of mspID but chains to nothing supplied.
func selfSigned(t *testing.T, name string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	now := time.Now().Add(-time.Hour)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: name, OrganizationalUnit: []string{"peer"}},
		NotBefore: now, NotAfter: now.AddDate(1, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// txInfo is a submitted transaction.
type txInfo struct {
	id    string
	block uint64
}

func TestFabricEvidence(t *testing.T) {
	n := testNetwork(t)
	kv := dialAs(t, n, dataport, "User1", network.KVChaincode)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run := fmt.Sprint(time.Now().UnixNano())

	submit := func(orgs []string, fn string, args ...string) txInfo {
		t.Helper()
		res, err := kv.SubmitEndorsedBy(ctx, orgs, fn, args...)
		require.NoError(t, err)
		return txInfo{res.TxID, res.BlockNumber}
	}
	// Two writes in consecutive blocks, so that the header chain is checked
	// (another package's tests may share the network and cut blocks between).
	a := submit(nil, "Put", "proof-a-"+run, "value a")
	b := submit(nil, "Put", "proof-b-"+run, "value b")
	for i := 0; b.block != a.block+1 && i < 10; i++ {
		a, b = b, submit(nil, "Put", fmt.Sprintf("proof-b%d-%s", i, run), "value b")
	}
	require.Equal(t, a.block+1, b.block, "two transactions in consecutive blocks")

	// A key-level endorsement policy: AKDB's and RegioIT's peers, as the
	// registry sets on agreements (statebased, the peer role of each org).
	ep, err := statebased.NewStateEP(nil)
	require.NoError(t, err)
	require.NoError(t, ep.AddOrgs(statebased.RoleTypePeer, akdb, regioIT))
	policy, err := ep.Policy()
	require.NoError(t, err)
	sbeKey := "proof-sbe-" + run
	c := submit(nil, "PutWithPolicy", sbeKey, "value c", string(policy))
	d := submit([]string{akdb, regioIT}, "Put", sbeKey, "value d")
	// Endorsed by orgs the key's policy does not name: the peers reject it.
	res, err := kv.SubmitEndorsedBy(ctx, []string{dataport, regioIT}, "Put", sbeKey, "value e")
	require.Nil(t, res)
	var ce *client.CommitError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, ce.ValidationCode)
	e := txInfo{ce.TxID, ce.BlockNumber}

	ids := []string{a.id, b.id, c.id, d.id}
	ev := fabricEvidence(t, kv, ids...)
	trust := networkTrust(t, n)
	verify := func(f *evidence.FabricBlocks, trust *proof.Trust, ids ...string) (*proof.Report, []*proof.Tx) {
		r := &proof.Report{}
		txs := proof.VerifyFabric(r, f, trust, network.ChannelID, network.KVChaincode, ids)
		return r, txs
	}

	t.Run("honest", func(t *testing.T) {
		r, txs := verify(ev, trust, ids...)
		require.False(t, r.Failed(), "first failure: %+v", r.FirstFailure)
		for _, it := range r.Items {
			t.Logf("%-22s %-34s %s", it.Check, it.Subject, it.Detail)
		}
		require.Len(t, txs, 4)
		for i, want := range []txInfo{a, b, c, d} {
			require.Equal(t, want.id, txs[i].ID)
			require.Equal(t, want.block, txs[i].Block)
			require.Equal(t, "VALID", txs[i].ValidationCode)
			require.False(t, txs[i].Timestamp.IsZero())
			require.GreaterOrEqual(t, len(txs[i].Endorsers), 2, "MAJORITY of three")
		}
		require.Equal(t, []proof.Write{{Key: "proof-a-" + run, Value: []byte("value a")}}, txs[0].Writes)
		require.Equal(t, []proof.Write{{Key: sbeKey, Value: []byte("value d")}}, txs[3].Writes)
		require.Equal(t, []string{akdb, regioIT}, txs[3].Endorsers)
		i := slices.IndexFunc(r.Items, func(it proof.Item) bool { return it.Check == proof.CheckKeyEndorsementPolicy })
		require.GreaterOrEqual(t, i, 0, "tx d's key-level policy is checked")
		require.Contains(t, r.Items[i].Subject, txSubject(d.id, d.block))
		require.Contains(t, r.Items[i].Detail, "AKDBMSP.peer")
		require.True(t, slices.ContainsFunc(r.Items, func(it proof.Item) bool {
			return it.OK && it.Check == proof.CheckGenesis && it.Subject == "block 0"
		}))
	})

	// A block of the chain that holds none of the bundle's transactions.
	other := fabricEvidence(t, kv, e.id)
	require.Len(t, other.Blocks, 1)
	require.Greater(t, e.block, d.block)

	akdbCert := func(t *testing.T) []byte {
		raw, err := os.ReadFile(n.UserCert(network.Members[1], "User1"))
		require.NoError(t, err)
		return raw
	}
	flip := func(p []byte) { p[len(p)/2] ^= 0x01 }
	blockName := func(x txInfo) string { return fmt.Sprintf("block %d", x.block) }
	tests := []struct {
		name        string
		tamper      func(t *testing.T, f *evidence.FabricBlocks, trust *proof.Trust)
		check       proof.Check
		subject     string
		alsoFailing []proof.Check
		dropped     func() []string // transactions no longer returned (the others still are)
		loose       bool            // others may be dropped too (the next block's link breaks)
	}{
		{
			name: "write value changed",
			tamper: func(t *testing.T, f *evidence.FabricBlocks, _ *proof.Trust) {
				editBlock(t, f, b.block, func(blk *common.Block) {
					editAction(t, blk, b.id, func(cap *peer.ChaincodeActionPayload) {
						editWrites(t, cap, func(ws []*kvrwset.KVWrite) { ws[0].Value[0] ^= 0x01 })
					})
				})
			},
			check: proof.CheckDataHash, subject: blockName(b), alsoFailing: []proof.Check{proof.CheckCreatorSignature, proof.CheckEndorsementSignature}, dropped: func() []string { return []string{b.id} },
		},
		{
			name: "header data hash changed",
			tamper: func(t *testing.T, f *evidence.FabricBlocks, _ *proof.Trust) {
				editBlock(t, f, b.block, func(blk *common.Block) { flip(blk.Header.DataHash) })
			},
			check: proof.CheckDataHash, subject: blockName(b), alsoFailing: []proof.Check{proof.CheckOrdererSignature}, dropped: func() []string { return []string{b.id} }, loose: true,
		},
		{
			name: "previous hash changed",
			tamper: func(t *testing.T, f *evidence.FabricBlocks, _ *proof.Trust) {
				editBlock(t, f, b.block, func(blk *common.Block) { flip(blk.Header.PreviousHash) })
			},
			check: proof.CheckHeaderChain, subject: blockName(b), alsoFailing: []proof.Check{proof.CheckOrdererSignature}, dropped: func() []string { return []string{b.id} }, loose: true,
		},
		{
			name: "orderer signature flipped",
			tamper: func(t *testing.T, f *evidence.FabricBlocks, _ *proof.Trust) {
				editBlock(t, f, a.block, func(blk *common.Block) {
					m := &common.Metadata{}
					mustUnmarshal(t, blk.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES], m)
					// A Raft block carries one signature, a BFT block a quorum
					// of them: one byte of each, so no valid signer remains.
					require.NotEmpty(t, m.Signatures)
					for _, sig := range m.Signatures {
						flip(sig.Signature)
					}
					blk.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES] = mustMarshal(t, m)
				})
			},
			check: proof.CheckOrdererSignature, subject: blockName(a), dropped: func() []string { return []string{a.id} },
		},
		{
			name: "endorsement signature flipped",
			tamper: func(t *testing.T, f *evidence.FabricBlocks, _ *proof.Trust) {
				editBlock(t, f, a.block, func(blk *common.Block) {
					editAction(t, blk, a.id, func(cap *peer.ChaincodeActionPayload) { flip(cap.Action.Endorsements[0].Signature) })
				})
			},
			check: proof.CheckDataHash, subject: blockName(a), alsoFailing: []proof.Check{proof.CheckEndorsementSignature}, dropped: func() []string { return []string{a.id} },
		},
		{
			name: "endorser certificate of another org",
			tamper: func(t *testing.T, f *evidence.FabricBlocks, _ *proof.Trust) {
				editBlock(t, f, d.block, func(blk *common.Block) {
					editAction(t, blk, d.id, func(cap *peer.ChaincodeActionPayload) {
						// d's endorsers are AKDB and RegioIT: RegioIT's endorsement
						// now presents an AKDB certificate.
						for _, en := range cap.Action.Endorsements {
							sid := &msp.SerializedIdentity{}
							mustUnmarshal(t, en.Endorser, sid)
							if sid.Mspid == regioIT {
								sid.IdBytes = akdbCert(t)
								en.Endorser = mustMarshal(t, sid)
							}
						}
					})
				})
			},
			check: proof.CheckDataHash, subject: blockName(d), alsoFailing: []proof.Check{proof.CheckEndorsementSignature, proof.CheckKeyEndorsementPolicy}, dropped: func() []string { return []string{d.id} },
		},
		{
			name: "self-signed endorser certificate",
			tamper: func(t *testing.T, f *evidence.FabricBlocks, _ *proof.Trust) {
				editBlock(t, f, a.block, func(blk *common.Block) {
					editAction(t, blk, a.id, func(cap *peer.ChaincodeActionPayload) {
						sid := &msp.SerializedIdentity{}
						mustUnmarshal(t, cap.Action.Endorsements[0].Endorser, sid)
						sid.IdBytes = selfSigned(t, "peer0.impostor")
						cap.Action.Endorsements[0].Endorser = mustMarshal(t, sid)
					})
				})
			},
			check: proof.CheckDataHash, subject: blockName(a), alsoFailing: []proof.Check{proof.CheckEndorsementSignature}, dropped: func() []string { return []string{a.id} },
		},
		{
			name: "validation code changed",
			tamper: func(t *testing.T, f *evidence.FabricBlocks, _ *proof.Trust) {
				editBlock(t, f, a.block, func(blk *common.Block) {
					filter := blk.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
					for i := range filter {
						filter[i] = byte(peer.TxValidationCode_MVCC_READ_CONFLICT)
					}
				})
			},
			check: proof.CheckValidationCode, subject: txSubject(a.id, a.block), dropped: func() []string { return nil },
		},
		{
			name: "first block swapped for a later one",
			tamper: func(_ *testing.T, f *evidence.FabricBlocks, _ *proof.Trust) {
				f.Blocks[0] = slices.Clone(other.Blocks[0])
			},
			check: proof.CheckBlockNumber, subject: blockName(b), alsoFailing: []proof.Check{proof.CheckTransaction}, dropped: func() []string { return []string{a.id, b.id} },
		},
		{
			name: "last block swapped for a later one",
			tamper: func(t *testing.T, f *evidence.FabricBlocks, _ *proof.Trust) {
				f.Blocks[blockIndex(t, f, d.block)] = slices.Clone(other.Blocks[0])
			},
			check: proof.CheckTransaction, subject: "tx " + d.id[:8] + "…", dropped: func() []string { return []string{d.id} },
		},
		{
			name: "config block data changed",
			tamper: func(t *testing.T, f *evidence.FabricBlocks, _ *proof.Trust) {
				blk := &common.Block{}
				mustUnmarshal(t, f.ConfigBlock, blk)
				flip(blk.Header.DataHash)
				f.ConfigBlock = mustMarshal(t, blk)
			},
			check: proof.CheckDataHash, subject: "block 0", alsoFailing: []proof.Check{proof.CheckOrdererSignature, proof.CheckEndorsementSignature}, dropped: func() []string { return ids },
		},
		{
			name: "supplied root of a member replaced by another org's",
			tamper: func(_ *testing.T, _ *evidence.FabricBlocks, trust *proof.Trust) {
				trust.Roots[dataport] = trust.Roots[akdb]
			},
			check: proof.CheckConfigRoots, subject: dataport, alsoFailing: []proof.Check{proof.CheckOrdererSignature, proof.CheckEndorsementSignature}, dropped: func() []string { return ids },
		},
		{
			name: "genesis block not pinned",
			tamper: func(_ *testing.T, _ *evidence.FabricBlocks, trust *proof.Trust) {
				trust.Genesis = nil
			},
			check: proof.CheckGenesis, subject: "block 0", dropped: func() []string { return ids },
		},
		{
			name: "another genesis block pinned",
			tamper: func(_ *testing.T, _ *evidence.FabricBlocks, trust *proof.Trust) {
				trust.Genesis = bytes.Repeat([]byte{7}, 32)
			},
			check: proof.CheckGenesis, subject: "block 0", dropped: func() []string { return ids },
		},
		{
			name: "roots of an organisation the channel does not have",
			tamper: func(t *testing.T, _ *evidence.FabricBlocks, trust *proof.Trust) {
				trust.Roots["OtherMSP"] = trust.Roots[dataport]
			},
			check: proof.CheckConfigRoots, subject: "OtherMSP", dropped: func() []string { return ids },
		},
		{
			name: "supplied root missing",
			tamper: func(_ *testing.T, _ *evidence.FabricBlocks, trust *proof.Trust) {
				delete(trust.Roots, network.OrdererOrg.MSPID)
			},
			check: proof.CheckConfigRoots, subject: network.OrdererOrg.MSPID, alsoFailing: []proof.Check{proof.CheckOrdererSignature}, dropped: func() []string { return ids },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := cloneLedger(ev)
			tr := &proof.Trust{Roots: map[string][]*x509.Certificate{}, Genesis: trust.Genesis}
			for k, v := range trust.Roots {
				tr.Roots[k] = slices.Clone(v)
			}
			tc.tamper(t, f, tr)
			r, txs := verify(f, tr, ids...)
			require.True(t, r.Failed())
			require.False(t, r.OK)
			require.Equal(t, tc.check, r.FirstFailure.Check, "first failure: %+v", r.FirstFailure)
			require.Equal(t, tc.subject, r.FirstFailure.Subject, "first failure: %+v", r.FirstFailure)
			for _, check := range tc.alsoFailing {
				require.True(t, hasFailed(r, check), "a failing %q item; failures: %+v", check, failed(r))
			}
			var got []string
			for _, tx := range txs {
				got = append(got, tx.ID)
			}
			dropped := tc.dropped()
			for _, id := range dropped {
				require.NotContains(t, got, id, "a transaction of a block that failed is not returned")
			}
			if !tc.loose {
				require.Len(t, got, len(ids)-len(dropped))
			}
			t.Logf("first failure: %s / %s: %s", r.FirstFailure.Check, r.FirstFailure.Subject, r.FirstFailure.Detail)
		})
	}

	// The transaction the peers rejected: its validation code and the key's
	// policy, set by an earlier transaction of the bundle, both fail; and a
	// serving peer that marks it VALID is still caught by the policy.
	t.Run("rejected by the key-level policy", func(t *testing.T) {
		rejected := fabricEvidence(t, kv, c.id, e.id)
		r, txs := verify(rejected, trust, c.id, e.id)
		require.Equal(t, proof.CheckValidationCode, r.FirstFailure.Check)
		require.Equal(t, txSubject(e.id, e.block), r.FirstFailure.Subject)
		require.Contains(t, r.FirstFailure.Detail, "ENDORSEMENT_POLICY_FAILURE")
		require.True(t, hasFailed(r, proof.CheckKeyEndorsementPolicy))
		require.Len(t, txs, 2)
		require.Equal(t, "ENDORSEMENT_POLICY_FAILURE", txs[1].ValidationCode)
		require.Equal(t, []string{dataport, regioIT}, txs[1].Endorsers)

		editBlock(t, rejected, e.block, func(blk *common.Block) {
			filter := blk.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
			for i := range filter {
				filter[i] = byte(peer.TxValidationCode_VALID)
			}
		})
		r, _ = verify(rejected, trust, c.id, e.id)
		require.Equal(t, proof.CheckKeyEndorsementPolicy, r.FirstFailure.Check, "first failure: %+v", r.FirstFailure)
		require.Contains(t, r.FirstFailure.Subject, txSubject(e.id, e.block))
		t.Logf("first failure: %s / %s: %s", r.FirstFailure.Check, r.FirstFailure.Subject, r.FirstFailure.Detail)
	})

	t.Run("malformed", func(t *testing.T) {
		for name, f := range map[string]*evidence.FabricBlocks{
			"nil":          nil,
			"empty":        {},
			"garbage":      {ConfigBlock: []byte("not a block"), Blocks: [][]byte{{0xff, 0x01}}},
			"config twice": {ConfigBlock: ev.ConfigBlock, Blocks: [][]byte{ev.ConfigBlock}},
		} {
			r, txs := verify(f, trust, ids...)
			require.True(t, r.Failed(), name)
			require.Empty(t, txs, name)
		}
	})
}
