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

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

func fabRole(t *testing.T, mspID string, role msp.MSPRole_MSPRoleType) *msp.MSPPrincipal {
	t.Helper()
	raw, err := proto.Marshal(&msp.MSPRole{MspIdentifier: mspID, Role: role})
	require.NoError(t, err)
	return &msp.MSPPrincipal{PrincipalClassification: msp.MSPPrincipal_ROLE, Principal: raw}
}

func fabSignedBy(i int32) *common.SignaturePolicy {
	return &common.SignaturePolicy{Type: &common.SignaturePolicy_SignedBy{SignedBy: i}}
}

func fabNOutOf(n int32, rules ...*common.SignaturePolicy) *common.SignaturePolicy {
	return &common.SignaturePolicy{Type: &common.SignaturePolicy_NOutOf_{NOutOf: &common.SignaturePolicy_NOutOf{N: n, Rules: rules}}}
}

// fabSatisfiesString is a principal check for signers written "MSP.role".
func fabSatisfiesString(s string, p *msp.MSPPrincipal) bool {
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
		fabRole(t, "A", msp.MSPRole_PEER), fabRole(t, "B", msp.MSPRole_PEER),
		fabRole(t, "C", msp.MSPRole_PEER), fabRole(t, "A", msp.MSPRole_MEMBER),
	}
	deep := fabSignedBy(0)
	for range fabMaxPolicyDepth + 1 {
		deep = fabNOutOf(1, deep)
	}
	tests := []struct {
		name    string
		rule    *common.SignaturePolicy
		signers []string
		want    bool
		wantErr string
	}{
		{"all of two, both sign", fabNOutOf(2, fabSignedBy(0), fabSignedBy(1)), []string{"B.peer", "A.peer"}, true, ""},
		{"all of two, one signs", fabNOutOf(2, fabSignedBy(0), fabSignedBy(1)), []string{"A.peer"}, false, ""},
		{"all of two, one org twice", fabNOutOf(2, fabSignedBy(0), fabSignedBy(1)), []string{"A.peer", "A.peer"}, false, ""},
		{"all of two, a client is no peer", fabNOutOf(2, fabSignedBy(0), fabSignedBy(1)), []string{"A.peer", "B.client"}, false, ""},
		{"one of two", fabNOutOf(1, fabSignedBy(0), fabSignedBy(1)), []string{"B.peer"}, true, ""},
		{"one of two, another org", fabNOutOf(1, fabSignedBy(0), fabSignedBy(1)), []string{"C.peer"}, false, ""},
		{"nested", fabNOutOf(2, fabNOutOf(1, fabSignedBy(0), fabSignedBy(1)), fabSignedBy(2)), []string{"C.peer", "B.peer"}, true, ""},
		{"nested, inner unmet", fabNOutOf(2, fabNOutOf(1, fabSignedBy(0), fabSignedBy(1)), fabSignedBy(2)), []string{"C.peer"}, false, ""},
		{"a signature satisfies one principal only", fabNOutOf(2, fabSignedBy(3), fabSignedBy(0)), []string{"A.peer"}, false, ""},
		// Fabric's cauthdsl is greedy: the member rule takes the first
		// signer that fits, so the order of the signatures matters.
		{"greedy, like Fabric: member takes the peer", fabNOutOf(2, fabSignedBy(3), fabSignedBy(0)), []string{"A.peer", "A.client"}, false, ""},
		{"greedy, like Fabric: member takes the client", fabNOutOf(2, fabSignedBy(3), fabSignedBy(0)), []string{"A.client", "A.peer"}, true, ""},
		{"zero of none", fabNOutOf(0), nil, true, ""},
		{"principal out of range", fabSignedBy(4), []string{"A.peer"}, false, "identity 4 of 4"},
		{"negative principal", fabSignedBy(-1), []string{"A.peer"}, false, "identity -1 of 4"},
		{"no rule", nil, []string{"A.peer"}, false, "without rule"},
		{"empty rule", &common.SignaturePolicy{}, []string{"A.peer"}, false, "unknown type"},
		{"nested too deep", deep, []string{"A.peer"}, false, "nested deeper"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := fabEvalSignaturePolicy(&common.SignaturePolicyEnvelope{Rule: tc.rule, Identities: ids}, tc.signers, fabSatisfiesString)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, ok)
		})
	}
	desc, err := fabDescribePolicy(fabNOutOf(2, fabSignedBy(0), fabNOutOf(1, fabSignedBy(1), fabSignedBy(3))), ids, 0)
	require.NoError(t, err)
	require.Equal(t, "2 of (A.peer, 1 of (B.peer, A.member))", desc)
}

func TestFabricBFTQuorum(t *testing.T) {
	for n, want := range map[int]int{1: 1, 3: 2, 4: 3, 5: 4, 7: 5, 10: 7} {
		require.Equal(t, want, fabBFTQuorum(n), "n=%d", n)
	}
}

// ---- synthetic networks ----

type fabTestCA struct {
	mspID string
	key   *ecdsa.PrivateKey
	cert  *x509.Certificate
	pem   []byte
}

func fabNewCA(t *testing.T, mspID string) *fabTestCA {
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
	return &fabTestCA{mspID: mspID, key: key, cert: cert, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

type fabTestSigner struct {
	mspID string
	key   *ecdsa.PrivateKey
	pem   []byte
}

var fabSerial int64 = 100

func (ca *fabTestCA) issue(t *testing.T, cn, ou string) *fabTestSigner {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	fabSerial++
	now := time.Now().Add(-time.Hour)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(fabSerial), Subject: pkix.Name{CommonName: cn, OrganizationalUnit: []string{ou}},
		NotBefore: now, NotAfter: now.AddDate(1, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	return &fabTestSigner{mspID: ca.mspID, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

func (s *fabTestSigner) identity(t *testing.T) []byte {
	return fabMarshal(t, &msp.SerializedIdentity{Mspid: s.mspID, IdBytes: s.pem})
}

// sign signs as Fabric does: ECDSA over SHA-256, low S.
func (s *fabTestSigner) sign(t *testing.T, msg []byte) []byte {
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

func fabMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	raw, err := proto.Marshal(m)
	require.NoError(t, err)
	return raw
}

func fabMSPGroup(t *testing.T, ca *fabTestCA) *common.ConfigGroup {
	fc := &msp.FabricMSPConfig{Name: ca.mspID, RootCerts: [][]byte{ca.pem}, FabricNodeOus: &msp.FabricNodeOUs{
		Enable:              true,
		PeerOuIdentifier:    &msp.FabricOUIdentifier{OrganizationalUnitIdentifier: "peer"},
		OrdererOuIdentifier: &msp.FabricOUIdentifier{OrganizationalUnitIdentifier: "orderer"},
	}}
	return &common.ConfigGroup{Values: map[string]*common.ConfigValue{
		"MSP": {Value: fabMarshal(t, &msp.MSPConfig{Config: fabMarshal(t, fc)})},
	}}
}

func fabEnvelope(t *testing.T, typ common.HeaderType, channel, txID string, data []byte) []byte {
	chdr := fabMarshal(t, &common.ChannelHeader{Type: int32(typ), ChannelId: channel, TxId: txID})
	pl := fabMarshal(t, &common.Payload{Header: &common.Header{ChannelHeader: chdr}, Data: data})
	return fabMarshal(t, &common.Envelope{Payload: pl})
}

func fabBlock(number uint64, prev []byte, data ...[]byte) *common.Block {
	b := &common.Block{
		Header:   &common.BlockHeader{Number: number, PreviousHash: prev},
		Data:     &common.BlockData{Data: data},
		Metadata: &common.BlockMetadata{Metadata: make([][]byte, 5)},
	}
	b.Header.DataHash = fabBlockDataHash(b.Data)
	b.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = make([]byte, len(data)) // all VALID
	return b
}

// fabNet is a synthetic channel: an orderer org with four orderers, one
// application org, a genesis config block and a block 1.
type fabNet struct {
	ord, app *fabTestCA
	orderers []*fabTestSigner
	trust    *Trust
	genesis  *common.Block
}

func fabNewNet(t *testing.T, bft bool) *fabNet {
	t.Helper()
	n := &fabNet{ord: fabNewCA(t, "OrdMSP"), app: fabNewCA(t, "OrgMSP"), trust: &Trust{}}
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
		Groups: map[string]*common.ConfigGroup{"Ord": fabMSPGroup(t, n.ord)},
		Values: map[string]*common.ConfigValue{
			"ConsensusType": {Value: fabMarshal(t, ct)},
			"Orderers":      {Value: fabMarshal(t, &common.Orderers{ConsenterMapping: consenters})},
		},
	}
	cfg := &common.ConfigEnvelope{Config: &common.Config{ChannelGroup: &common.ConfigGroup{Groups: map[string]*common.ConfigGroup{
		"Application": {Groups: map[string]*common.ConfigGroup{"Org": fabMSPGroup(t, n.app)}},
		"Orderer":     ordGroup,
	}}}}
	n.genesis = fabBlock(0, nil, fabEnvelope(t, common.HeaderType_CONFIG, "ch", "", fabMarshal(t, cfg)))
	n.trust.Genesis = fabBlockHeaderHash(n.genesis.GetHeader())
	require.NoError(t, n.trust.AddRootsPEM("OrdMSP", n.ord.pem))
	require.NoError(t, n.trust.AddRootsPEM("OrgMSP", n.app.pem))
	return n
}

// block1 is block 1, signed by the signers: by consenter id (BFT) when
// byID, else with a signature header.
func (n *fabNet) block1(t *testing.T, byID bool, signers ...int) *common.Block {
	t.Helper()
	b := fabBlock(1, fabBlockHeaderHash(n.genesis.Header), fabEnvelope(t, common.HeaderType_ENDORSER_TRANSACTION, "ch", "tx1", nil))
	value := fabMarshal(t, &common.OrdererBlockMetadata{LastConfig: &common.LastConfig{Index: 0}})
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
			s.IdentifierHeader = fabMarshal(t, &common.IdentifierHeader{Identifier: uint32(i + 1), Nonce: []byte{byte(i)}})
			s.Signature = key.sign(t, fabConcat(value, s.IdentifierHeader, fabBlockHeaderBytes(b.Header)))
		} else {
			s.SignatureHeader = fabMarshal(t, &common.SignatureHeader{Creator: n.orderers[i].identity(t), Nonce: []byte{byte(i)}})
			s.Signature = n.orderers[i].sign(t, fabConcat(value, s.SignatureHeader, fabBlockHeaderBytes(b.Header)))
		}
		m.Signatures = append(m.Signatures, s)
	}
	b.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES] = fabMarshal(t, m)
	return b
}

func (n *fabNet) ledger(t *testing.T, blocks ...*common.Block) *FabricLedger {
	f := &FabricLedger{ConfigBlock: fabMarshal(t, n.genesis)}
	for _, b := range blocks {
		f.Blocks = append(f.Blocks, fabMarshal(t, b))
	}
	return f
}

func TestFabricOrdererSignatures(t *testing.T) {
	bft, raft := fabNewNet(t, true), fabNewNet(t, false)
	// A signer that is not an orderer: an orderer-org peer, and an
	// application-org certificate that claims the orderer OU.
	ordPeer, appOrderer := raft.ord.issue(t, "peer0.ord", "peer"), raft.app.issue(t, "orderer.app", "orderer")
	withSigner := func(n *fabNet, s *fabTestSigner) *common.Block {
		b := n.block1(t, false)
		value := fabMarshal(t, &common.OrdererBlockMetadata{LastConfig: &common.LastConfig{}})
		sh := fabMarshal(t, &common.SignatureHeader{Creator: s.identity(t)})
		m := &common.Metadata{Value: value, Signatures: []*common.MetadataSignature{{
			SignatureHeader: sh, Signature: s.sign(t, fabConcat(value, sh, fabBlockHeaderBytes(b.Header))),
		}}}
		b.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES] = fabMarshal(t, m)
		return b
	}
	tests := []struct {
		name    string
		net     *fabNet
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
			require.Equal(t, "orderer signature", r.FirstFailure.Check)
			require.Equal(t, "block 1", r.FirstFailure.Subject)
			require.Contains(t, r.FirstFailure.Detail, tc.wantErr)
		})
	}
}

// A bundle is untrusted input: no corruption of it may panic the verifier.
func TestFabricMalformedBundles(t *testing.T) {
	n := fabNewNet(t, true)
	honest := n.ledger(t, n.block1(t, true, 0, 1, 2))
	r := &Report{}
	VerifyFabric(r, honest, n.trust, "ch", "cc", []string{"tx1"})
	// tx1 is no endorser transaction: the bundle parses, the tx fails.
	require.Equal(t, "transaction", r.FirstFailure.Check)

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
				f := &FabricLedger{ConfigBlock: honest.ConfigBlock, Blocks: honest.Blocks}
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
	for name, f := range map[string]*FabricLedger{
		"nil": nil, "empty": {}, "nil blocks": {ConfigBlock: honest.ConfigBlock, Blocks: [][]byte{nil, {}}},
	} {
		r := &Report{}
		require.NotPanics(t, func() { VerifyFabric(r, f, nil, "ch", "cc", []string{"tx1"}) }, name)
		require.True(t, r.Failed(), name)
	}
}
