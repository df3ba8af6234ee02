package proof_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/evidence"
	"github.com/efa-marktplatz/registry/internal/demo"
	"github.com/efa-marktplatz/registry/internal/embedded"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/proof"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
)

// registry is an embedded registry seeded with the demo, in which the
// Aufenthaltstitel agreement of Köln has 8 signed acts: interest, fees, two
// approvals, order, a fee change and its two approvals.
type registry struct {
	dir    string
	ledger *ledger.Ledger
	client *client.Client
	trust  *proof.Trust
}

const eightActs = "koeln-aufenthaltstitel"

func newRegistry(t testing.TB) *registry {
	t.Helper()
	dir := t.TempDir()
	l, err := embedded.Open(filepath.Join(dir, "ledger"), ledger.Options{MSPID: demo.Members[0]})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, l.Close()) })
	ctx := context.Background()
	require.NoError(t, demo.Seed(ctx, l, dir))
	c, err := l.Client(demo.Members[0], "client")
	require.NoError(t, err)
	r := &registry{dir: dir, ledger: l.Ledger, client: c}

	var a schema.Agreement
	require.NoError(t, json.Unmarshal(r.get(t, schema.AgreementRef(eightActs)), &a))
	require.Equal(t, schema.AgreementFeeChangePending, a.Status)
	for _, p := range []string{a.Customer, a.Anbieter} {
		r.act(t, p, &schema.ApproveFeesMessage{Agreement: a.ID, Party: p, FeeVersion: schema.Uint(a.FeeVersion), TermsHash: a.TermsHash,
			Replay: schema.Replay{Nonce: "9000" + strconv.Itoa(len(p)), Deadline: 4_000_000_000}})
	}
	r.trust, err = proof.LoadRoots(filepath.Join(dir, "ledger", "msp"))
	require.NoError(t, err)
	return r
}

func (r *registry) get(t testing.TB, ref schema.Ref) []byte {
	t.Helper()
	raw, err := r.client.Record(context.Background(), ref)
	require.NoError(t, err)
	return raw
}

func (r *registry) key(t testing.TB, party string) *ecdsa.PrivateKey {
	t.Helper()
	hexKey, err := os.ReadFile(filepath.Join(r.dir, "demo-keys", party+".key"))
	require.NoError(t, err)
	k, err := crypto.HexToECDSA(strings.TrimSpace(string(hexKey)))
	require.NoError(t, err)
	return k
}

func (r *registry) act(t testing.TB, party string, m schema.Message) {
	t.Helper()
	act, err := schema.SignAct(r.ledger.ChannelID(), m, r.key(t, party))
	require.NoError(t, err)
	_, err = r.client.Act(context.Background(), act)
	require.NoError(t, err)
}

func (r *registry) bundle(t testing.TB, agreement string, from ...uint64) *proof.Bundle {
	t.Helper()
	var o proof.BuildOptions
	if len(from) > 0 {
		o.From = &from[0]
	}
	b, err := proof.Build(context.Background(), r.client, agreement, o)
	require.NoError(t, err)
	// What the auditor gets is the file: go through JSON.
	raw, err := json.MarshalIndent(b, "", "  ")
	require.NoError(t, err)
	out, err := proof.Read(bytes.NewReader(raw))
	require.NoError(t, err)
	return out
}

func failed(r *proof.Report) []proof.Item {
	var out []proof.Item
	for _, it := range r.Items {
		if !it.OK {
			out = append(out, it)
		}
	}
	return out
}

func TestHonestBundleVerifies(t *testing.T) {
	r := newRegistry(t)
	for _, id := range []string{eightActs, "koeln-bauantrag", "hamburg-fuehrerschein", "hamburg-aufenthaltstitel", "koeln-bauantrag-bezirk-porz"} {
		t.Run(id, func(t *testing.T) {
			b := r.bundle(t, id)
			report, terms := proof.Verify(b, r.trust)
			require.True(t, report.OK, "%+v", failed(report))
			require.Nil(t, report.FirstFailure)
			require.NotNil(t, terms)
			require.Equal(t, id, terms.Agreement)
			var a schema.Agreement
			require.NoError(t, json.Unmarshal(r.get(t, schema.AgreementRef(id)), &a))
			for _, act := range terms.Acts {
				require.NotEmpty(t, act.Recovered, "%+v", act)
				require.NotNil(t, act.Key, "%+v", act)
				require.Equal(t, act.Recovered, act.Key.Address)
				require.Equal(t, "VALID", act.ValidationCode)
				require.Equal(t, []string{demo.Members[0]}, act.Endorsers)
				require.NotZero(t, act.BlockNumber)
			}
			if a.FeeVersion > 0 {
				require.NotNil(t, terms.Terms)
				require.Equal(t, a.Customer, terms.Terms.Customer)
			}
		})
	}

	report, terms := proof.Verify(r.bundle(t, eightActs), r.trust)
	require.True(t, report.OK)
	agreementActs := 0
	for _, a := range terms.Acts {
		if a.Record == "agreement" {
			agreementActs++
		}
	}
	require.Equal(t, 8, agreementActs)
	require.Equal(t, schema.AgreementConcluded, terms.Status)
	require.Equal(t, schema.Uint(2), terms.FeeVersion, "the fee change is in force")
}

// A checkpoint the auditor pinned holds when the bundle's chain reaches it.
func TestCheckpoint(t *testing.T) {
	r := newRegistry(t)
	pinned := func(n uint64) *proof.Trust {
		b, err := r.ledger.Block(n)
		require.NoError(t, err)
		return &proof.Trust{Roots: r.trust.Roots, Checkpoint: &proof.Checkpoint{Number: n, Hash: b.Header.Hash()}}
	}
	for _, tc := range []struct {
		name   string
		from   []uint64
		pin    uint64
		holds  bool
		detail string
	}{
		{"the genesis block", nil, 0, true, ""},
		{"block 1, bundle from block 0", []uint64{0}, 1, true, ""},
		{"block 5, bundle from block 3", []uint64{3}, 5, true, ""},
		{"block 20, bundle from the first evidence block", nil, 20, true, ""},
		{"a block after the bundle's last", nil, r.ledger.Height() - 1, false, "does not reach block"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			report, _ := proof.Verify(r.bundle(t, "koeln-bauantrag", tc.from...), pinned(tc.pin))
			require.Equal(t, tc.holds, report.OK, "%+v", report.FirstFailure)
			if !tc.holds {
				require.Equal(t, proof.CheckCheckpoint, report.FirstFailure.Check)
				require.Contains(t, report.FirstFailure.Detail, tc.detail)
			}
		})
	}
}

// Each change of the evidence fails the verification, and the first failure
// names what broke.
func TestTamperedBundleFails(t *testing.T) {
	r := newRegistry(t)
	honest := r.bundle(t, eightActs)
	other := newRegistry(t) // another ledger: its roots are not ours

	// dataBlock is the index of a whole block holding one of the agreement's acts.
	dataBlock := -1
	for i := len(honest.Embedded) - 1; i > 0; i-- {
		if len(honest.Embedded[i].Data) > 0 {
			dataBlock = i
			break
		}
	}
	require.Positive(t, dataBlock)
	replace := func(raw json.RawMessage, old, new string) json.RawMessage {
		require.Contains(t, string(raw), old)
		return json.RawMessage(strings.Replace(string(raw), old, new, 1))
	}
	var a schema.Agreement
	require.NoError(t, json.Unmarshal(honest.Records.Agreement, &a))
	acts := make([]schema.SignedAct, len(honest.Records.AgreementActs))
	for i, raw := range honest.Records.AgreementActs {
		require.NoError(t, json.Unmarshal(raw, &acts[i]))
	}

	for _, tc := range []struct {
		name   string
		tamper func(b *proof.Bundle, trust *proof.Trust) *proof.Trust
		check  proof.Check
		detail string
	}{
		{"one byte of a fee", func(b *proof.Bundle, tr *proof.Trust) *proof.Trust {
			b.Records.FeeVersions[1] = replace(b.Records.FeeVersions[1], `"annualFee": "1029000"`, `"annualFee": "1029001"`)
			return tr
		}, proof.CheckRecordWritten, "fee version 2"},
		{"a signature", func(b *proof.Bundle, tr *proof.Trust) *proof.Trust {
			sig := acts[3].Signature
			b.Records.AgreementActs[3] = replace(b.Records.AgreementActs[3], sig, sig[:10]+flipHex(sig[10])+sig[11:])
			return tr
		}, proof.CheckRecordWritten, "act 4 on agreement " + eightActs},
		{"an act left out", func(b *proof.Bundle, tr *proof.Trust) *proof.Trust {
			b.Records.AgreementActs = b.Records.AgreementActs[:len(b.Records.AgreementActs)-1]
			return tr
		}, proof.CheckRecordWritten, "counts 8 signed acts, the bundle presents 7"},
		{"a block header", func(b *proof.Bundle, tr *proof.Trust) *proof.Trust {
			h := b.Embedded[dataBlock].Header
			h[len(h)-1] ^= 0x01 // the transaction count
			return tr
		}, proof.CheckDataHash, ""},
		{"the header's timestamp", func(b *proof.Bundle, tr *proof.Trust) *proof.Trust {
			h := b.Embedded[dataBlock].Header
			h[len(h)-5] ^= 0x01
			return tr
		}, proof.CheckNodeSignature, ""},
		{"the node's signature (the embedded endorsement)", func(b *proof.Bundle, tr *proof.Trust) *proof.Trust {
			s := b.Embedded[dataBlock].Signature
			s[len(s)-1] ^= 0x01
			return tr
		}, proof.CheckNodeSignature, ""},
		{"a transaction record", func(b *proof.Bundle, tr *proof.Trust) *proof.Trust {
			d := b.Embedded[dataBlock].Data[0]
			d[len(d)-1] ^= 0x01
			return tr
		}, proof.CheckDataHash, ""},
		{"the certificate (roots of another ledger)", func(b *proof.Bundle, _ *proof.Trust) *proof.Trust {
			return other.trust
		}, proof.CheckNodeCertificate, "chains to none of the supplied roots"},
		{"a block swapped for another", func(b *proof.Bundle, tr *proof.Trust) *proof.Trust {
			b.Embedded[dataBlock], b.Embedded[dataBlock-1] = b.Embedded[dataBlock-1], b.Embedded[dataBlock]
			return tr
		}, proof.CheckHeaderChain, ""},
		{"a block from another ledger", func(b *proof.Bundle, tr *proof.Trust) *proof.Trust {
			ob := other.bundle(t, eightActs)
			b.Embedded[dataBlock] = ob.Embedded[dataBlock]
			return tr
		}, proof.CheckHeaderChain, ""},
		{"a transaction left out", func(b *proof.Bundle, tr *proof.Trust) *proof.Trust {
			i := slices.Index(b.Transactions, acts[0].TxID)
			require.GreaterOrEqual(t, i, 0)
			b.Transactions = slices.Delete(b.Transactions, i, i+1)
			return tr
		}, proof.CheckRecordWritten, "no transaction of the bundle wrote act 1 on agreement " + eightActs},
		{"a wrong checkpoint", func(b *proof.Bundle, tr *proof.Trust) *proof.Trust {
			return &proof.Trust{Roots: tr.Roots, Checkpoint: &proof.Checkpoint{Number: 1, Hash: bytes.Repeat([]byte{1}, 32)}}
		}, proof.CheckCheckpoint, ""},
		{"another channel's domain", func(b *proof.Bundle, tr *proof.Trust) *proof.Trust {
			b.EIP712.Domain.Name = "Another Registry"
			return tr
		}, proof.CheckEIP712, ""},
		{"no roots", func(b *proof.Bundle, _ *proof.Trust) *proof.Trust { return &proof.Trust{} }, proof.CheckRoots, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := r.bundle(t, eightActs) // a fresh copy
			trust := tc.tamper(b, r.trust)
			report, _ := proof.Verify(b, trust)
			require.False(t, report.OK)
			require.NotNil(t, report.FirstFailure)
			require.Equal(t, tc.check, report.FirstFailure.Check, "%+v", report.FirstFailure)
			require.Contains(t, report.FirstFailure.Subject+" "+report.FirstFailure.Detail, tc.detail)
		})
	}
}

func flipHex(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}

// Every byte of the embedded evidence that the verification rests on is
// covered: flipping it (every byte of headers and signatures, every fifth of
// records and identities) fails the verification and never panics. The
// signatures of header-only blocks are left out: the chain and the signed
// last header vouch for those headers, not their own signatures.
func TestEveryEvidenceByteIsCovered(t *testing.T) {
	r := newRegistry(t)
	b := r.bundle(t, eightActs)
	flips := 0
	// flip changes one byte, verifies, and puts the byte back.
	flip := func(where string, buf []byte, j int) {
		buf[j] ^= 0x01
		report, _ := proof.Verify(b, r.trust)
		buf[j] ^= 0x01
		require.False(t, report.OK, "flipping %s went unnoticed", where)
		flips++
	}
	for i, blk := range b.Embedded {
		whole := len(blk.Data) > 0 || i == len(b.Embedded)-1
		for j := range blk.Header {
			flip(fmt.Sprintf("block %d header byte %d", i, j), blk.Header, j)
		}
		if whole {
			for j := range blk.Signature {
				flip(fmt.Sprintf("block %d signature byte %d", i, j), blk.Signature, j)
			}
		}
		for k, d := range blk.Data {
			for j := 0; j < len(d); j += 5 {
				flip(fmt.Sprintf("block %d record %d byte %d", i, k, j), d, j)
			}
		}
		for k, c := range blk.Creators {
			for j := 0; j < len(c); j += 5 {
				flip(fmt.Sprintf("block %d creator %d byte %d", i, k, j), c, j)
			}
		}
	}
	report, _ := proof.Verify(b, r.trust)
	require.True(t, report.OK, "every byte was put back")
	t.Logf("%d flips, each detected", flips)
}

// actingSource commits an act on the agreement just before it lists the
// agreement's acts, as a portal might while a bundle is being built.
type actingSource struct {
	*client.Client
	act func()
}

func (s *actingSource) Acts(ctx context.Context, ref schema.Ref) ([]json.RawMessage, error) {
	if ref.Record == schema.RecordAgreement && s.act != nil {
		s.act()
		s.act = nil
	}
	return s.Client.Acts(ctx, ref)
}

// A bundle built while an act commits is the agreement as its newest change
// in the evidence left it: the later act is not presented, and the bundle
// verifies.
func TestBundleBuiltWhileAnActCommits(t *testing.T) {
	r := newRegistry(t)
	var a schema.Agreement
	require.NoError(t, json.Unmarshal(r.get(t, schema.AgreementRef(eightActs)), &a))
	src := &actingSource{Client: r.client, act: func() {
		r.act(t, a.Customer, &schema.TerminateMessage{Agreement: a.ID, Party: a.Customer, EndDate: "2030-12-31",
			Replay: schema.Replay{Nonce: "9100", Deadline: 4_000_000_000}})
	}}
	b, err := proof.Build(context.Background(), src, eightActs, proof.BuildOptions{})
	require.NoError(t, err)
	require.Len(t, b.Records.AgreementActs, int(a.ActCount), "the act committed meanwhile is not presented")
	all, err := r.client.Acts(context.Background(), schema.AgreementRef(eightActs))
	require.NoError(t, err)
	require.Len(t, all, int(a.ActCount)+1, "the act did commit")
	report, _ := proof.Verify(b, r.trust)
	require.True(t, report.OK, "%+v", failed(report))
}

// The offering acceptance a bundle presents must be the Anbieter's
// acceptance of exactly the offering version the agreement rests on, as its
// transaction wrote it: not left out, not renumbered, not a genuine
// acceptance of another version, not another act on the offering.
func TestTamperedAcceptanceFails(t *testing.T) {
	r := newRegistry(t)
	ctx := context.Background()
	var a schema.Agreement
	require.NoError(t, json.Unmarshal(r.get(t, schema.AgreementRef(eightActs)), &a))
	var v1 schema.OfferingVersion
	require.NoError(t, json.Unmarshal(r.get(t, schema.OfferingVersionRef(a.Offering, a.OfferingVersion)), &v1))
	// The offering moves on: version 2, accepted, then withdrawn.
	v2 := v1.OfferingContent
	v2.Version, v2.Title = a.OfferingVersion+1, v1.Title+" (2)"
	r.act(t, a.Supplier, &schema.SubmitOfferingMessage{OfferingContent: v2, Replay: schema.Replay{Nonce: "9200", Deadline: 4_000_000_000}})
	var head schema.Offering
	require.NoError(t, json.Unmarshal(r.get(t, schema.OfferingRef(a.Offering)), &head))
	r.act(t, a.Anbieter, &schema.AcceptOfferingMessage{Offering: a.Offering, Version: v2.Version, OfferingHash: head.Hash,
		Replay: schema.Replay{Nonce: "9201", Deadline: 4_000_000_000}})
	r.act(t, a.Supplier, &schema.WithdrawOfferingMessage{Offering: a.Offering, Party: a.Supplier, Reason: "replaced",
		Replay: schema.Replay{Nonce: "9202", Deadline: 4_000_000_000}})
	offeringActs, err := r.client.Acts(ctx, schema.OfferingRef(a.Offering))
	require.NoError(t, err)
	types := make([]string, len(offeringActs))
	for i, raw := range offeringActs {
		var act schema.SignedAct
		require.NoError(t, json.Unmarshal(raw, &act))
		types[i] = act.Type
	}
	require.Equal(t, []string{schema.TypeAcceptOffering, schema.TypeAcceptOffering, schema.TypeWithdrawOffering}, types)

	honest := r.bundle(t, eightActs)
	report, _ := proof.Verify(honest, r.trust)
	require.True(t, report.OK, "%+v", failed(report))
	require.Equal(t, schema.Uint(1), honest.Records.OfferingAcceptance.Seq, "the acceptance of the version the agreement rests on")

	// The forger's bundle holds the transactions of the later offering acts
	// too, so that the acts are presented as their transactions wrote them.
	later := make([]string, 0, 2)
	for _, raw := range offeringActs[1:] {
		var act schema.SignedAct
		require.NoError(t, json.Unmarshal(raw, &act))
		later = append(later, act.TxID)
	}
	forged := func() *proof.Bundle {
		b, err := proof.Build(ctx, &withEvidence{Client: r.client, more: later}, eightActs, proof.BuildOptions{})
		require.NoError(t, err)
		b.Transactions = append(b.Transactions, later...)
		raw, err := json.Marshal(b)
		require.NoError(t, err)
		out, err := proof.Read(bytes.NewReader(raw))
		require.NoError(t, err)
		return out
	}
	report, _ = proof.Verify(forged(), r.trust)
	require.True(t, report.OK, "more evidence than needed is no failure: %+v", failed(report))

	for _, tc := range []struct {
		name       string
		acceptance *proof.LoggedAct
		check      proof.Check
		detail     string
	}{
		{"left out", nil, proof.CheckRecordWritten, "presents no acceptance"},
		{"renumbered", &proof.LoggedAct{Seq: 2, Act: offeringActs[0]}, proof.CheckRecordWritten, "(act 2)"},
		{"an acceptance of another version", &proof.LoggedAct{Seq: 2, Act: offeringActs[1]}, proof.CheckSignedMessage, "the agreement names version 1"},
		{"another act", &proof.LoggedAct{Seq: 3, Act: offeringActs[2]}, proof.CheckSignedMessage, "is a WithdrawOffering, not an acceptance"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := forged()
			b.Records.OfferingAcceptance = tc.acceptance
			report, _ := proof.Verify(b, r.trust)
			require.False(t, report.OK)
			require.NotNil(t, report.FirstFailure)
			require.Equal(t, tc.check, report.FirstFailure.Check, "%+v", report.FirstFailure)
			require.Contains(t, report.FirstFailure.Subject+" "+report.FirstFailure.Detail, tc.detail)
		})
	}
}

// withEvidence asks for the evidence of more transactions than the
// agreement's records rest on.
type withEvidence struct {
	*client.Client
	more []string
}

func (s *withEvidence) Evidence(ctx context.Context, txIDs []string, from *uint64) (*evidence.Set, error) {
	return s.Client.Evidence(ctx, append(slices.Clone(txIDs), s.more...), from)
}
