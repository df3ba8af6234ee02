package proof

import (
	"bytes"
	"cmp"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// FabricLedger is the Fabric evidence in a bundle: blocks as the peers' qscc served them.
type FabricLedger struct {
	ConfigBlock []byte   `json:"configBlock"` // the channel's genesis block (common.Block protobuf): its configuration, which auditors pin by hash
	Blocks      [][]byte `json:"blocks"`      // the blocks holding the transactions, ascending by number, no duplicates (common.Block protobuf)
}

// The checks VerifyFabric reports, by name.
const (
	fabCheckBlockFormat   = "block format"
	fabCheckBlockNumber   = "block number"
	fabCheckBlockChannel  = "block channel"
	fabCheckDataHash      = "block data hash"
	fabCheckHeaderChain   = "block header chain"
	fabCheckOrdererSig    = "orderer signature"
	fabCheckBlockConfig   = "block config"
	fabCheckChannelConfig = "channel config"
	fabCheckConfigRoots   = "config roots"
	fabCheckTransaction   = "transaction"
	fabCheckValidation    = "validation code"
	fabCheckCreatorSig    = "creator signature"
	fabCheckProposalHash  = "proposal hash"
	fabCheckChaincode     = "chaincode"
	fabCheckEndorsement   = "endorsement signature"
	fabCheckPolicy        = "endorsement policy"
	fabCheckKeyPolicy     = "key endorsement policy"
	fabCheckGenesis       = "genesis block"
)

// FabricBlockHash is the header hash of a Fabric block (protobuf
// common.Block): what Trust.Genesis pins.
func FabricBlockHash(raw []byte) ([]byte, error) {
	b, err := fabParseBlock(raw)
	if err != nil {
		return nil, err
	}
	return fabBlockHeaderHash(b.GetHeader()), nil
}

// fabValidationParameter is the key metadata entry that holds a key-level
// endorsement policy (a SignaturePolicyEnvelope).
var fabValidationParameter = peer.MetaDataKeys_VALIDATION_PARAMETER.String()

// fabMaxPolicyDepth bounds the nesting of a signature policy the verifier
// evaluates: a bundle is untrusted input.
const fabMaxPolicyDepth = 64

// VerifyFabric checks the blocks against the supplied roots and returns the
// transactions named by txIDs, in ledger order, as far as they verified. Every
// check is recorded in r (use r.Add / r.Pass; check names short and stable,
// e.g. "block data hash", "block header chain", "orderer signature",
// "validation code", "endorsement signature", "endorsement policy",
// "channel config", subject e.g. "block 7", "tx 3f2a… in block 7").
//
// The channel's last config block anchors the check: its organisations'
// root certificates must be exactly the ones the auditor supplied, and it
// names the orderer and application organisations. Each block's data hash,
// its link to the previous block where that is in the bundle too, and its
// orderer signatures are checked; each named transaction's validation code,
// creator signature, proposal hash, chaincode, endorsement signatures, the
// chaincode's endorsement policy (taken as the channel's default,
// /Channel/Application/Endorsement: the chaincode definition is not in the
// bundle) and the key-level policies that earlier transactions of the bundle
// set on the keys it writes. A transaction is returned when its block's
// checks held; a failure of its own checks is in the report.
func VerifyFabric(r *Report, f *FabricLedger, trust *Trust, channel, chaincode string, txIDs []string) []*Tx {
	if f == nil {
		r.Add(fabCheckBlockFormat, "bundle", errors.New("the bundle holds no Fabric ledger"))
		return nil
	}
	if trust == nil {
		trust = &Trust{}
	}
	v := &fabricVerifier{r: r, trust: trust, channel: channel, chaincode: chaincode}
	v.verifyConfig(f.ConfigBlock)
	blocks := v.verifyBlocks(f.Blocks)
	return v.verifyTxs(blocks, txIDs)
}

// fabricVerifier holds what the checks share.
type fabricVerifier struct {
	r         *Report
	trust     *Trust
	channel   string
	chaincode string
	cfg       *fabricConfig // nil when the config block did not verify
	cfgBlock  *common.Block // the parsed config block, if it parsed
}

// fabricConfig is what the verifier takes from the channel config.
type fabricConfig struct {
	block       uint64
	orgs        map[string]*fabricOrg
	appOrgs     []string // sorted MSP ids
	ordererOrgs []string // sorted MSP ids
	bft         bool
	consenters  []*common.Consenter
	// endorsement is /Channel/Application/Endorsement when it is an
	// implicit meta policy (nil otherwise: MAJORITY Endorsement is assumed).
	endorsement *common.ImplicitMetaPolicy
}

// fabricOrg is an organisation of the channel config.
type fabricOrg struct {
	mspID    string
	roots    []*x509.Certificate
	admins   [][]byte // DER
	nodeOUs  *msp.FabricNodeOUs
	app      bool
	orderer  bool
	policies map[string]*common.ConfigPolicy
}

// ---- blocks ----

// fabAsn1Header is the block header as Fabric hashes it (protoutil.BlockHeaderBytes).
type fabAsn1Header struct {
	Number       *big.Int
	PreviousHash []byte
	DataHash     []byte
}

// fabBlockHeaderBytes is protoutil.BlockHeaderBytes: the ASN.1 DER of the header.
func fabBlockHeaderBytes(h *common.BlockHeader) []byte {
	b, err := asn1.Marshal(fabAsn1Header{Number: new(big.Int).SetUint64(h.GetNumber()), PreviousHash: h.GetPreviousHash(), DataHash: h.GetDataHash()})
	if err != nil { // cannot happen for a big.Int and two byte strings
		return nil
	}
	return b
}

// fabBlockHeaderHash is the hash the next block's PreviousHash holds.
func fabBlockHeaderHash(h *common.BlockHeader) []byte {
	sum := sha256.Sum256(fabBlockHeaderBytes(h))
	return sum[:]
}

// fabBlockDataHash is protoutil.ComputeBlockDataHash of Fabric v2 and v3: the
// SHA-256 of the concatenated envelopes.
func fabBlockDataHash(d *common.BlockData) []byte {
	h := sha256.New()
	for _, env := range d.GetData() {
		h.Write(env)
	}
	return h.Sum(nil)
}

func fabParseBlock(raw []byte) (*common.Block, error) {
	if len(raw) == 0 {
		return nil, errors.New("empty block")
	}
	b := &common.Block{}
	if err := proto.Unmarshal(raw, b); err != nil {
		return nil, fmt.Errorf("not a block: %w", err)
	}
	if b.GetHeader() == nil {
		return nil, errors.New("block without header")
	}
	return b, nil
}

func fabBlockSubject(n uint64) string { return fmt.Sprintf("block %d", n) }

// fabCheckDataHash compares the header's data hash with the block's data.
func fabCheckBlockDataHash(b *common.Block) error {
	if !bytes.Equal(fabBlockDataHash(b.GetData()), b.GetHeader().GetDataHash()) {
		return fmt.Errorf("block %d: data hash does not match its data", b.GetHeader().GetNumber())
	}
	return nil
}

// fabEnvelopeHeader parses an envelope down to its channel header.
func fabEnvelopeHeader(raw []byte) (*common.Envelope, *common.Payload, *common.ChannelHeader, error) {
	env := &common.Envelope{}
	if err := proto.Unmarshal(raw, env); err != nil {
		return nil, nil, nil, fmt.Errorf("envelope: %w", err)
	}
	payload := &common.Payload{}
	if err := proto.Unmarshal(env.GetPayload(), payload); err != nil {
		return nil, nil, nil, fmt.Errorf("payload: %w", err)
	}
	if payload.GetHeader() == nil {
		return nil, nil, nil, errors.New("payload without header")
	}
	chdr := &common.ChannelHeader{}
	if err := proto.Unmarshal(payload.GetHeader().GetChannelHeader(), chdr); err != nil {
		return nil, nil, nil, fmt.Errorf("channel header: %w", err)
	}
	return env, payload, chdr, nil
}

// fabCheckBlockChannel checks that every envelope of the block is on the channel.
func (v *fabricVerifier) fabCheckBlockChannel(b *common.Block) error {
	n := b.GetHeader().GetNumber()
	data := b.GetData().GetData()
	if len(data) == 0 {
		return fmt.Errorf("block %d holds no transactions", n)
	}
	for i, raw := range data {
		_, _, chdr, err := fabEnvelopeHeader(raw)
		if err != nil {
			return fmt.Errorf("block %d: transaction %d: %w", n, i, err)
		}
		if chdr.GetChannelId() != v.channel {
			return fmt.Errorf("block %d: transaction %d is on channel %q, not %q", n, i, chdr.GetChannelId(), v.channel)
		}
	}
	return nil
}

// fabSignatureMetadata is the block's SIGNATURES metadata.
func fabSignatureMetadata(b *common.Block) (*common.Metadata, error) {
	md := b.GetMetadata().GetMetadata()
	if len(md) <= int(common.BlockMetadataIndex_SIGNATURES) || len(md[common.BlockMetadataIndex_SIGNATURES]) == 0 {
		return nil, fmt.Errorf("block %d carries no orderer signatures", b.GetHeader().GetNumber())
	}
	m := &common.Metadata{}
	if err := proto.Unmarshal(md[common.BlockMetadataIndex_SIGNATURES], m); err != nil {
		return nil, fmt.Errorf("block %d: signature metadata: %w", b.GetHeader().GetNumber(), err)
	}
	return m, nil
}

// ---- config ----

// verifyConfig checks the config block and sets v.cfg when it holds.
func (v *fabricVerifier) verifyConfig(raw []byte) {
	subject := "config block"
	b, err := fabParseBlock(raw)
	if !v.r.Add(fabCheckBlockFormat, subject, err) {
		return
	}
	v.cfgBlock = b
	n := b.GetHeader().GetNumber()
	subject = fabBlockSubject(n)
	dataOK := v.r.Add(fabCheckDataHash, subject, fabCheckBlockDataHash(b))
	cfg, err := fabParseConfig(b, v.channel)
	if !v.r.Add(fabCheckChannelConfig, subject, err) {
		return
	}
	rootsOK := true
	for _, id := range slices.Sorted(maps.Keys(cfg.orgs)) {
		detail, err := v.checkRoots(cfg.orgs[id])
		if err != nil {
			rootsOK = v.r.Add(fabCheckConfigRoots, id, err) && rootsOK
		} else {
			v.r.Pass(fabCheckConfigRoots, id, detail)
		}
	}
	// Every organisation the auditor pinned must be one of the channel's: a
	// configuration that leaves some out is not the channel they trust.
	for _, id := range slices.Sorted(maps.Keys(v.trust.Roots)) {
		if _, ok := cfg.orgs[id]; !ok {
			rootsOK = v.r.Add(fabCheckConfigRoots, id, fmt.Errorf("the supplied roots of %s are for an organisation the channel config does not list", id)) && rootsOK
		}
	}
	if !dataOK || !rootsOK {
		return
	}
	// The configuration — organisations, node roles, policies — is anchored
	// in the genesis block, which configtxgen made and no orderer signed: the
	// auditor pins its hash. Later configuration blocks would need their
	// lineage back to it, which a bundle does not carry.
	if n != 0 {
		v.r.Add(fabCheckGenesis, subject, fmt.Errorf("the bundle's configuration is in block %d; this verifier anchors the channel configuration in the pinned genesis block and does not follow configuration updates", n))
		return
	}
	got := fabBlockHeaderHash(b.GetHeader())
	switch {
	case v.trust.Genesis == nil:
		v.r.Add(fabCheckGenesis, subject, errors.New("no genesis block pinned: its configuration (organisations, node roles, policies) carries no orderer signature; supply its header hash (genesis.sha256 among the roots, or --genesis)"))
		return
	case !bytes.Equal(got, v.trust.Genesis):
		v.r.Add(fabCheckGenesis, subject, fmt.Errorf("header hash %x, the pinned genesis block is %x", got, v.trust.Genesis))
		return
	}
	v.r.Pass(fabCheckGenesis, subject, fmt.Sprintf("the pinned genesis block %x", got))
	v.cfg = cfg
}

// fabParseConfig reads the channel config from a config block.
func fabParseConfig(b *common.Block, channel string) (*fabricConfig, error) {
	n := b.GetHeader().GetNumber()
	data := b.GetData().GetData()
	if len(data) != 1 {
		return nil, fmt.Errorf("block %d holds %d envelopes, a config block one", n, len(data))
	}
	_, payload, chdr, err := fabEnvelopeHeader(data[0])
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", n, err)
	}
	if chdr.GetType() != int32(common.HeaderType_CONFIG) {
		return nil, fmt.Errorf("block %d is not a config block (header type %s)", n, common.HeaderType(chdr.GetType()))
	}
	if chdr.GetChannelId() != channel {
		return nil, fmt.Errorf("block %d is the config of channel %q, not %q", n, chdr.GetChannelId(), channel)
	}
	ce := &common.ConfigEnvelope{}
	if err := proto.Unmarshal(payload.GetData(), ce); err != nil {
		return nil, fmt.Errorf("block %d: config envelope: %w", n, err)
	}
	root := ce.GetConfig().GetChannelGroup()
	if root == nil {
		return nil, fmt.Errorf("block %d: config envelope without channel group", n)
	}
	if v := root.GetValues()["HashingAlgorithm"]; v != nil {
		ha := &common.HashingAlgorithm{}
		if err := proto.Unmarshal(v.GetValue(), ha); err != nil {
			return nil, fmt.Errorf("block %d: hashing algorithm: %w", n, err)
		}
		if ha.GetName() != "SHA256" {
			return nil, fmt.Errorf("block %d: hashing algorithm %q, this verifier knows SHA256", n, ha.GetName())
		}
	}
	cfg := &fabricConfig{block: n, orgs: map[string]*fabricOrg{}}
	app, ord := root.GetGroups()["Application"], root.GetGroups()["Orderer"]
	if app == nil || ord == nil {
		return nil, fmt.Errorf("block %d: the config lacks the Application or Orderer group", n)
	}
	for _, g := range []struct {
		group   *common.ConfigGroup
		orderer bool
	}{{app, false}, {ord, true}} {
		for name, og := range g.group.GetGroups() {
			org, err := fabParseOrg(og)
			if err != nil {
				return nil, fmt.Errorf("block %d: organisation %s: %w", n, name, err)
			}
			if prev, ok := cfg.orgs[org.mspID]; ok {
				org = prev // an org in both groups: the same MSP
			} else {
				cfg.orgs[org.mspID] = org
			}
			if g.orderer {
				org.orderer = true
				cfg.ordererOrgs = append(cfg.ordererOrgs, org.mspID)
			} else {
				org.app = true
				org.policies = og.GetPolicies()
				cfg.appOrgs = append(cfg.appOrgs, org.mspID)
			}
		}
	}
	slices.Sort(cfg.appOrgs)
	slices.Sort(cfg.ordererOrgs)
	if len(cfg.ordererOrgs) == 0 {
		return nil, fmt.Errorf("block %d: the config names no orderer organisation", n)
	}
	if v := ord.GetValues()["ConsensusType"]; v != nil {
		ct := &orderer.ConsensusType{}
		if err := proto.Unmarshal(v.GetValue(), ct); err != nil {
			return nil, fmt.Errorf("block %d: consensus type: %w", n, err)
		}
		cfg.bft = ct.GetType() == "BFT"
	}
	if cfg.bft {
		v := ord.GetValues()["Orderers"]
		ords := &common.Orderers{}
		if v == nil {
			return nil, fmt.Errorf("block %d: a BFT config without consenters", n)
		}
		if err := proto.Unmarshal(v.GetValue(), ords); err != nil {
			return nil, fmt.Errorf("block %d: consenters: %w", n, err)
		}
		cfg.consenters = ords.GetConsenterMapping()
		if len(cfg.consenters) == 0 {
			return nil, fmt.Errorf("block %d: a BFT config without consenters", n)
		}
	}
	if p := app.GetPolicies()["Endorsement"].GetPolicy(); p != nil && p.GetType() == int32(common.Policy_IMPLICIT_META) {
		im := &common.ImplicitMetaPolicy{}
		if err := proto.Unmarshal(p.GetValue(), im); err != nil {
			return nil, fmt.Errorf("block %d: /Channel/Application/Endorsement: %w", n, err)
		}
		cfg.endorsement = im
	}
	return cfg, nil
}

// fabParseOrg reads an organisation's MSP from its config group.
func fabParseOrg(g *common.ConfigGroup) (*fabricOrg, error) {
	v := g.GetValues()["MSP"]
	if v == nil {
		return nil, errors.New("no MSP value")
	}
	mc := &msp.MSPConfig{}
	if err := proto.Unmarshal(v.GetValue(), mc); err != nil {
		return nil, fmt.Errorf("MSP config: %w", err)
	}
	if mc.GetType() != 0 {
		return nil, fmt.Errorf("MSP type %d: this verifier knows X.509 MSPs (type 0)", mc.GetType())
	}
	fc := &msp.FabricMSPConfig{}
	if err := proto.Unmarshal(mc.GetConfig(), fc); err != nil {
		return nil, fmt.Errorf("the fabric MSP config: %w", err)
	}
	if fc.GetName() == "" {
		return nil, errors.New("MSP without name")
	}
	org := &fabricOrg{mspID: fc.GetName(), nodeOUs: fc.GetFabricNodeOus()}
	for _, p := range fc.GetRootCerts() {
		certs, err := parsePEMCerts(p)
		if err != nil {
			return nil, fmt.Errorf("root certificate of %s: %w", org.mspID, err)
		}
		org.roots = append(org.roots, certs...)
	}
	if len(org.roots) == 0 {
		return nil, fmt.Errorf("%s lists no root certificate", org.mspID)
	}
	for _, p := range fc.GetAdmins() {
		certs, err := parsePEMCerts(p)
		if err != nil {
			return nil, fmt.Errorf("admin certificate of %s: %w", org.mspID, err)
		}
		for _, c := range certs {
			org.admins = append(org.admins, c.Raw)
		}
	}
	return org, nil
}

// checkRoots checks that the config's roots of an org are exactly the ones
// the auditor supplied for its MSP id.
func (v *fabricVerifier) checkRoots(org *fabricOrg) (string, error) {
	supplied := v.trust.Roots[org.mspID]
	if len(supplied) == 0 {
		return "", fmt.Errorf("no root certificate supplied for %s, which the channel config lists", org.mspID)
	}
	has := func(set []*x509.Certificate, c *x509.Certificate) bool {
		return slices.ContainsFunc(set, func(s *x509.Certificate) bool { return bytes.Equal(s.Raw, c.Raw) })
	}
	for _, c := range org.roots {
		if !has(supplied, c) {
			return "", fmt.Errorf("the channel config's root certificate %q of %s is not among the supplied %s roots", c.Subject.CommonName, org.mspID, org.mspID)
		}
	}
	for _, c := range supplied {
		if !has(org.roots, c) {
			return "", fmt.Errorf("the supplied root certificate %q of %s is not in the channel config", c.Subject.CommonName, org.mspID)
		}
	}
	var names []string
	for _, c := range org.roots {
		names = append(names, c.Subject.CommonName)
	}
	return fmt.Sprintf("%d root certificate(s) equal to the supplied ones (%s)", len(org.roots), strings.Join(names, ", ")), nil
}

// ---- identities and signatures ----

// fabricIdentity is a certificate that chains to the supplied roots of an
// organisation of the channel config.
type fabricIdentity struct {
	mspID string
	cert  *x509.Certificate
	org   *fabricOrg
}

func (id *fabricIdentity) String() string {
	return fmt.Sprintf("%s (%s)", id.cert.Subject.CommonName, id.mspID)
}

// identity checks a serialized identity against the config and the roots.
func (v *fabricVerifier) identity(serialized []byte) (*fabricIdentity, error) {
	if v.cfg == nil {
		return nil, errors.New("no verified channel config to check the identity against")
	}
	sid := &msp.SerializedIdentity{}
	if err := proto.Unmarshal(serialized, sid); err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	org, ok := v.cfg.orgs[sid.GetMspid()]
	if !ok {
		return nil, fmt.Errorf("%q is not an organisation of the channel config", sid.GetMspid())
	}
	cert, err := v.trust.VerifyIdentity(sid.GetMspid(), sid.GetIdBytes())
	if err != nil {
		return nil, err
	}
	return &fabricIdentity{mspID: sid.GetMspid(), cert: cert, org: org}, nil
}

// roleOU is the OU that marks a role, from the MSP's NodeOUs (Fabric's
// defaults otherwise).
func (o *fabricOrg) roleOU(role msp.MSPRole_MSPRoleType) string {
	var id *msp.FabricOUIdentifier
	def := ""
	switch role {
	case msp.MSPRole_PEER:
		id, def = o.nodeOUs.GetPeerOuIdentifier(), "peer"
	case msp.MSPRole_ORDERER:
		id, def = o.nodeOUs.GetOrdererOuIdentifier(), "orderer"
	case msp.MSPRole_CLIENT:
		id, def = o.nodeOUs.GetClientOuIdentifier(), "client"
	case msp.MSPRole_ADMIN:
		id, def = o.nodeOUs.GetAdminOuIdentifier(), "admin"
	}
	if ou := id.GetOrganizationalUnitIdentifier(); ou != "" {
		return ou
	}
	return def
}

func fabHasOU(c *x509.Certificate, ou string) bool {
	return ou != "" && slices.Contains(c.Subject.OrganizationalUnit, ou)
}

// hasRole reports whether the identity holds an MSP role.
func (id *fabricIdentity) hasRole(role msp.MSPRole_MSPRoleType) bool {
	switch role {
	case msp.MSPRole_MEMBER:
		return true
	case msp.MSPRole_ADMIN:
		return fabHasOU(id.cert, id.org.roleOU(role)) || slices.ContainsFunc(id.org.admins, func(d []byte) bool { return bytes.Equal(d, id.cert.Raw) })
	case msp.MSPRole_PEER, msp.MSPRole_ORDERER, msp.MSPRole_CLIENT:
		return fabHasOU(id.cert, id.org.roleOU(role))
	}
	return false
}

// satisfies reports whether the identity satisfies a policy principal.
func (id *fabricIdentity) satisfies(p *msp.MSPPrincipal) bool {
	switch p.GetPrincipalClassification() {
	case msp.MSPPrincipal_ROLE:
		role := &msp.MSPRole{}
		if proto.Unmarshal(p.GetPrincipal(), role) != nil {
			return false
		}
		return role.GetMspIdentifier() == id.mspID && id.hasRole(role.GetRole())
	case msp.MSPPrincipal_IDENTITY:
		sid := &msp.SerializedIdentity{}
		if proto.Unmarshal(p.GetPrincipal(), sid) != nil || sid.GetMspid() != id.mspID {
			return false
		}
		certs, err := parsePEMCerts(sid.GetIdBytes())
		return err == nil && bytes.Equal(certs[0].Raw, id.cert.Raw)
	case msp.MSPPrincipal_ORGANIZATION_UNIT:
		ou := &msp.OrganizationUnit{}
		if proto.Unmarshal(p.GetPrincipal(), ou) != nil {
			return false
		}
		return ou.GetMspIdentifier() == id.mspID && fabHasOU(id.cert, ou.GetOrganizationalUnitIdentifier())
	}
	return false
}

// fabVerifySignature checks a signature as Fabric's MSP does: ECDSA over
// SHA-256 with a low S, or Ed25519.
func fabVerifySignature(c *x509.Certificate, msg, sig []byte) error {
	switch pub := c.PublicKey.(type) {
	case *ecdsa.PublicKey:
		var rs struct{ R, S *big.Int }
		rest, err := asn1.Unmarshal(sig, &rs)
		if err != nil {
			return fmt.Errorf("malformed ECDSA signature: %w", err)
		}
		if len(rest) != 0 {
			return errors.New("malformed ECDSA signature: trailing bytes")
		}
		if rs.R == nil || rs.S == nil || rs.R.Sign() <= 0 || rs.S.Sign() <= 0 {
			return errors.New("malformed ECDSA signature: R and S must be positive")
		}
		if rs.S.Cmp(new(big.Int).Rsh(pub.Curve.Params().N, 1)) > 0 {
			return errors.New("ECDSA signature with a high S, which Fabric rejects")
		}
		digest := sha256.Sum256(msg)
		if !ecdsa.Verify(pub, digest[:], rs.R, rs.S) {
			return errors.New("signature does not verify")
		}
		return nil
	case ed25519.PublicKey:
		if !ed25519.Verify(pub, msg, sig) {
			return errors.New("signature does not verify")
		}
		return nil
	default:
		return fmt.Errorf("public key of type %T: this verifier knows ECDSA and Ed25519", c.PublicKey)
	}
}

func fabConcat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// fabBFTQuorum is the number of distinct consenters a BFT block needs.
func fabBFTQuorum(n int) int {
	f := (n - 1) / 3
	return (n + f + 2) / 2 // ceil((n+f+1)/2)
}

// ordererSignatures checks a block's orderer signatures: Raft needs one
// valid signature of an orderer, BFT a quorum of distinct consenters.
func (v *fabricVerifier) ordererSignatures(b *common.Block) (string, error) {
	n := b.GetHeader().GetNumber()
	if v.cfg == nil {
		return "", fmt.Errorf("block %d: no verified channel config to check orderer signatures against", n)
	}
	m, err := fabSignatureMetadata(b)
	if err != nil {
		return "", err
	}
	if len(m.GetSignatures()) == 0 {
		return "", fmt.Errorf("block %d carries no orderer signatures", n)
	}
	header := fabBlockHeaderBytes(b.GetHeader())
	var valid, problems []string
	consenters := map[uint32]bool{}
	for i, s := range m.GetSignatures() {
		var signed, creator []byte
		var consenter *common.Consenter
		if len(s.GetSignatureHeader()) == 0 && len(s.GetIdentifierHeader()) > 0 {
			if !v.cfg.bft {
				problems = append(problems, fmt.Sprintf("signature %d names its signer by id, which only BFT orderers do", i))
				continue
			}
			ih := &common.IdentifierHeader{}
			if err := proto.Unmarshal(s.GetIdentifierHeader(), ih); err != nil {
				problems = append(problems, fmt.Sprintf("signature %d: identifier header: %v", i, err))
				continue
			}
			for _, c := range v.cfg.consenters {
				if c.GetId() == ih.GetIdentifier() {
					consenter = c
				}
			}
			if consenter == nil {
				problems = append(problems, fmt.Sprintf("signature %d: consenter %d is not in the channel config", i, ih.GetIdentifier()))
				continue
			}
			creator, err = proto.Marshal(&msp.SerializedIdentity{Mspid: consenter.GetMspId(), IdBytes: consenter.GetIdentity()})
			if err != nil {
				problems = append(problems, fmt.Sprintf("signature %d: consenter %d: %v", i, consenter.GetId(), err))
				continue
			}
			signed = fabConcat(m.GetValue(), s.GetIdentifierHeader(), header)
		} else {
			sh := &common.SignatureHeader{}
			if err := proto.Unmarshal(s.GetSignatureHeader(), sh); err != nil {
				problems = append(problems, fmt.Sprintf("signature %d: signature header: %v", i, err))
				continue
			}
			creator = sh.GetCreator()
			signed = fabConcat(m.GetValue(), s.GetSignatureHeader(), header)
		}
		id, err := v.identity(creator)
		if err != nil {
			problems = append(problems, fmt.Sprintf("signature %d: %v", i, err))
			continue
		}
		if !id.org.orderer {
			problems = append(problems, fmt.Sprintf("signature %d: %s is not an orderer organisation of the channel config", i, id.mspID))
			continue
		}
		if !id.hasRole(msp.MSPRole_ORDERER) {
			problems = append(problems, fmt.Sprintf("signature %d: the certificate of %s lacks the OU %q", i, id, id.org.roleOU(msp.MSPRole_ORDERER)))
			continue
		}
		if err := fabVerifySignature(id.cert, signed, s.GetSignature()); err != nil {
			problems = append(problems, fmt.Sprintf("signature %d by %s: %v", i, id, err))
			continue
		}
		valid = append(valid, id.String())
		if v.cfg.bft {
			if consenter == nil {
				consenter = v.consenterOf(id)
			}
			if consenter != nil {
				consenters[consenter.GetId()] = true
			}
		}
	}
	if v.cfg.bft {
		q := fabBFTQuorum(len(v.cfg.consenters))
		if len(consenters) < q {
			return "", fmt.Errorf("block %d: %d of %d BFT consenters signed validly, the quorum is %d%s", n, len(consenters), len(v.cfg.consenters), q, fabProblemList(problems))
		}
		return fmt.Sprintf("%d of %d BFT consenters signed (quorum %d): %s%s", len(consenters), len(v.cfg.consenters), q, strings.Join(valid, ", "), fabProblemList(problems)), nil
	}
	if len(valid) == 0 {
		return "", fmt.Errorf("block %d: no valid orderer signature%s", n, fabProblemList(problems))
	}
	return fmt.Sprintf("signed by %s%s", strings.Join(valid, ", "), fabProblemList(problems)), nil
}

func fabProblemList(problems []string) string {
	if len(problems) == 0 {
		return ""
	}
	return "; " + strings.Join(problems, "; ")
}

// consenterOf finds the BFT consenter whose identity is id's certificate.
func (v *fabricVerifier) consenterOf(id *fabricIdentity) *common.Consenter {
	for _, c := range v.cfg.consenters {
		if c.GetMspId() != id.mspID {
			continue
		}
		if certs, err := parsePEMCerts(c.GetIdentity()); err == nil && bytes.Equal(certs[0].Raw, id.cert.Raw) {
			return c
		}
	}
	return nil
}

// fabLastConfig is the config block the orderers cut a block under (from the
// signed SIGNATURES metadata value).
func fabLastConfig(b *common.Block) (uint64, error) {
	m, err := fabSignatureMetadata(b)
	if err != nil {
		return 0, err
	}
	obm := &common.OrdererBlockMetadata{}
	if err := proto.Unmarshal(m.GetValue(), obm); err != nil {
		return 0, fmt.Errorf("block %d: orderer block metadata: %w", b.GetHeader().GetNumber(), err)
	}
	if obm.GetLastConfig() == nil {
		return 0, fmt.Errorf("block %d: orderer block metadata without last config", b.GetHeader().GetNumber())
	}
	return obm.GetLastConfig().GetIndex(), nil
}

// ---- the bundle's blocks ----

// fabricBlock is a bundle block that parsed.
type fabricBlock struct {
	block  *common.Block
	ok     bool   // every block-level check held
	signed string // who signed it, as the orderer signature check found
}

// verifyBlocks checks the bundle's blocks and returns those that parsed.
func (v *fabricVerifier) verifyBlocks(raws [][]byte) []*fabricBlock {
	headers := map[uint64]*common.BlockHeader{}
	var cfgNum uint64
	if v.cfgBlock != nil {
		cfgNum = v.cfgBlock.GetHeader().GetNumber()
		headers[cfgNum] = v.cfgBlock.GetHeader()
	}
	if len(raws) == 0 {
		v.r.Add(fabCheckBlockFormat, "bundle", errors.New("the bundle holds no blocks"))
		return nil
	}
	var out []*fabricBlock
	var prev *fabricBlock
	for i, raw := range raws {
		b, err := fabParseBlock(raw)
		if !v.r.Add(fabCheckBlockFormat, fmt.Sprintf("bundle block %d", i), err) {
			continue
		}
		n := b.GetHeader().GetNumber()
		subject := fabBlockSubject(n)
		fb := &fabricBlock{block: b, ok: v.cfg != nil}
		out = append(out, fb)
		add := func(check string, err error) {
			fb.ok = v.r.Add(check, subject, err) && fb.ok
		}
		// Number: ascending, unique, and the config block only as itself.
		switch {
		case prev != nil && n <= prev.block.GetHeader().GetNumber():
			add(fabCheckBlockNumber, fmt.Errorf("block %d follows block %d: the bundle's blocks must ascend, without duplicates", n, prev.block.GetHeader().GetNumber()))
		case v.cfgBlock != nil && n == cfgNum && !bytes.Equal(fabBlockHeaderHash(b.GetHeader()), fabBlockHeaderHash(v.cfgBlock.GetHeader())):
			add(fabCheckBlockNumber, fmt.Errorf("block %d differs from the bundle's config block %d", n, cfgNum))
		case prev != nil:
			v.r.Pass(fabCheckBlockNumber, subject, fmt.Sprintf("follows block %d", prev.block.GetHeader().GetNumber()))
		default:
			v.r.Pass(fabCheckBlockNumber, subject, "first block of the bundle")
		}
		prev = fb
		add(fabCheckBlockChannel, v.fabCheckBlockChannel(b))
		add(fabCheckDataHash, fabCheckBlockDataHash(b))
		if n > 0 {
			if ph, ok := headers[n-1]; ok {
				var err error
				if !bytes.Equal(b.GetHeader().GetPreviousHash(), fabBlockHeaderHash(ph)) {
					err = fmt.Errorf("block %d: previous hash does not match the header of block %d", n, n-1)
				}
				if err != nil {
					add(fabCheckHeaderChain, err)
				} else {
					v.r.Pass(fabCheckHeaderChain, subject, fmt.Sprintf("links to block %d", n-1))
				}
			}
		}
		if _, dup := headers[n]; !dup {
			headers[n] = b.GetHeader()
		}
		if v.cfgBlock != nil && n+1 == cfgNum {
			if !bytes.Equal(v.cfgBlock.GetHeader().GetPreviousHash(), fabBlockHeaderHash(b.GetHeader())) {
				add(fabCheckHeaderChain, fmt.Errorf("block %d: previous hash of the config block %d does not match the header of block %d", n, cfgNum, n))
			} else {
				v.r.Pass(fabCheckHeaderChain, subject, fmt.Sprintf("config block %d links to it", cfgNum))
			}
		}
		if detail, err := v.ordererSignatures(b); err != nil {
			add(fabCheckOrdererSig, err)
		} else {
			fb.signed = detail
			v.r.Pass(fabCheckOrdererSig, subject, detail)
			if detail, err := v.checkLastConfig(b); err != nil {
				add(fabCheckBlockConfig, err)
			} else {
				v.r.Pass(fabCheckBlockConfig, subject, detail)
			}
		}
	}
	return out
}

// checkLastConfig compares the config a block was cut under with the
// bundle's config block.
func (v *fabricVerifier) checkLastConfig(b *common.Block) (string, error) {
	n := b.GetHeader().GetNumber()
	lc, err := fabLastConfig(b)
	if err != nil {
		return "", err
	}
	switch {
	case lc > v.cfg.block:
		return "", fmt.Errorf("block %d was cut under config block %d, newer than the bundle's config block %d", n, lc, v.cfg.block)
	case lc < v.cfg.block:
		return fmt.Sprintf("cut under config block %d; checked against the later config block %d", lc, v.cfg.block), nil
	}
	return fmt.Sprintf("cut under config block %d, the bundle's", lc), nil
}

// ---- transactions ----

// fabTxLocation is a transaction in a bundle block.
type fabTxLocation struct {
	fb    *fabricBlock
	index int
	env   *common.Envelope
	pl    *common.Payload
	chdr  *common.ChannelHeader
	code  peer.TxValidationCode
	coded bool // the block metadata holds a code for it
}

func fabShortID(id string) string {
	if len(id) > 12 {
		return id[:8] + "…"
	}
	return id
}

func (l *fabTxLocation) subject() string {
	return fmt.Sprintf("tx %s in block %d", fabShortID(l.chdr.GetTxId()), l.fb.block.GetHeader().GetNumber())
}

// verifyTxs checks the named transactions in ledger order.
func (v *fabricVerifier) verifyTxs(blocks []*fabricBlock, txIDs []string) []*Tx {
	index := map[string][]*fabTxLocation{}
	for _, fb := range blocks {
		md := fb.block.GetMetadata().GetMetadata()
		var filter []byte
		if len(md) > int(common.BlockMetadataIndex_TRANSACTIONS_FILTER) {
			filter = md[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
		}
		for i, raw := range fb.block.GetData().GetData() {
			env, pl, chdr, err := fabEnvelopeHeader(raw)
			if err != nil || chdr.GetTxId() == "" {
				continue
			}
			l := &fabTxLocation{fb: fb, index: i, env: env, pl: pl, chdr: chdr}
			if i < len(filter) {
				l.code, l.coded = peer.TxValidationCode(filter[i]), true
			}
			index[chdr.GetTxId()] = append(index[chdr.GetTxId()], l)
		}
	}
	var found []*fabTxLocation
	seen := map[string]bool{}
	for _, id := range txIDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		ls := index[id]
		if len(ls) == 0 {
			v.r.Add(fabCheckTransaction, "tx "+fabShortID(id), fmt.Errorf("tx %s is in none of the bundle's blocks", id))
			continue
		}
		pick := ls[0]
		for _, l := range ls {
			if l.coded && l.code == peer.TxValidationCode_VALID {
				pick = l
				break
			}
		}
		found = append(found, pick)
	}
	slices.SortFunc(found, func(a, b *fabTxLocation) int {
		if c := cmp.Compare(a.fb.block.GetHeader().GetNumber(), b.fb.block.GetHeader().GetNumber()); c != 0 {
			return c
		}
		return a.index - b.index
	})
	policies := map[string][]byte{} // key → VALIDATION_PARAMETER set by an earlier bundle tx
	var out []*Tx
	for _, l := range found {
		tx, ptx := v.verifyTx(l, policies)
		if tx != nil && l.fb.ok {
			out = append(out, tx)
		}
		if ptx != nil && l.coded && l.code == peer.TxValidationCode_VALID {
			ptx.applyMetadata(policies)
		}
	}
	return out
}

// fabParsedTx is an endorser transaction taken apart.
type fabParsedTx struct {
	shdrBytes []byte
	shdr      *common.SignatureHeader
	action    *peer.TransactionAction
	cap       *peer.ChaincodeActionPayload
	prpBytes  []byte
	prp       *peer.ProposalResponsePayload
	cca       *peer.ChaincodeAction
	kv        *kvrwset.KVRWSet // the chaincode's namespace; nil if it has none
}

// parseEndorserTx takes a transaction apart down to its rwset.
func (v *fabricVerifier) parseEndorserTx(l *fabTxLocation) (*fabParsedTx, error) {
	id := l.chdr.GetTxId()
	if l.chdr.GetType() != int32(common.HeaderType_ENDORSER_TRANSACTION) {
		return nil, fmt.Errorf("tx %s is of type %s, not an endorser transaction", id, common.HeaderType(l.chdr.GetType()))
	}
	p := &fabParsedTx{shdrBytes: l.pl.GetHeader().GetSignatureHeader(), shdr: &common.SignatureHeader{}}
	if err := proto.Unmarshal(p.shdrBytes, p.shdr); err != nil {
		return nil, fmt.Errorf("tx %s: signature header: %w", id, err)
	}
	sum := sha256.Sum256(fabConcat(p.shdr.GetNonce(), p.shdr.GetCreator()))
	if hex.EncodeToString(sum[:]) != id {
		return nil, fmt.Errorf("tx %s: its id is not the hash of its nonce and creator", id)
	}
	tx := &peer.Transaction{}
	if err := proto.Unmarshal(l.pl.GetData(), tx); err != nil {
		return nil, fmt.Errorf("tx %s: transaction: %w", id, err)
	}
	if len(tx.GetActions()) != 1 {
		return nil, fmt.Errorf("tx %s holds %d actions, Fabric one", id, len(tx.GetActions()))
	}
	p.action = tx.GetActions()[0]
	p.cap = &peer.ChaincodeActionPayload{}
	if err := proto.Unmarshal(p.action.GetPayload(), p.cap); err != nil {
		return nil, fmt.Errorf("tx %s: chaincode action payload: %w", id, err)
	}
	if p.cap.GetAction() == nil {
		return nil, fmt.Errorf("tx %s: chaincode action payload without endorsed action", id)
	}
	p.prpBytes = p.cap.GetAction().GetProposalResponsePayload()
	p.prp = &peer.ProposalResponsePayload{}
	if err := proto.Unmarshal(p.prpBytes, p.prp); err != nil {
		return nil, fmt.Errorf("tx %s: proposal response payload: %w", id, err)
	}
	p.cca = &peer.ChaincodeAction{}
	if err := proto.Unmarshal(p.prp.GetExtension(), p.cca); err != nil {
		return nil, fmt.Errorf("tx %s: chaincode action: %w", id, err)
	}
	rws := &rwset.TxReadWriteSet{}
	if err := proto.Unmarshal(p.cca.GetResults(), rws); err != nil {
		return nil, fmt.Errorf("tx %s: read-write set: %w", id, err)
	}
	for _, ns := range rws.GetNsRwset() {
		if ns.GetNamespace() != v.chaincode {
			continue
		}
		if p.kv != nil {
			return nil, fmt.Errorf("tx %s: read-write set holds namespace %s twice", id, v.chaincode)
		}
		p.kv = &kvrwset.KVRWSet{}
		if err := proto.Unmarshal(ns.GetRwset(), p.kv); err != nil {
			return nil, fmt.Errorf("tx %s: read-write set of %s: %w", id, v.chaincode, err)
		}
	}
	return p, nil
}

// applyMetadata records the key-level policies the transaction set.
func (p *fabParsedTx) applyMetadata(policies map[string][]byte) {
	for _, w := range p.kv.GetWrites() {
		if w.GetIsDelete() {
			delete(policies, w.GetKey()) // a deleted key loses its metadata
		}
	}
	for _, mw := range p.kv.GetMetadataWrites() {
		delete(policies, mw.GetKey()) // a metadata write replaces all of a key's metadata
		for _, e := range mw.GetEntries() {
			if e.GetName() == fabValidationParameter && len(e.GetValue()) > 0 {
				policies[mw.GetKey()] = e.GetValue()
			}
		}
	}
}

// verifyTx checks one transaction; it returns its record (nil if it did not
// parse) and the parsed transaction.
func (v *fabricVerifier) verifyTx(l *fabTxLocation, policies map[string][]byte) (*Tx, *fabParsedTx) {
	subject := l.subject()
	id := l.chdr.GetTxId()
	tx := &Tx{ID: id, Block: l.fb.block.GetHeader().GetNumber(), Index: l.index, Timestamp: l.chdr.GetTimestamp().AsTime(),
		BlockHash: fabBlockHeaderHash(l.fb.block.GetHeader()), BlockSignedBy: l.fb.signed}
	switch {
	case !l.coded:
		tx.ValidationCode = "NONE"
		v.r.Add(fabCheckValidation, subject, fmt.Errorf("block %d holds no validation code for transaction %d", tx.Block, l.index))
	case l.code != peer.TxValidationCode_VALID:
		tx.ValidationCode = l.code.String()
		v.r.Add(fabCheckValidation, subject, fmt.Errorf("tx %s in block %d was marked %s by the peer (the peer's record, not covered by orderer signatures)", id, tx.Block, l.code))
	default:
		tx.ValidationCode = l.code.String()
		v.r.Pass(fabCheckValidation, subject, "VALID (the serving peer's record in the block metadata: orderer signatures do not cover it)")
	}
	p, err := v.parseEndorserTx(l)
	if err != nil {
		v.r.Add(fabCheckTransaction, subject, err)
		return nil, nil
	}
	v.r.Pass(fabCheckTransaction, subject, "an endorser transaction; its id is the hash of its nonce and creator")
	for _, w := range p.kv.GetWrites() {
		tx.Writes = append(tx.Writes, Write{Key: w.GetKey(), Value: w.GetValue(), IsDelete: w.GetIsDelete()})
	}

	creator, err := v.identity(p.shdr.GetCreator())
	if err == nil {
		err = fabVerifySignature(creator.cert, l.env.GetPayload(), l.env.GetSignature())
	}
	if err != nil {
		v.r.Add(fabCheckCreatorSig, subject, fmt.Errorf("tx %s: creator: %w", id, err))
	} else {
		v.r.Pass(fabCheckCreatorSig, subject, "signed by "+creator.String())
	}

	ph := sha256.Sum256(fabConcat(l.pl.GetHeader().GetChannelHeader(), p.action.GetHeader(), p.cap.GetChaincodeProposalPayload()))
	if !bytes.Equal(ph[:], p.prp.GetProposalHash()) {
		v.r.Add(fabCheckProposalHash, subject, fmt.Errorf("tx %s: the endorsed proposal hash does not match the transaction's proposal", id))
	} else {
		v.r.Pass(fabCheckProposalHash, subject, "the endorsements are of this transaction's proposal")
	}

	if name := p.cca.GetChaincodeId().GetName(); name != v.chaincode {
		v.r.Add(fabCheckChaincode, subject, fmt.Errorf("tx %s invoked chaincode %q, not %q", id, name, v.chaincode))
	} else {
		v.r.Pass(fabCheckChaincode, subject, fmt.Sprintf("%s version %s", name, p.cca.GetChaincodeId().GetVersion()))
	}

	endorsers := v.endorsements(subject, id, p)
	orgs := map[string]bool{}
	for _, e := range endorsers {
		orgs[e.mspID] = true
	}
	tx.Endorsers = slices.Sorted(maps.Keys(orgs))

	detail, err := v.chaincodePolicy(endorsers)
	if err != nil {
		v.r.Add(fabCheckPolicy, subject, fmt.Errorf("tx %s: %w", id, err))
	} else {
		v.r.Pass(fabCheckPolicy, subject, detail)
	}

	keys := map[string]bool{}
	for _, w := range p.kv.GetWrites() {
		keys[w.GetKey()] = true
	}
	for _, mw := range p.kv.GetMetadataWrites() {
		keys[mw.GetKey()] = true
	}
	for _, key := range slices.Sorted(maps.Keys(keys)) {
		raw, ok := policies[key]
		if !ok {
			continue
		}
		ksubject := fmt.Sprintf("key %q of %s", key, subject)
		detail, err := fabKeyPolicy(raw, endorsers)
		if err != nil {
			v.r.Add(fabCheckKeyPolicy, ksubject, fmt.Errorf("tx %s, key %q: %w", id, key, err))
		} else {
			v.r.Pass(fabCheckKeyPolicy, ksubject, detail)
		}
	}
	return tx, p
}

// endorsements checks every endorsement and returns the endorsers whose
// signature verified, one per identity.
func (v *fabricVerifier) endorsements(subject, id string, p *fabParsedTx) []*fabricIdentity {
	es := p.cap.GetAction().GetEndorsements()
	if len(es) == 0 {
		v.r.Add(fabCheckEndorsement, subject, fmt.Errorf("tx %s carries no endorsement", id))
		return nil
	}
	var out []*fabricIdentity
	for i, e := range es {
		eid, err := v.identity(e.GetEndorser())
		if err == nil && !eid.hasRole(msp.MSPRole_PEER) {
			err = fmt.Errorf("the certificate of %s lacks the OU %q", eid, eid.org.roleOU(msp.MSPRole_PEER))
		}
		if err == nil && !eid.org.app {
			err = fmt.Errorf("%s is not an application organisation of the channel config", eid.mspID)
		}
		if err == nil {
			err = fabVerifySignature(eid.cert, fabConcat(p.prpBytes, e.GetEndorser()), e.GetSignature())
		}
		if err != nil {
			v.r.Add(fabCheckEndorsement, subject, fmt.Errorf("tx %s, endorsement %d: %w", id, i, err))
			continue
		}
		v.r.Pass(fabCheckEndorsement, subject, fmt.Sprintf("endorsement %d by %s", i, eid))
		if !slices.ContainsFunc(out, func(o *fabricIdentity) bool { return o.mspID == eid.mspID && bytes.Equal(o.cert.Raw, eid.cert.Raw) }) {
			out = append(out, eid)
		}
	}
	return out
}

// chaincodePolicy checks the chaincode's endorsement policy, taken as the
// channel's default /Channel/Application/Endorsement: an implicit meta
// policy over the application orgs' Endorsement policies.
func (v *fabricVerifier) chaincodePolicy(endorsers []*fabricIdentity) (string, error) {
	if v.cfg == nil {
		return "", errors.New("no verified channel config to take the endorsement policy from")
	}
	rule, sub := common.ImplicitMetaPolicy_MAJORITY, "Endorsement"
	if im := v.cfg.endorsement; im != nil {
		rule, sub = im.GetRule(), im.GetSubPolicy()
	}
	var satisfied, problems []string
	for _, mspID := range v.cfg.appOrgs {
		env, err := v.cfg.orgs[mspID].signaturePolicy(sub)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		ok, err := fabEvalSignaturePolicy(env, endorsers, (*fabricIdentity).satisfies)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s/%s: %v", mspID, sub, err))
			continue
		}
		if ok {
			satisfied = append(satisfied, mspID)
		}
	}
	n := len(v.cfg.appOrgs)
	need := n/2 + 1
	switch rule {
	case common.ImplicitMetaPolicy_ANY:
		need = 1
	case common.ImplicitMetaPolicy_ALL:
		need = n
	}
	desc := fmt.Sprintf("%s %s of the %d application orgs (%s) needs %d", rule, sub, n, strings.Join(v.cfg.appOrgs, ", "), need)
	if len(satisfied) < need {
		return "", fmt.Errorf("%s; satisfied by %s%s", desc, fabOrNone(satisfied), fabProblemList(problems))
	}
	return fmt.Sprintf("%s; satisfied by %s (the chaincode definition is not in the bundle: its policy is taken as the channel's default /Channel/Application/Endorsement)", desc, strings.Join(satisfied, ", ")), nil
}

func fabOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// signaturePolicy is an application org's named policy; without one, the
// peer role of the org.
func (o *fabricOrg) signaturePolicy(name string) (*common.SignaturePolicyEnvelope, error) {
	cp := o.policies[name]
	if cp == nil {
		role, err := proto.Marshal(&msp.MSPRole{MspIdentifier: o.mspID, Role: msp.MSPRole_PEER})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.mspID, err)
		}
		return &common.SignaturePolicyEnvelope{
			Rule:       &common.SignaturePolicy{Type: &common.SignaturePolicy_NOutOf_{NOutOf: &common.SignaturePolicy_NOutOf{N: 1, Rules: []*common.SignaturePolicy{{Type: &common.SignaturePolicy_SignedBy{SignedBy: 0}}}}}},
			Identities: []*msp.MSPPrincipal{{PrincipalClassification: msp.MSPPrincipal_ROLE, Principal: role}},
		}, nil
	}
	if cp.GetPolicy().GetType() != int32(common.Policy_SIGNATURE) {
		return nil, fmt.Errorf("%s/%s is not a signature policy", o.mspID, name)
	}
	env := &common.SignaturePolicyEnvelope{}
	if err := proto.Unmarshal(cp.GetPolicy().GetValue(), env); err != nil {
		return nil, fmt.Errorf("%s/%s: %w", o.mspID, name, err)
	}
	return env, nil
}

// fabKeyPolicy checks a key-level endorsement policy (VALIDATION_PARAMETER).
func fabKeyPolicy(raw []byte, endorsers []*fabricIdentity) (string, error) {
	env := &common.SignaturePolicyEnvelope{}
	if err := proto.Unmarshal(raw, env); err != nil {
		return "", fmt.Errorf("validation parameter: %w", err)
	}
	desc, err := fabDescribePolicy(env.GetRule(), env.GetIdentities(), 0)
	if err != nil {
		return "", err
	}
	var orgs []string
	for _, e := range endorsers {
		if !slices.Contains(orgs, e.mspID) {
			orgs = append(orgs, e.mspID)
		}
	}
	slices.Sort(orgs)
	ok, err := fabEvalSignaturePolicy(env, endorsers, (*fabricIdentity).satisfies)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("the key's policy %s is not satisfied: endorsed by %s", desc, fabOrNone(orgs))
	}
	return fmt.Sprintf("the key's policy %s, set by an earlier transaction of the bundle, holds: endorsed by %s", desc, strings.Join(orgs, ", ")), nil
}

// fabEvalSignaturePolicy evaluates a signature policy as Fabric's cauthdsl
// does: each signer satisfies at most one principal, rules are tried in
// order and claim their signers greedily.
func fabEvalSignaturePolicy[S any](env *common.SignaturePolicyEnvelope, signers []S, satisfies func(S, *msp.MSPPrincipal) bool) (bool, error) {
	if env.GetRule() == nil {
		return false, errors.New("signature policy without rule")
	}
	used := make([]bool, len(signers))
	return fabEvalRule(env.GetRule(), env.GetIdentities(), signers, used, satisfies, 0)
}

func fabEvalRule[S any](rule *common.SignaturePolicy, principals []*msp.MSPPrincipal, signers []S, used []bool, satisfies func(S, *msp.MSPPrincipal) bool, depth int) (bool, error) {
	if depth > fabMaxPolicyDepth {
		return false, fmt.Errorf("signature policy nested deeper than %d", fabMaxPolicyDepth)
	}
	switch t := rule.GetType().(type) {
	case *common.SignaturePolicy_SignedBy:
		if t.SignedBy < 0 || int(t.SignedBy) >= len(principals) {
			return false, fmt.Errorf("signature policy names identity %d of %d", t.SignedBy, len(principals))
		}
		for i, s := range signers {
			if !used[i] && satisfies(s, principals[t.SignedBy]) {
				used[i] = true
				return true, nil
			}
		}
		return false, nil
	case *common.SignaturePolicy_NOutOf_:
		verified := int32(0)
		tmp := make([]bool, len(used))
		for _, sub := range t.NOutOf.GetRules() {
			copy(tmp, used)
			ok, err := fabEvalRule(sub, principals, signers, tmp, satisfies, depth+1)
			if err != nil {
				return false, err
			}
			if ok {
				verified++
				copy(used, tmp)
			}
		}
		return verified >= t.NOutOf.GetN(), nil
	default:
		return false, errors.New("signature policy rule of unknown type")
	}
}

// fabDescribePolicy renders a signature policy for a report, e.g.
// "2 of (AKDBMSP.peer, RegioITMSP.peer)".
func fabDescribePolicy(rule *common.SignaturePolicy, principals []*msp.MSPPrincipal, depth int) (string, error) {
	if depth > fabMaxPolicyDepth {
		return "", fmt.Errorf("signature policy nested deeper than %d", fabMaxPolicyDepth)
	}
	switch t := rule.GetType().(type) {
	case *common.SignaturePolicy_SignedBy:
		if t.SignedBy < 0 || int(t.SignedBy) >= len(principals) {
			return "", fmt.Errorf("signature policy names identity %d of %d", t.SignedBy, len(principals))
		}
		return fabDescribePrincipal(principals[t.SignedBy]), nil
	case *common.SignaturePolicy_NOutOf_:
		var parts []string
		for _, sub := range t.NOutOf.GetRules() {
			s, err := fabDescribePolicy(sub, principals, depth+1)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		return fmt.Sprintf("%d of (%s)", t.NOutOf.GetN(), strings.Join(parts, ", ")), nil
	default:
		return "", errors.New("signature policy rule of unknown type")
	}
}

func fabDescribePrincipal(p *msp.MSPPrincipal) string {
	switch p.GetPrincipalClassification() {
	case msp.MSPPrincipal_ROLE:
		role := &msp.MSPRole{}
		if proto.Unmarshal(p.GetPrincipal(), role) == nil {
			return role.GetMspIdentifier() + "." + strings.ToLower(role.GetRole().String())
		}
	case msp.MSPPrincipal_ORGANIZATION_UNIT:
		ou := &msp.OrganizationUnit{}
		if proto.Unmarshal(p.GetPrincipal(), ou) == nil {
			return ou.GetMspIdentifier() + " OU " + ou.GetOrganizationalUnitIdentifier()
		}
	case msp.MSPPrincipal_IDENTITY:
		sid := &msp.SerializedIdentity{}
		if proto.Unmarshal(p.GetPrincipal(), sid) == nil {
			if certs, err := parsePEMCerts(sid.GetIdBytes()); err == nil {
				return fmt.Sprintf("%s identity %s", sid.GetMspid(), certs[0].Subject.CommonName)
			}
		}
	}
	return "an unreadable principal"
}
