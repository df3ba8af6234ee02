package proof

// Unit tests of the Fabric verifier on synthetic blocks: the signature
// policy evaluator, BFT and Raft orderer signatures, and malformed bundles.
// The tests against the real network are in fabric_test.go (build tag
// fabric).

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/evidence"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

func rolePrincipal(t *testing.T, mspID string, role msp.MSPRole_MSPRoleType) *msp.MSPPrincipal {
	t.Helper()
	raw, err := proto.Marshal(&msp.MSPRole{MspIdentifier: mspID, Role: role})
	require.NoError(t, err)
	return &msp.MSPPrincipal{PrincipalClassification: msp.MSPPrincipal_ROLE, Principal: raw}
}

func signedBy(i int32) *common.SignaturePolicy {
	return &common.SignaturePolicy{Type: &common.SignaturePolicy_SignedBy{SignedBy: i}}
}

func nOutOf(n int32, rules ...*common.SignaturePolicy) *common.SignaturePolicy {
	return &common.SignaturePolicy{Type: &common.SignaturePolicy_NOutOf_{NOutOf: &common.SignaturePolicy_NOutOf{N: n, Rules: rules}}}
}

// satisfiesString is a principal check for signers written "MSP.role".
func satisfiesString(s string, p *msp.MSPPrincipal) bool {
	role := &msp.MSPRole{}
	if proto.Unmarshal(p.GetPrincipal(), role) != nil {
		return false
	}
	mspID, r, _ := strings.Cut(s, ".")
	if mspID != role.GetMspIdentifier() {
		return false
	}
	return role.GetRole() == msp.MSPRole_MEMBER || strings.EqualFold(r, role.GetRole().String())
}

func TestFabricSignaturePolicy(t *testing.T) {
	ids := []*msp.MSPPrincipal{
		rolePrincipal(t, "A", msp.MSPRole_PEER), rolePrincipal(t, "B", msp.MSPRole_PEER),
		rolePrincipal(t, "C", msp.MSPRole_PEER), rolePrincipal(t, "A", msp.MSPRole_MEMBER),
	}
	deep := signedBy(0)
	for range maxPolicyDepth + 1 {
		deep = nOutOf(1, deep)
	}
	tests := []struct {
		name    string
		rule    *common.SignaturePolicy
		signers []string
		want    bool
		wantErr string
	}{
		{"all of two, both sign", nOutOf(2, signedBy(0), signedBy(1)), []string{"B.peer", "A.peer"}, true, ""},
		{"all of two, one signs", nOutOf(2, signedBy(0), signedBy(1)), []string{"A.peer"}, false, ""},
		{"all of two, one org twice", nOutOf(2, signedBy(0), signedBy(1)), []string{"A.peer", "A.peer"}, false, ""},
		{"all of two, a client is no peer", nOutOf(2, signedBy(0), signedBy(1)), []string{"A.peer", "B.client"}, false, ""},
		{"one of two", nOutOf(1, signedBy(0), signedBy(1)), []string{"B.peer"}, true, ""},
		{"one of two, another org", nOutOf(1, signedBy(0), signedBy(1)), []string{"C.peer"}, false, ""},
		{"nested", nOutOf(2, nOutOf(1, signedBy(0), signedBy(1)), signedBy(2)), []string{"C.peer", "B.peer"}, true, ""},
		{"nested, inner unmet", nOutOf(2, nOutOf(1, signedBy(0), signedBy(1)), signedBy(2)), []string{"C.peer"}, false, ""},
		{"a signature satisfies one principal only", nOutOf(2, signedBy(3), signedBy(0)), []string{"A.peer"}, false, ""},
		// Fabric's cauthdsl is greedy: the member rule takes the first
		// signer that fits, so the order of the signatures matters.
		{"greedy, like Fabric: member takes the peer", nOutOf(2, signedBy(3), signedBy(0)), []string{"A.peer", "A.client"}, false, ""},
		{"greedy, like Fabric: member takes the client", nOutOf(2, signedBy(3), signedBy(0)), []string{"A.client", "A.peer"}, true, ""},
		{"zero of none", nOutOf(0), nil, true, ""},
		{"principal out of range", signedBy(4), []string{"A.peer"}, false, "identity 4 of 4"},
		{"negative principal", signedBy(-1), []string{"A.peer"}, false, "identity -1 of 4"},
		{"no rule", nil, []string{"A.peer"}, false, "without rule"},
		{"empty rule", &common.SignaturePolicy{}, []string{"A.peer"}, false, "unknown type"},
		{"nested too deep", deep, []string{"A.peer"}, false, "nested deeper"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := evalSignaturePolicy(&common.SignaturePolicyEnvelope{Rule: tc.rule, Identities: ids}, tc.signers, satisfiesString)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, ok)
		})
	}
	desc, err := describePolicy(nOutOf(2, signedBy(0), nOutOf(1, signedBy(1), signedBy(3))), ids, 0)
	require.NoError(t, err)
	require.Equal(t, "2 of (A.peer, 1 of (B.peer, A.member))", desc)
}

func TestFabricBFTQuorum(t *testing.T) {
	for n, want := range map[int]int{1: 1, 3: 2, 4: 3, 5: 4, 7: 5, 10: 7} {
		require.Equal(t, want, bftQuorum(n), "n=%d", n)
	}
}

// ---- synthetic networks ----

type testCA struct {
	mspID string
	key   *ecdsa.PrivateKey
	cert  *x509.Certificate
	pem   []byte
}

func newTestCA(t *testing.T, mspID string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	now := time.Now().Add(-time.Hour)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ca." + mspID},
		NotBefore: now, NotAfter: now.AddDate(1, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return &testCA{mspID: mspID, key: key, cert: cert, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

type testSigner struct {
	mspID string
	key   *ecdsa.PrivateKey
	pem   []byte
}

var lastSerial int64 = 100

func (ca *testCA) issue(t *testing.T, cn, ou string) *testSigner {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	lastSerial++
	now := time.Now().Add(-time.Hour)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(lastSerial), Subject: pkix.Name{CommonName: cn, OrganizationalUnit: []string{ou}},
		NotBefore: now, NotAfter: now.AddDate(1, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	return &testSigner{mspID: ca.mspID, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

func (s *testSigner) identity(t *testing.T) []byte {
	return marshal(t, &msp.SerializedIdentity{Mspid: s.mspID, IdBytes: s.pem})
}

// sign signs as Fabric does: ECDSA over SHA-256, low S.
func (s *testSigner) sign(t *testing.T, msg []byte) []byte {
	t.Helper()
	digest := sha256.Sum256(msg)
	r, sv, err := ecdsa.Sign(rand.Reader, s.key, digest[:])
	require.NoError(t, err)
	n := s.key.Curve.Params().N
	if sv.Cmp(new(big.Int).Rsh(n, 1)) > 0 {
		sv.Sub(n, sv)
	}
	sig, err := asn1.Marshal(struct{ R, S *big.Int }{r, sv})
	require.NoError(t, err)
	return sig
}

func marshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	raw, err := proto.Marshal(m)
	require.NoError(t, err)
	return raw
}

func mspGroup(t *testing.T, ca *testCA) *common.ConfigGroup {
	fc := &msp.FabricMSPConfig{Name: ca.mspID, RootCerts: [][]byte{ca.pem}, FabricNodeOus: &msp.FabricNodeOUs{
		Enable:              true,
		PeerOuIdentifier:    &msp.FabricOUIdentifier{OrganizationalUnitIdentifier: "peer"},
		OrdererOuIdentifier: &msp.FabricOUIdentifier{OrganizationalUnitIdentifier: "orderer"},
	}}
	return &common.ConfigGroup{Values: map[string]*common.ConfigValue{
		"MSP": {Value: marshal(t, &msp.MSPConfig{Config: marshal(t, fc)})},
	}}
}

func envelope(t *testing.T, typ common.HeaderType, channel, txID string, data []byte) []byte {
	chdr := marshal(t, &common.ChannelHeader{Type: int32(typ), ChannelId: channel, TxId: txID})
	pl := marshal(t, &common.Payload{Header: &common.Header{ChannelHeader: chdr}, Data: data})
	return marshal(t, &common.Envelope{Payload: pl})
}

func newBlock(number uint64, prev []byte, data ...[]byte) *common.Block {
	b := &common.Block{
		Header:   &common.BlockHeader{Number: number, PreviousHash: prev},
		Data:     &common.BlockData{Data: data},
		Metadata: &common.BlockMetadata{Metadata: make([][]byte, 5)},
	}
	b.Header.DataHash = dataHash(b.Data)
	b.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = make([]byte, len(data)) // all VALID
	return b
}

// testNet is a synthetic channel: an orderer org with four orderers, one
// application org, a genesis config block and a block 1.
type testNet struct {
	ord, app *testCA
	orderers []*testSigner
	trust    *Trust
	genesis  *common.Block
}

func newTestNet(t *testing.T, bft bool) *testNet {
	t.Helper()
	n := &testNet{ord: newTestCA(t, "OrdMSP"), app: newTestCA(t, "OrgMSP"), trust: &Trust{}}
	var consenters []*common.Consenter
	for i := range 4 {
		o := n.ord.issue(t, fmt.Sprintf("orderer%d", i), "orderer")
		n.orderers = append(n.orderers, o)
		consenters = append(consenters, &common.Consenter{Id: uint32(i + 1), MspId: o.mspID, Identity: o.pem})
	}
	ct := &orderer.ConsensusType{Type: "etcdraft"}
	if bft {
		ct.Type = "BFT"
	}
	ordGroup := &common.ConfigGroup{
		Groups: map[string]*common.ConfigGroup{"Ord": mspGroup(t, n.ord)},
		Values: map[string]*common.ConfigValue{
			"ConsensusType": {Value: marshal(t, ct)},
			"Orderers":      {Value: marshal(t, &common.Orderers{ConsenterMapping: consenters})},
		},
	}
	cfg := &common.ConfigEnvelope{Config: &common.Config{ChannelGroup: &common.ConfigGroup{Groups: map[string]*common.ConfigGroup{
		"Application": {Groups: map[string]*common.ConfigGroup{"Org": mspGroup(t, n.app)}},
		"Orderer":     ordGroup,
	}}}}
	n.genesis = newBlock(0, nil, envelope(t, common.HeaderType_CONFIG, "ch", "", marshal(t, cfg)))
	n.trust.Genesis = headerHash(n.genesis.GetHeader())
	require.NoError(t, n.trust.AddRootsPEM("OrdMSP", n.ord.pem))
	require.NoError(t, n.trust.AddRootsPEM("OrgMSP", n.app.pem))
	return n
}

// block1 is block 1, signed by the signers: by consenter id (BFT) when
// byID, else with a signature header.
func (n *testNet) block1(t *testing.T, byID bool, signers ...int) *common.Block {
	t.Helper()
	b := newBlock(1, headerHash(n.genesis.Header), envelope(t, common.HeaderType_ENDORSER_TRANSACTION, "ch", "tx1", nil))
	value := marshal(t, &common.OrdererBlockMetadata{LastConfig: &common.LastConfig{Index: 0}})
	m := &common.Metadata{Value: value}
	for _, i := range signers {
		s := &common.MetadataSignature{}
		if byID {
			// An index past the orderers names a consenter id the config
			// does not hold (signed by orderer 0).
			key := n.orderers[0]
			if i < len(n.orderers) {
				key = n.orderers[i]
			}
			s.IdentifierHeader = marshal(t, &common.IdentifierHeader{Identifier: uint32(i + 1), Nonce: []byte{byte(i)}})
			s.Signature = key.sign(t, concat(value, s.IdentifierHeader, headerBytes(b.Header)))
		} else {
			s.SignatureHeader = marshal(t, &common.SignatureHeader{Creator: n.orderers[i].identity(t), Nonce: []byte{byte(i)}})
			s.Signature = n.orderers[i].sign(t, concat(value, s.SignatureHeader, headerBytes(b.Header)))
		}
		m.Signatures = append(m.Signatures, s)
	}
	b.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES] = marshal(t, m)
	return b
}

func (n *testNet) ledger(t *testing.T, blocks ...*common.Block) *evidence.FabricBlocks {
	f := &evidence.FabricBlocks{ConfigBlock: marshal(t, n.genesis)}
	for _, b := range blocks {
		f.Blocks = append(f.Blocks, marshal(t, b))
	}
	return f
}

func TestFabricOrdererSignatures(t *testing.T) {
	bft, raft := newTestNet(t, true), newTestNet(t, false)
	// A signer that is not an orderer: an orderer-org peer, and an
	// application-org certificate that claims the orderer OU.
	ordPeer, appOrderer := raft.ord.issue(t, "peer0.ord", "peer"), raft.app.issue(t, "orderer.app", "orderer")
	withSigner := func(n *testNet, s *testSigner) *common.Block {
		b := n.block1(t, false)
		value := marshal(t, &common.OrdererBlockMetadata{LastConfig: &common.LastConfig{}})
		sh := marshal(t, &common.SignatureHeader{Creator: s.identity(t)})
		m := &common.Metadata{Value: value, Signatures: []*common.MetadataSignature{{
			SignatureHeader: sh, Signature: s.sign(t, concat(value, sh, headerBytes(b.Header))),
		}}}
		b.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES] = marshal(t, m)
		return b
	}
	tests := []struct {
		name    string
		net     *testNet
		block   *common.Block
		wantErr string
	}{
		{"BFT quorum by id", bft, bft.block1(t, true, 0, 1, 2), ""},
		{"BFT quorum by signature header", bft, bft.block1(t, false, 3, 1, 2), ""},
		{"BFT all four", bft, bft.block1(t, true, 0, 1, 2, 3), ""},
		{"BFT below quorum", bft, bft.block1(t, true, 0, 2), "2 of 4 BFT consenters signed validly, the quorum is 3"},
		{"BFT one consenter thrice", bft, bft.block1(t, true, 1, 1, 1), "1 of 4 BFT consenters"},
		{"BFT quorum short of an unknown consenter", bft, bft.block1(t, true, 0, 1, 8), "consenter 9 is not in the channel config"},
		{"Raft one signature", raft, raft.block1(t, false, 2), ""},
		{"Raft no signature", raft, raft.block1(t, false), "no orderer signatures"},
		{"Raft signer of the orderer org without the orderer OU", raft, withSigner(raft, ordPeer), "lacks the OU \"orderer\""},
		{"Raft signer of an application org", raft, withSigner(raft, appOrderer), "OrgMSP is not an orderer organisation"},
		{"Raft signature by consenter id", raft, raft.block1(t, true, 0), "only BFT orderers do"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &Report{}
			txs := VerifyFabric(r, tc.net.ledger(t, tc.block), tc.net.trust, "ch", "cc", nil)
			require.Empty(t, txs)
			if tc.wantErr == "" {
				require.False(t, r.Failed(), "first failure: %+v", r.FirstFailure)
				return
			}
			require.True(t, r.Failed())
			require.Equal(t, CheckOrdererSignature, r.FirstFailure.Check)
			require.Equal(t, "block 1", r.FirstFailure.Subject)
			require.Contains(t, r.FirstFailure.Detail, tc.wantErr)
		})
	}
}

// A bundle is untrusted input: no corruption of it may panic the verifier.
func TestFabricMalformedBundles(t *testing.T) {
	n := newTestNet(t, true)
	honest := n.ledger(t, n.block1(t, true, 0, 1, 2))
	r := &Report{}
	VerifyFabric(r, honest, n.trust, "ch", "cc", []string{"tx1"})
	// tx1 is no endorser transaction: the bundle parses, the tx fails.
	require.Equal(t, CheckTransaction, r.FirstFailure.Check)

	mutate := func(raw []byte, i int, how int) []byte {
		out := append([]byte(nil), raw...)
		switch how {
		case 0:
			out[i] ^= 0xff
		case 1:
			out = out[:i]
		default:
			out[i] = 0x0a // a length-delimited field tag
		}
		return out
	}
	for _, target := range []string{"config", "block"} {
		raw := honest.ConfigBlock
		if target == "block" {
			raw = honest.Blocks[0]
		}
		for i := 0; i < len(raw); i += 1 + len(raw)/400 {
			for how := range 3 {
				f := &evidence.FabricBlocks{ConfigBlock: honest.ConfigBlock, Blocks: honest.Blocks}
				if target == "config" {
					f.ConfigBlock = mutate(raw, i, how)
				} else {
					f.Blocks = [][]byte{mutate(raw, i, how)}
				}
				require.NotPanics(t, func() {
					VerifyFabric(&Report{}, f, n.trust, "ch", "cc", []string{"tx1", "tx2"})
				}, "%s byte %d, mutation %d", target, i, how)
			}
		}
	}
	for name, f := range map[string]*evidence.FabricBlocks{
		"nil": nil, "empty": {}, "nil blocks": {ConfigBlock: honest.ConfigBlock, Blocks: [][]byte{nil, {}}},
	} {
		r := &Report{}
		require.NotPanics(t, func() { VerifyFabric(r, f, nil, "ch", "cc", []string{"tx1"}) }, name)
		require.True(t, r.Failed(), name)
	}
}
