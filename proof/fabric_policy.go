package proof

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// validationParameter is the key metadata entry that holds a key-level
// endorsement policy (a SignaturePolicyEnvelope).
var validationParameter = peer.MetaDataKeys_VALIDATION_PARAMETER.String()

// applyMetadata records the key-level policies the transaction set.
func (p *endorserTx) applyMetadata(policies map[string][]byte) {
	for _, w := range p.kv.GetWrites() {
		if w.GetIsDelete() {
			delete(policies, w.GetKey()) // a deleted key loses its metadata
		}
	}
	for _, mw := range p.kv.GetMetadataWrites() {
		delete(policies, mw.GetKey()) // a metadata write replaces all of a key's metadata
		for _, e := range mw.GetEntries() {
			if e.GetName() == validationParameter && len(e.GetValue()) > 0 {
				policies[mw.GetKey()] = e.GetValue()
			}
		}
	}
}

// maxPolicyDepth bounds the nesting of a signature policy the verifier
// evaluates: a bundle is untrusted input.
const maxPolicyDepth = 64

// chaincodePolicy checks the chaincode's endorsement policy, taken as the
// channel's default /Channel/Application/Endorsement: an implicit meta
// policy over the application orgs' Endorsement policies.
func (v *verifier) chaincodePolicy(endorsers []*identity) (string, error) {
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
		ok, err := evalSignaturePolicy(env, endorsers, (*identity).satisfies)
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
		return "", fmt.Errorf("%s; satisfied by %s%s", desc, orNone(satisfied), problemList(problems))
	}
	return fmt.Sprintf("%s; satisfied by %s (the chaincode definition is not in the bundle: its policy is taken as the channel's default /Channel/Application/Endorsement)", desc, strings.Join(satisfied, ", ")), nil
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// signaturePolicy is an application org's named policy; without one, the
// peer role of the org.
func (o *organisation) signaturePolicy(name string) (*common.SignaturePolicyEnvelope, error) {
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

// keyPolicy checks a key-level endorsement policy (VALIDATION_PARAMETER).
func keyPolicy(raw []byte, endorsers []*identity) (string, error) {
	env := &common.SignaturePolicyEnvelope{}
	if err := proto.Unmarshal(raw, env); err != nil {
		return "", fmt.Errorf("validation parameter: %w", err)
	}
	desc, err := describePolicy(env.GetRule(), env.GetIdentities(), 0)
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
	ok, err := evalSignaturePolicy(env, endorsers, (*identity).satisfies)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("the key's policy %s is not satisfied: endorsed by %s", desc, orNone(orgs))
	}
	return fmt.Sprintf("the key's policy %s, set by an earlier transaction of the bundle, holds: endorsed by %s", desc, strings.Join(orgs, ", ")), nil
}

// evalSignaturePolicy evaluates a signature policy as Fabric's cauthdsl
// does: each signer satisfies at most one principal, rules are tried in
// order and claim their signers greedily.
func evalSignaturePolicy[S any](env *common.SignaturePolicyEnvelope, signers []S, satisfies func(S, *msp.MSPPrincipal) bool) (bool, error) {
	if env.GetRule() == nil {
		return false, errors.New("signature policy without rule")
	}
	used := make([]bool, len(signers))
	return evalRule(env.GetRule(), env.GetIdentities(), signers, used, satisfies, 0)
}

func evalRule[S any](rule *common.SignaturePolicy, principals []*msp.MSPPrincipal, signers []S, used []bool, satisfies func(S, *msp.MSPPrincipal) bool, depth int) (bool, error) {
	if depth > maxPolicyDepth {
		return false, fmt.Errorf("signature policy nested deeper than %d", maxPolicyDepth)
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
			ok, err := evalRule(sub, principals, signers, tmp, satisfies, depth+1)
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

// describePolicy renders a signature policy for a report, e.g.
// "2 of (AKDBMSP.peer, RegioITMSP.peer)".
func describePolicy(rule *common.SignaturePolicy, principals []*msp.MSPPrincipal, depth int) (string, error) {
	if depth > maxPolicyDepth {
		return "", fmt.Errorf("signature policy nested deeper than %d", maxPolicyDepth)
	}
	switch t := rule.GetType().(type) {
	case *common.SignaturePolicy_SignedBy:
		if t.SignedBy < 0 || int(t.SignedBy) >= len(principals) {
			return "", fmt.Errorf("signature policy names identity %d of %d", t.SignedBy, len(principals))
		}
		return describePrincipal(principals[t.SignedBy]), nil
	case *common.SignaturePolicy_NOutOf_:
		var parts []string
		for _, sub := range t.NOutOf.GetRules() {
			s, err := describePolicy(sub, principals, depth+1)
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

func describePrincipal(p *msp.MSPPrincipal) string {
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
