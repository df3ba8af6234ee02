package proof

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"google.golang.org/protobuf/proto"
)

// channelConfig is what the verifier takes from the channel config.
type channelConfig struct {
	block       uint64
	orgs        map[string]*organisation
	appOrgs     []string // sorted MSP ids
	ordererOrgs []string // sorted MSP ids
	bft         bool
	consenters  []*common.Consenter
	// endorsement is /Channel/Application/Endorsement when it is an
	// implicit meta policy (nil otherwise: MAJORITY Endorsement is assumed).
	endorsement *common.ImplicitMetaPolicy
}

// organisation is an organisation of the channel config.
type organisation struct {
	mspID    string
	roots    []*x509.Certificate
	admins   [][]byte // DER
	nodeOUs  *msp.FabricNodeOUs
	app      bool
	orderer  bool
	policies map[string]*common.ConfigPolicy
}

// verifyConfig checks the config block and sets v.cfg when it holds: when
// it is the pinned genesis block and its organisations' roots are exactly
// the supplied ones.
func (v *verifier) verifyConfig(raw []byte) {
	subject := "config block"
	b, err := parseBlock(raw)
	if !v.r.Add(CheckBlockFormat, subject, err) {
		return
	}
	v.cfgBlock = b
	n := b.GetHeader().GetNumber()
	subject = blockSubject(n)
	dataOK := v.r.Add(CheckDataHash, subject, dataHashErr(b))
	cfg, err := parseChannelConfig(b, v.channel)
	if !v.r.Add(CheckChannelConfig, subject, err) {
		return
	}
	rootsOK := true
	for _, id := range slices.Sorted(maps.Keys(cfg.orgs)) {
		detail, err := v.checkRoots(cfg.orgs[id])
		if err != nil {
			rootsOK = v.r.Add(CheckConfigRoots, id, err) && rootsOK
		} else {
			v.r.Pass(CheckConfigRoots, id, detail)
		}
	}
	// Every organisation the auditor pinned must be one of the channel's: a
	// configuration that leaves some out is not the channel they trust.
	for _, id := range slices.Sorted(maps.Keys(v.trust.Roots)) {
		if _, ok := cfg.orgs[id]; !ok {
			rootsOK = v.r.Add(CheckConfigRoots, id, fmt.Errorf("the supplied roots of %s are for an organisation the channel config does not list", id)) && rootsOK
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
		v.r.Add(CheckGenesis, subject, fmt.Errorf("the bundle's configuration is in block %d; this verifier anchors the channel configuration in the pinned genesis block and does not follow configuration updates", n))
		return
	}
	got := headerHash(b.GetHeader())
	switch {
	case v.trust.Genesis == nil:
		v.r.Add(CheckGenesis, subject, errors.New("no genesis block pinned: its configuration (organisations, node roles, policies) carries no orderer signature; supply its header hash (genesis.sha256 among the roots, or --genesis)"))
		return
	case !bytes.Equal(got, v.trust.Genesis):
		v.r.Add(CheckGenesis, subject, fmt.Errorf("header hash %x, the pinned genesis block is %x", got, v.trust.Genesis))
		return
	}
	v.r.Pass(CheckGenesis, subject, fmt.Sprintf("the pinned genesis block %x", got))
	v.cfg = cfg
}

// parseChannelConfig reads the channel config from a config block.
func parseChannelConfig(b *common.Block, channel string) (*channelConfig, error) {
	n := b.GetHeader().GetNumber()
	data := b.GetData().GetData()
	if len(data) != 1 {
		return nil, fmt.Errorf("block %d holds %d envelopes, a config block one", n, len(data))
	}
	_, payload, chdr, err := envelopeHeader(data[0])
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
	cfg := &channelConfig{block: n, orgs: map[string]*organisation{}}
	app, ord := root.GetGroups()["Application"], root.GetGroups()["Orderer"]
	if app == nil || ord == nil {
		return nil, fmt.Errorf("block %d: the config lacks the Application or Orderer group", n)
	}
	for _, g := range []struct {
		group   *common.ConfigGroup
		orderer bool
	}{{app, false}, {ord, true}} {
		for name, og := range g.group.GetGroups() {
			org, err := parseOrganisation(og)
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

// parseOrganisation reads an organisation's MSP from its config group.
func parseOrganisation(g *common.ConfigGroup) (*organisation, error) {
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
	org := &organisation{mspID: fc.GetName(), nodeOUs: fc.GetFabricNodeOus()}
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
func (v *verifier) checkRoots(org *organisation) (string, error) {
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

// roleOU is the OU that marks a role, from the MSP's NodeOUs (Fabric's
// defaults otherwise).
func (o *organisation) roleOU(role msp.MSPRole_MSPRoleType) string {
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

// identity is a certificate that chains to the supplied roots of an
// organisation of the channel config.
type identity struct {
	mspID string
	cert  *x509.Certificate
	org   *organisation
}

func (id *identity) String() string {
	return fmt.Sprintf("%s (%s)", id.cert.Subject.CommonName, id.mspID)
}

// identify checks a serialized identity against the config and the roots.
func (v *verifier) identify(serialized []byte) (*identity, error) {
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
	return &identity{mspID: sid.GetMspid(), cert: cert, org: org}, nil
}

func hasOU(c *x509.Certificate, ou string) bool {
	return ou != "" && slices.Contains(c.Subject.OrganizationalUnit, ou)
}

// hasRole reports whether the identity holds an MSP role.
func (id *identity) hasRole(role msp.MSPRole_MSPRoleType) bool {
	switch role {
	case msp.MSPRole_MEMBER:
		return true
	case msp.MSPRole_ADMIN:
		return hasOU(id.cert, id.org.roleOU(role)) || slices.ContainsFunc(id.org.admins, func(d []byte) bool { return bytes.Equal(d, id.cert.Raw) })
	case msp.MSPRole_PEER, msp.MSPRole_ORDERER, msp.MSPRole_CLIENT:
		return hasOU(id.cert, id.org.roleOU(role))
	}
	return false
}

// satisfies reports whether the identity satisfies a policy principal.
func (id *identity) satisfies(p *msp.MSPPrincipal) bool {
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
		return ou.GetMspIdentifier() == id.mspID && hasOU(id.cert, ou.GetOrganizationalUnitIdentifier())
	}
	return false
}

// verifySignature checks a signature as Fabric's MSP does: ECDSA over
// SHA-256 with a low S, or Ed25519.
func verifySignature(c *x509.Certificate, msg, sig []byte) error {
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

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
