package chaincode

import (
	"fmt"
	"slices"
	"strings"

	"github.com/efa-marktplatz/registry/schema"
	"github.com/ethereum/go-ethereum/common"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// parties are stored under their id, unindexed.
var parties = kind[schema.Party]{
	record:  schema.RecordParty,
	id:      func(p *schema.Party) string { return p.ID },
	updated: func(p *schema.Party) *schema.Stamp { return &p.Updated },
	log:     func(p *schema.Party) *schema.ActLog { return &p.ActLog },
}

// RegisterParty registers a party the submitting member org vouches for.
// The submitter must be an admin identity of the member org.
func (c *Registry) RegisterParty(ctx contractapi.TransactionContextInterface, registration string) (string, error) {
	t, err := begin(ctx)
	if err != nil {
		return "", err
	}
	msp, err := t.memberAdmin()
	if err != nil {
		return "", err
	}
	reg, err := schema.DecodeRegistration([]byte(registration))
	if err != nil {
		return "", err
	}
	if err := t.checkInHouse(reg.InHouse); err != nil {
		return "", err
	}
	if found, err := parties.exists(t, reg.ID); err != nil {
		return "", err
	} else if found {
		return "", schema.Conflict("id", "party %s is already registered", reg.ID)
	}
	p := &schema.Party{PartyRegistration: *reg, VouchedBy: msp, Keys: []schema.Key{}}
	return parties.save(t, "PartyRegistered", p, nil, nil)
}

// SetInHouseRelationships replaces the Anbieter a party may order from
// (§108 GWB). Only an admin of the vouching member org may.
func (c *Registry) SetInHouseRelationships(ctx contractapi.TransactionContextInterface, partyID, anbieterIDs string) (string, error) {
	t, p, err := vouchedParty(ctx, partyID)
	if err != nil {
		return "", err
	}
	ids, err := schema.DecodeInHouse([]byte(anbieterIDs))
	if err != nil {
		return "", err
	}
	if err := t.checkInHouse(ids); err != nil {
		return "", err
	}
	p.InHouse = ids
	return parties.save(t, "InHouseRelationshipsSet", p, nil, nil)
}

// SetPartyDetails replaces what invoices need of a party — address,
// contact, electronic address, tax identifiers, bank account. Only an admin
// of the vouching member org may.
func (c *Registry) SetPartyDetails(ctx contractapi.TransactionContextInterface, partyID, details string) (string, error) {
	t, p, err := vouchedParty(ctx, partyID)
	if err != nil {
		return "", err
	}
	d, err := schema.DecodeDetails([]byte(details))
	if err != nil {
		return "", err
	}
	p.Details = d
	return parties.save(t, "PartyDetailsSet", p, nil, nil)
}

// checkInHouse verifies that each named party exists and is an Anbieter.
func (t *tx) checkInHouse(ids []string) error {
	for i, id := range ids {
		field := fmt.Sprintf("inHouse[%d]", i)
		p, err := parties.load(t, field, id)
		if err != nil {
			return err
		}
		if p.Kind != schema.KindAnbieter {
			return schema.Invalid(field, "party %s is a %s; in-house relationships are with an Anbieter", id, p.Kind)
		}
	}
	return nil
}

// AddKey adds a signing key to a party: signed by a current key of the
// party, with the new key's own signature of the same message as proof of
// possession.
func (c *Registry) AddKey(ctx contractapi.TransactionContextInterface, message, signature, proofOfPossession string) (string, error) {
	var m schema.AddKeyMessage
	t, v, err := beginAct(ctx, message, signature, &m)
	if err != nil {
		return "", err
	}
	p, err := t.signedByParty(v, "message.party", m.Party)
	if err != nil {
		return "", err
	}
	pop, err := schema.RecoverSigner("proofOfPossession", v.digest, proofOfPossession)
	if err != nil {
		return "", err
	}
	return t.addKey(p, &m, v, pop, proofOfPossession)
}

// AddKeyAsMember adds a signing key to a party on the authority of its
// vouching member org (an admin identity submits), with the new key's proof
// of possession. This is how a party gets its first key.
func (c *Registry) AddKeyAsMember(ctx contractapi.TransactionContextInterface, message, proofOfPossession string) (string, error) {
	t, err := begin(ctx)
	if err != nil {
		return "", err
	}
	msp, err := t.memberAdmin()
	if err != nil {
		return "", err
	}
	var m schema.AddKeyMessage
	if err := schema.DecodeMessage(message, &m); err != nil {
		return "", err
	}
	digest, err := t.digest(&m)
	if err != nil {
		return "", err
	}
	signer, err := schema.RecoverSigner("proofOfPossession", digest, proofOfPossession)
	if err != nil {
		return "", err
	}
	v, err := t.accept(&m, digest, signer, proofOfPossession)
	if err != nil {
		return "", err
	}
	p, err := parties.load(t, "message.party", m.Party)
	if err != nil {
		return "", err
	}
	if err := vouchedBy(p, msp); err != nil {
		return "", err
	}
	v.act.Party = p.ID
	return t.addKey(p, &m, v, signer, proofOfPossession)
}

// addKey checks the new key's proof of possession (pop, the address its
// signature recovers to) and that the key is nobody's yet, and adds it to
// the party from the later of its validFrom and the transaction time.
func (t *tx) addKey(p *schema.Party, m *schema.AddKeyMessage, v *verified, pop common.Address, proofOfPossession string) (string, error) {
	if pop.Hex() != m.Key {
		return "", schema.Forbidden("proofOfPossession", "must be the new key %s's signature of the same message, not %s's", m.Key, pop.Hex())
	}
	var owner string
	if found, err := t.get(&owner, keyKeyOwner, m.Key); err != nil {
		return "", err
	} else if found {
		return "", schema.Conflict("message.key", "key %s is already registered to party %s", m.Key, owner)
	}
	from := max(m.ValidFrom, t.unix())
	if m.ValidUntil != 0 && m.ValidUntil <= from {
		return "", schema.Invalid("message.validUntil", "must be after the key becomes valid (%d)", from)
	}
	p.Keys = append(p.Keys, schema.Key{Address: m.Key, ValidFrom: from, ValidUntil: m.ValidUntil, AddedTx: t.txID})
	v.act.ProofOfPossession = strings.ToLower(proofOfPossession)
	if _, err := t.put(p.ID, keyKeyOwner, m.Key); err != nil {
		return "", err
	}
	return parties.save(t, "KeyAdded", p, nil, &v.act)
}

// RevokeKey ends the validity of a party's key at the transaction time,
// signed by a current key of the party (possibly the revoked one).
func (c *Registry) RevokeKey(ctx contractapi.TransactionContextInterface, message, signature string) (string, error) {
	var m schema.RevokeKeyMessage
	t, v, err := beginAct(ctx, message, signature, &m)
	if err != nil {
		return "", err
	}
	p, err := t.signedByParty(v, "message.party", m.Party)
	if err != nil {
		return "", err
	}
	return t.revokeKey(p, &m, &v.act)
}

// RevokeKeyAsMember ends a party's key on the authority of its vouching
// member org (an admin identity submits), e.g. when the key is lost.
func (c *Registry) RevokeKeyAsMember(ctx contractapi.TransactionContextInterface, message string) (string, error) {
	t, err := begin(ctx)
	if err != nil {
		return "", err
	}
	msp, err := t.memberAdmin()
	if err != nil {
		return "", err
	}
	var m schema.RevokeKeyMessage
	if err := schema.DecodeMessage(message, &m); err != nil {
		return "", err
	}
	if _, err := t.digest(&m); err != nil {
		return "", err
	}
	p, err := parties.load(t, "message.party", m.Party)
	if err != nil {
		return "", err
	}
	if err := vouchedBy(p, msp); err != nil {
		return "", err
	}
	return t.revokeKey(p, &m, nil)
}

// revokeKey ends the key's validity at the transaction time (at once, if
// it is not valid yet); signed is the party's act, nil on the member's
// authority.
func (t *tx) revokeKey(p *schema.Party, m *schema.RevokeKeyMessage, signed *schema.SignedAct) (string, error) {
	now := t.unix()
	i := slices.IndexFunc(p.Keys, func(k schema.Key) bool { return k.Address == m.Key })
	if i < 0 {
		return "", schema.NotFound("message.key", "party %s has no key %s", p.ID, m.Key)
	}
	k := &p.Keys[i]
	if k.ValidUntil != 0 && k.ValidUntil <= now {
		return "", schema.Conflict("message.key", "key %s is already revoked or expired", m.Key)
	}
	k.ValidUntil = max(now, k.ValidFrom)
	k.RevokedTx = t.txID
	return parties.save(t, "KeyRevoked", p, nil, signed)
}

// vouchedParty begins a change of a party by its member: the submitter
// must be an admin of the member org that vouches for the party.
func vouchedParty(ctx contractapi.TransactionContextInterface, partyID string) (*tx, *schema.Party, error) {
	t, err := begin(ctx)
	if err != nil {
		return nil, nil, err
	}
	msp, err := t.memberAdmin()
	if err != nil {
		return nil, nil, err
	}
	p, err := parties.load(t, "party", partyID)
	if err != nil {
		return nil, nil, err
	}
	if err := vouchedBy(p, msp); err != nil {
		return nil, nil, err
	}
	return t, p, nil
}
