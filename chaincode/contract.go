// Package chaincode is the EfA contract registry's chaincode: parties and
// their signing keys, offerings, price-model versions and usage agreements.
// Every business rule and every authorization check lives here, so they hold
// on the embedded ledger and on Hyperledger Fabric alike.
//
// Member organisations (the Fabric identities that run the ledger) register
// the parties they vouch for, with an admin identity. Every other act is
// signed by the acting party with EIP-712 typed data (secp256k1, Ethereum
// conventions): the chaincode recomputes the digest, recovers the signer and
// checks it against the party's key valid at the transaction timestamp. The
// submitter only relays.
//
// The chaincode is deterministic: time is the transaction timestamp, records
// are JSON of structs (no map iteration), and no clock, randomness or network
// is used. Refusals are *Error values that name the field and the rule; a
// refused act writes nothing.
package chaincode

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/efa-marktplatz/registry/chaincode/identifier"
	"github.com/ethereum/go-ethereum/common"
	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/statebased"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// Name is the chaincode name the registry is deployed under.
const Name = "registry"

// Registry is the contract.
type Registry struct {
	contractapi.Contract
}

// New returns the registry chaincode.
func New() (*contractapi.ContractChaincode, error) {
	cc, err := contractapi.NewChaincode(&Registry{})
	if err != nil {
		return nil, fmt.Errorf("chaincode: build registry contract: %w", err)
	}
	cc.Info.Title = "EfA contract registry"
	cc.Info.Version = DomainVersion
	return cc, nil
}

// tx is one invocation: the stub, the caller and the transaction's time.
type tx struct {
	stub    shim.ChaincodeStubInterface
	ctx     contractapi.TransactionContextInterface
	now     time.Time
	txID    string
	channel string
}

func begin(ctx contractapi.TransactionContextInterface) (*tx, error) {
	stub := ctx.GetStub()
	ts, err := stub.GetTxTimestamp()
	if err != nil {
		return nil, fmt.Errorf("transaction timestamp: %w", err)
	}
	return &tx{stub: stub, ctx: ctx, now: ts.AsTime().UTC(), txID: stub.GetTxID(), channel: stub.GetChannelID()}, nil
}

func (t *tx) stamp() Stamp { return Stamp{TxID: t.txID, Time: t.now.Format(time.RFC3339Nano)} }

// ---- storage ----

// Primary-key object types.
const (
	keyParty           = "party"
	keyKeyOwner        = "keyOwner"
	keyNonce           = "nonce"
	keyOffering        = "offering"
	keyOfferingVersion = "offeringVersion"
	keyPriceModel      = "priceModel"
	keyPriceModelHash  = "priceModelHash"
	keyAgreement       = "agreement"
	keyFeeVersion      = "feeVersion"
)

func version(v uint64) string { return fmt.Sprintf("%020d", v) }

func (t *tx) key(objectType string, attrs ...string) (string, error) {
	k, err := t.stub.CreateCompositeKey(objectType, attrs)
	if err != nil {
		return "", fmt.Errorf("key %s%q: %w", objectType, attrs, err)
	}
	return k, nil
}

// get reads a JSON record; it reports false when the key does not exist.
func (t *tx) get(out any, objectType string, attrs ...string) (bool, error) {
	k, err := t.key(objectType, attrs...)
	if err != nil {
		return false, err
	}
	raw, err := t.stub.GetState(k)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", objectType, err)
	}
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return false, fmt.Errorf("decode %s %q: %w", objectType, attrs, err)
	}
	return true, nil
}

func (t *tx) exists(objectType string, attrs ...string) (bool, error) {
	k, err := t.key(objectType, attrs...)
	if err != nil {
		return false, err
	}
	raw, err := t.stub.GetState(k)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", objectType, err)
	}
	return raw != nil, nil
}

// put writes a JSON record and returns its encoding.
func (t *tx) put(v any, objectType string, attrs ...string) ([]byte, error) {
	k, err := t.key(objectType, attrs...)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", objectType, err)
	}
	if err := t.stub.PutState(k, raw); err != nil {
		return nil, fmt.Errorf("write %s: %w", objectType, err)
	}
	return raw, nil
}

// putOnce writes a write-once record, refusing to overwrite one.
func (t *tx) putOnce(field string, v any, objectType string, attrs ...string) ([]byte, error) {
	found, err := t.exists(objectType, attrs...)
	if err != nil {
		return nil, err
	}
	if found {
		return nil, conflict(field, "%s %s exists and is write-once", objectType, strings.Join(attrs, "/"))
	}
	return t.put(v, objectType, attrs...)
}

// index entries hold one byte: Fabric deletes a key written with an empty value.
var indexValue = []byte{1}

type indexEntry struct {
	name  string
	attrs []string
}

// reindex replaces a record's index entries.
func (t *tx) reindex(old, updated []indexEntry) error {
	for _, e := range old {
		k, err := t.key(e.name, e.attrs...)
		if err != nil {
			return err
		}
		if err := t.stub.DelState(k); err != nil {
			return fmt.Errorf("index %s: %w", e.name, err)
		}
	}
	for _, e := range updated {
		k, err := t.key(e.name, e.attrs...)
		if err != nil {
			return err
		}
		if err := t.stub.PutState(k, indexValue); err != nil {
			return fmt.Errorf("index %s: %w", e.name, err)
		}
	}
	return nil
}

// emit sets the transaction's chaincode event.
func (t *tx) emit(act, record, id, status string, stored []byte) error {
	sum := sha256.Sum256(stored)
	payload, err := json.Marshal(Event{Act: act, Record: record, ID: id, Status: status, RecordHash: "0x" + hex.EncodeToString(sum[:]), TxID: t.txID})
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	if err := t.stub.SetEvent(act, payload); err != nil {
		return fmt.Errorf("set event: %w", err)
	}
	return nil
}

// ---- callers and signatures ----

// memberAdmin returns the MSP id of the submitter, which must be an admin
// identity of a member org: only members vouch for parties.
func (t *tx) memberAdmin() (string, error) {
	ci := t.ctx.GetClientIdentity()
	if ci == nil {
		return "", forbidden("creator", "the submitter's identity cannot be read")
	}
	msp, err := ci.GetMSPID()
	if err != nil {
		return "", forbidden("creator", "the submitter's MSP cannot be read: %v", err)
	}
	cert, err := ci.GetX509Certificate()
	if err != nil || cert == nil {
		return "", forbidden("creator", "the submitter has no X.509 certificate")
	}
	if !slices.Contains(cert.Subject.OrganizationalUnit, "admin") {
		return "", forbidden("creator", "member administration needs an admin identity of a member org (OU=admin); %s submitted with %v", msp, cert.Subject.OrganizationalUnit)
	}
	return msp, nil
}

// verified is an act whose signature recovered and whose nonce and deadline hold.
type verified struct {
	signer common.Address
	digest []byte
	act    SignedAct
}

// verify decodes and validates an act's message, checks its deadline
// against the transaction time, recovers the signer, and spends the
// signer's nonce.
func (t *tx) verify(message, signature string, m Message) (*verified, error) {
	if err := DecodeMessage(message, m); err != nil {
		return nil, err
	}
	digest, err := t.digest(m)
	if err != nil {
		return nil, err
	}
	signer, err := RecoverSigner(digest, signature)
	if err != nil {
		return nil, &Error{Code: CodeUnauthorized, Field: "signature", Rule: err.Error()}
	}
	return t.accept(m, digest, signer, signature)
}

func (t *tx) digest(m Message) ([]byte, error) {
	r := m.replay()
	if int64(r.Deadline) < t.now.Unix() {
		return nil, invalid("message.deadline", "passed: %d is before the transaction time %d", r.Deadline, t.now.Unix())
	}
	typed, err := TypedMessage(m)
	if err != nil {
		return nil, fmt.Errorf("typed message: %w", err)
	}
	digest, err := Digest(t.channel, m.PrimaryType(), typed)
	if err != nil {
		return nil, invalid("message", "%v", err)
	}
	return digest, nil
}

// accept spends the signer's nonce and records the act.
func (t *tx) accept(m Message, digest []byte, signer common.Address, signature string) (*verified, error) {
	nonce := m.replay().Nonce
	used, err := t.exists(keyNonce, signer.Hex(), nonce)
	if err != nil {
		return nil, err
	}
	if used {
		return nil, conflict("message.nonce", "nonce %s was already used by %s", nonce, signer.Hex())
	}
	k, err := t.key(keyNonce, signer.Hex(), nonce)
	if err != nil {
		return nil, err
	}
	if err := t.stub.PutState(k, []byte(t.txID)); err != nil {
		return nil, fmt.Errorf("spend nonce: %w", err)
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode message: %w", err)
	}
	return &verified{signer: signer, digest: digest, act: SignedAct{
		Type: m.PrimaryType(), Message: raw, Signature: strings.ToLower(signature), Signer: signer.Hex(),
		Digest: "0x" + hex.EncodeToString(digest), TxID: t.txID, Time: t.now.Format(time.RFC3339Nano),
	}}, nil
}

// signedBy checks that the act was signed with a key of the party that is
// valid at the transaction time, and records the party on the act.
func (t *tx) signedBy(v *verified, p *Party) error {
	now := t.now.Unix()
	for _, k := range p.Keys {
		if k.Address != v.signer.Hex() {
			continue
		}
		switch {
		case k.validAt(now):
			v.act.Party = p.ID
			return nil
		case now < k.ValidFrom:
			return forbidden("signature", "key %s of party %s is not valid yet: valid from %d, now %d", k.Address, p.ID, k.ValidFrom, now)
		default:
			return forbidden("signature", "key %s of party %s is no longer valid: revoked or expired at %d, now %d", k.Address, p.ID, k.ValidUntil, now)
		}
	}
	return forbidden("signature", "signed by %s, which is not a key of party %s", v.signer.Hex(), p.ID)
}

func (t *tx) party(field, id string) (*Party, error) {
	var p Party
	found, err := t.get(&p, keyParty, id)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, notFound(field, "no party %q", id)
	}
	return &p, nil
}

// ---- parties and keys ----

func (r *PartyRegistration) validate() error {
	return first(
		checkID("party.id", r.ID),
		func() error {
			if !slices.Contains(PartyKinds, r.Kind) {
				return invalid("party.kind", "must be one of %s", strings.Join(PartyKinds, ", "))
			}
			return nil
		}(),
		checkText("party.name", r.Name, 1, 200),
		func() error {
			if r.ARS != "" {
				if err := identifier.ARS(r.ARS); err != nil {
					return invalid("party.ars", "%v", err)
				}
			}
			if r.AGS != "" {
				if err := identifier.AGS(r.AGS); err != nil {
					return invalid("party.ags", "%v", err)
				}
			}
			if r.ARS != "" && r.AGS != "" {
				if err := identifier.ARSMatchesAGS(r.ARS, r.AGS); err != nil {
					return invalid("party.ags", "%v", err)
				}
			}
			if r.Kind == KindKommune && r.ARS == "" && r.AGS == "" {
				return invalid("party.ars", "a Kommune needs its ARS or AGS")
			}
			if (r.ARS != "" || r.AGS != "") && !slices.Contains([]string{KindKommune, KindLand}, r.Kind) {
				return invalid("party.ars", "only a Kommune or a Land has an ARS or AGS")
			}
			return nil
		}(),
		func() error {
			if r.LeitwegID == "" {
				return nil
			}
			if err := identifier.LeitwegID(r.LeitwegID); err != nil {
				return invalid("party.leitwegId", "%v", err)
			}
			return nil
		}(),
		checkList("party.inHouse", r.InHouse, 50, func(id string) error { return checkID("", id) }),
	)
}

// checkInHouse verifies that each named party exists and is an Anbieter.
func (t *tx) checkInHouse(ids []string) error {
	for i, id := range ids {
		p, err := t.party(fmt.Sprintf("party.inHouse[%d]", i), id)
		if err != nil {
			return err
		}
		if p.Kind != KindAnbieter {
			return invalid(fmt.Sprintf("party.inHouse[%d]", i), "party %s is a %s; in-house relationships are with an Anbieter", id, p.Kind)
		}
	}
	return nil
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
	var reg PartyRegistration
	dec := json.NewDecoder(strings.NewReader(registration))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&reg); err != nil {
		return "", invalid("party", "must be a JSON object with id, kind, name, ars, ags, leitwegId, inHouse: %v", err)
	}
	reg.InHouse = orEmpty(reg.InHouse)
	if err := reg.validate(); err != nil {
		return "", err
	}
	if err := t.checkInHouse(reg.InHouse); err != nil {
		return "", err
	}
	if found, err := t.exists(keyParty, reg.ID); err != nil {
		return "", err
	} else if found {
		return "", conflict("party.id", "party %s is already registered", reg.ID)
	}
	p := &Party{PartyRegistration: reg, VouchedBy: msp, Keys: []Key{}, Acts: []SignedAct{}, Updated: t.stamp()}
	return t.savePartyAndEmit("PartyRegistered", p)
}

// SetInHouseRelationships replaces the Anbieter a party may order from
// (§108 GWB). Only an admin of the vouching member org may.
func (c *Registry) SetInHouseRelationships(ctx contractapi.TransactionContextInterface, partyID, anbieterIDs string) (string, error) {
	t, err := begin(ctx)
	if err != nil {
		return "", err
	}
	msp, err := t.memberAdmin()
	if err != nil {
		return "", err
	}
	p, err := t.party("party", partyID)
	if err != nil {
		return "", err
	}
	if p.VouchedBy != msp {
		return "", forbidden("creator", "party %s is vouched for by %s, not %s", p.ID, p.VouchedBy, msp)
	}
	var ids []string
	if err := json.Unmarshal([]byte(anbieterIDs), &ids); err != nil {
		return "", invalid("party.inHouse", "must be a JSON array of party ids: %v", err)
	}
	ids = orEmpty(ids)
	if err := checkList("party.inHouse", ids, 50, func(id string) error { return checkID("", id) }); err != nil {
		return "", err
	}
	if err := t.checkInHouse(ids); err != nil {
		return "", err
	}
	p.InHouse = ids
	p.Updated = t.stamp()
	return t.savePartyAndEmit("InHouseRelationshipsSet", p)
}

func (t *tx) savePartyAndEmit(act string, p *Party) (string, error) {
	raw, err := t.put(p, keyParty, p.ID)
	if err != nil {
		return "", err
	}
	if err := t.emit(act, keyParty, p.ID, "", raw); err != nil {
		return "", err
	}
	return string(raw), nil
}

// AddKey adds a signing key to a party: signed by a current key of the
// party, with the new key's own signature of the same message as proof of
// possession.
func (c *Registry) AddKey(ctx contractapi.TransactionContextInterface, message, signature, proofOfPossession string) (string, error) {
	t, err := begin(ctx)
	if err != nil {
		return "", err
	}
	var m AddKeyMessage
	v, err := t.verify(message, signature, &m)
	if err != nil {
		return "", err
	}
	p, err := t.party("message.party", m.Party)
	if err != nil {
		return "", err
	}
	if err := t.signedBy(v, p); err != nil {
		return "", err
	}
	return t.addKey(p, &m, v, proofOfPossession)
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
	var m AddKeyMessage
	if err := DecodeMessage(message, &m); err != nil {
		return "", err
	}
	digest, err := t.digest(&m)
	if err != nil {
		return "", err
	}
	signer, err := RecoverSigner(digest, proofOfPossession)
	if err != nil {
		return "", &Error{Code: CodeUnauthorized, Field: "proofOfPossession", Rule: err.Error()}
	}
	v, err := t.accept(&m, digest, signer, proofOfPossession)
	if err != nil {
		return "", err
	}
	p, err := t.party("message.party", m.Party)
	if err != nil {
		return "", err
	}
	if p.VouchedBy != msp {
		return "", forbidden("creator", "party %s is vouched for by %s, not %s", p.ID, p.VouchedBy, msp)
	}
	v.act.Party = p.ID
	return t.addKey(p, &m, v, proofOfPossession)
}

func (t *tx) addKey(p *Party, m *AddKeyMessage, v *verified, proofOfPossession string) (string, error) {
	pop, err := RecoverSigner(v.digest, proofOfPossession)
	if err != nil {
		return "", &Error{Code: CodeUnauthorized, Field: "proofOfPossession", Rule: err.Error()}
	}
	if pop.Hex() != m.Key {
		return "", forbidden("proofOfPossession", "must be the new key %s's signature of the same message, not %s's", m.Key, pop.Hex())
	}
	var owner string
	if found, err := t.get(&owner, keyKeyOwner, m.Key); err != nil {
		return "", err
	} else if found {
		return "", conflict("message.key", "key %s is already registered to party %s", m.Key, owner)
	}
	now := t.now.Unix()
	from := max(int64(m.ValidFrom), now)
	if m.ValidUntil != 0 && int64(m.ValidUntil) <= from {
		return "", invalid("message.validUntil", "must be after the key becomes valid (%d)", from)
	}
	p.Keys = append(p.Keys, Key{Address: m.Key, ValidFrom: from, ValidUntil: int64(m.ValidUntil), AddedTx: t.txID})
	v.act.ProofOfPossession = strings.ToLower(proofOfPossession)
	p.Acts = append(p.Acts, v.act)
	p.Updated = t.stamp()
	if _, err := t.put(p.ID, keyKeyOwner, m.Key); err != nil {
		return "", err
	}
	return t.savePartyAndEmit("KeyAdded", p)
}

// RevokeKey ends the validity of a party's key at the transaction time,
// signed by a current key of the party (possibly the revoked one).
func (c *Registry) RevokeKey(ctx contractapi.TransactionContextInterface, message, signature string) (string, error) {
	t, err := begin(ctx)
	if err != nil {
		return "", err
	}
	var m RevokeKeyMessage
	v, err := t.verify(message, signature, &m)
	if err != nil {
		return "", err
	}
	p, err := t.party("message.party", m.Party)
	if err != nil {
		return "", err
	}
	if err := t.signedBy(v, p); err != nil {
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
	var m RevokeKeyMessage
	if err := DecodeMessage(message, &m); err != nil {
		return "", err
	}
	if _, err := t.digest(&m); err != nil {
		return "", err
	}
	p, err := t.party("message.party", m.Party)
	if err != nil {
		return "", err
	}
	if p.VouchedBy != msp {
		return "", forbidden("creator", "party %s is vouched for by %s, not %s", p.ID, p.VouchedBy, msp)
	}
	return t.revokeKey(p, &m, nil)
}

func (t *tx) revokeKey(p *Party, m *RevokeKeyMessage, act *SignedAct) (string, error) {
	now := t.now.Unix()
	i := slices.IndexFunc(p.Keys, func(k Key) bool { return k.Address == m.Key })
	if i < 0 {
		return "", notFound("message.key", "party %s has no key %s", p.ID, m.Key)
	}
	k := &p.Keys[i]
	if k.ValidUntil != 0 && k.ValidUntil <= now {
		return "", conflict("message.key", "key %s is already revoked or expired", m.Key)
	}
	k.ValidUntil = max(now, k.ValidFrom)
	k.RevokedTx = t.txID
	if act != nil {
		p.Acts = append(p.Acts, *act)
	}
	p.Updated = t.stamp()
	return t.savePartyAndEmit("KeyRevoked", p)
}

// ---- offerings ----

func offeringIndexes(o *Offering) []indexEntry {
	out := []indexEntry{
		{"offering~supplier", []string{o.Supplier, o.Offering}},
		{"offering~anbieter", []string{o.Anbieter, o.Offering}},
		{"offering~status", []string{o.Status, o.Offering}},
	}
	if o.Themenfeld != "" {
		out = append(out, indexEntry{"offering~themenfeld", []string{o.Themenfeld, o.Offering}})
	}
	for _, k := range o.LeiKaKeys {
		out = append(out, indexEntry{"offering~leika", []string{k, o.Offering}})
	}
	return out
}

func (t *tx) offering(field, id string) (*Offering, error) {
	var o Offering
	found, err := t.get(&o, keyOffering, id)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, notFound(field, "no offering %q", id)
	}
	return &o, nil
}

func (t *tx) saveOffering(act string, o *Offering, old []indexEntry) (string, error) {
	o.Updated = t.stamp()
	raw, err := t.put(o, keyOffering, o.Offering)
	if err != nil {
		return "", err
	}
	if err := t.reindex(old, offeringIndexes(o)); err != nil {
		return "", err
	}
	if err := t.emit(act, keyOffering, o.Offering, o.Status, raw); err != nil {
		return "", err
	}
	return string(raw), nil
}

// SubmitOffering submits an offering, or a new version of one, signed by
// its supplier (Bereitsteller). Each version is kept, write-once.
func (c *Registry) SubmitOffering(ctx contractapi.TransactionContextInterface, message, signature string) (string, error) {
	t, err := begin(ctx)
	if err != nil {
		return "", err
	}
	var m SubmitOfferingMessage
	v, err := t.verify(message, signature, &m)
	if err != nil {
		return "", err
	}
	supplier, err := t.party("message.supplier", m.Supplier)
	if err != nil {
		return "", err
	}
	if !slices.Contains(supplierKinds, supplier.Kind) {
		return "", invalid("message.supplier", "party %s is a %s; a supplier is one of %s", supplier.ID, supplier.Kind, strings.Join(supplierKinds, ", "))
	}
	if err := t.signedBy(v, supplier); err != nil {
		return "", err
	}
	anbieter, err := t.party("message.anbieter", m.Anbieter)
	if err != nil {
		return "", err
	}
	if anbieter.Kind != KindAnbieter {
		return "", invalid("message.anbieter", "party %s is a %s, not an Anbieter", anbieter.ID, anbieter.Kind)
	}
	var head Offering
	found, err := t.get(&head, keyOffering, m.Offering)
	if err != nil {
		return "", err
	}
	var old []indexEntry
	if found {
		switch {
		case head.Supplier != m.Supplier:
			return "", forbidden("message.supplier", "offering %s belongs to supplier %s", m.Offering, head.Supplier)
		case head.Anbieter != m.Anbieter:
			return "", invalid("message.anbieter", "the Anbieter of offering %s is %s and does not change", m.Offering, head.Anbieter)
		case head.Status == OfferingWithdrawn:
			return "", conflict("message.offering", "offering %s is withdrawn", m.Offering)
		case m.Version != head.Version+1:
			return "", conflict("message.version", "the next version of offering %s is %d; versions are write-once", m.Offering, head.Version+1)
		}
		old = offeringIndexes(&head)
	} else if m.Version != 1 {
		return "", conflict("message.version", "a new offering starts at version 1")
	}
	hash, err := t.contentHash(TypeOffering, &m.OfferingContent)
	if err != nil {
		return "", err
	}
	ver := OfferingVersion{OfferingContent: m.OfferingContent, Hash: hash, Submitted: v.act}
	if _, err := t.putOnce("message.version", ver, keyOfferingVersion, m.Offering, version(uint64(m.Version))); err != nil {
		return "", err
	}
	head.OfferingVersion = ver
	head.Status = OfferingSubmitted
	if head.Acts == nil {
		head.Acts = []SignedAct{}
	}
	return t.saveOffering("OfferingSubmitted", &head, old)
}

// contentHash is the EIP-712 digest of a record's content.
func (t *tx) contentHash(primaryType string, content any) (string, error) {
	return ContentHash(t.channel, primaryType, content)
}

// AcceptOffering publishes the latest version of an offering, signed by the
// Anbieter it names.
func (c *Registry) AcceptOffering(ctx contractapi.TransactionContextInterface, message, signature string) (string, error) {
	t, err := begin(ctx)
	if err != nil {
		return "", err
	}
	var m AcceptOfferingMessage
	v, err := t.verify(message, signature, &m)
	if err != nil {
		return "", err
	}
	o, err := t.offering("message.offering", m.Offering)
	if err != nil {
		return "", err
	}
	anbieter, err := t.party("message.offering", o.Anbieter)
	if err != nil {
		return "", err
	}
	if err := t.signedBy(v, anbieter); err != nil {
		return "", err
	}
	switch {
	case o.Status != OfferingSubmitted:
		return "", conflict("message.offering", "offering %s is %s; only a submitted version can be accepted", o.Offering, o.Status)
	case m.Version != o.Version:
		return "", conflict("message.version", "version %d is not the latest version %d of offering %s", m.Version, o.Version, o.Offering)
	case m.OfferingHash != o.Hash:
		return "", conflict("message.offeringHash", "does not match version %d of offering %s (%s)", o.Version, o.Offering, o.Hash)
	}
	old := offeringIndexes(o)
	o.Status = OfferingPublished
	o.PublishedVersion, o.PublishedHash = uint64(o.Version), o.Hash
	o.Acts = append(o.Acts, v.act)
	return t.saveOffering("OfferingAccepted", o, old)
}

// WithdrawOffering takes an offering off the marketplace, signed by its
// supplier or its Anbieter. Concluded agreements stay in force.
func (c *Registry) WithdrawOffering(ctx contractapi.TransactionContextInterface, message, signature string) (string, error) {
	t, err := begin(ctx)
	if err != nil {
		return "", err
	}
	var m WithdrawOfferingMessage
	v, err := t.verify(message, signature, &m)
	if err != nil {
		return "", err
	}
	o, err := t.offering("message.offering", m.Offering)
	if err != nil {
		return "", err
	}
	if m.Party != o.Supplier && m.Party != o.Anbieter {
		return "", forbidden("message.party", "only the supplier %s or the Anbieter %s may withdraw offering %s", o.Supplier, o.Anbieter, o.Offering)
	}
	p, err := t.party("message.party", m.Party)
	if err != nil {
		return "", err
	}
	if err := t.signedBy(v, p); err != nil {
		return "", err
	}
	if o.Status == OfferingWithdrawn {
		return "", conflict("message.offering", "offering %s is already withdrawn", o.Offering)
	}
	old := offeringIndexes(o)
	o.Status = OfferingWithdrawn
	o.Acts = append(o.Acts, v.act)
	return t.saveOffering("OfferingWithdrawn", o, old)
}

// ---- price models ----

// priceModelRef is what the price-model hash index points to.
type priceModelRef struct {
	Offering string `json:"offering"`
	Version  uint64 `json:"version"`
}

// PublishPriceModel publishes the next price-model version of an offering,
// signed by its supplier. Published versions are write-once; each names its
// predecessor's hash.
func (c *Registry) PublishPriceModel(ctx contractapi.TransactionContextInterface, message, signature string) (string, error) {
	t, err := begin(ctx)
	if err != nil {
		return "", err
	}
	var m PublishPriceModelMessage
	v, err := t.verify(message, signature, &m)
	if err != nil {
		return "", err
	}
	o, err := t.offering("message.offering", m.Offering)
	if err != nil {
		return "", err
	}
	supplier, err := t.party("message.offering", o.Supplier)
	if err != nil {
		return "", err
	}
	if err := t.signedBy(v, supplier); err != nil {
		return "", err
	}
	if o.Status == OfferingWithdrawn {
		return "", conflict("message.offering", "offering %s is withdrawn", o.Offering)
	}
	latest, predecessor, err := t.latestPriceModel(o.Offering)
	if err != nil {
		return "", err
	}
	if uint64(m.Version) <= latest {
		return "", conflict("message.version", "price-model version %d of offering %s is published and write-once; the next is %d", m.Version, o.Offering, latest+1)
	}
	if uint64(m.Version) != latest+1 {
		return "", conflict("message.version", "the next price-model version of offering %s is %d", o.Offering, latest+1)
	}
	if m.PredecessorHash != predecessor {
		return "", conflict("message.predecessorHash", "must be the hash of version %d: %s", latest, predecessor)
	}
	hash, err := t.contentHash(TypePriceModel, &m.PriceModelContent)
	if err != nil {
		return "", err
	}
	pm := PriceModel{PriceModelContent: m.PriceModelContent, Hash: hash, Published: v.act}
	raw, err := t.putOnce("message.version", pm, keyPriceModel, o.Offering, version(uint64(m.Version)))
	if err != nil {
		return "", err
	}
	if _, err := t.putOnce("message", priceModelRef{Offering: o.Offering, Version: uint64(m.Version)}, keyPriceModelHash, hash); err != nil {
		return "", err
	}
	if err := t.emit("PriceModelPublished", keyPriceModel, o.Offering+"/"+strconv.FormatUint(uint64(m.Version), 10), "", raw); err != nil {
		return "", err
	}
	return string(raw), nil
}

// latestPriceModel returns the newest price-model version of an offering
// and its hash (0 and ZeroHash when there is none).
func (t *tx) latestPriceModel(offering string) (uint64, string, error) {
	it, err := t.stub.GetStateByPartialCompositeKey(keyPriceModel, []string{offering})
	if err != nil {
		return 0, "", fmt.Errorf("list price models: %w", err)
	}
	defer it.Close()
	var latest uint64
	hash := ZeroHash
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return 0, "", fmt.Errorf("list price models: %w", err)
		}
		var pm PriceModel
		if err := json.Unmarshal(kv.Value, &pm); err != nil {
			return 0, "", fmt.Errorf("decode price model: %w", err)
		}
		if uint64(pm.Version) > latest {
			latest, hash = uint64(pm.Version), pm.Hash
		}
	}
	return latest, hash, nil
}

// ---- agreements ----

func agreementIndexes(a *Agreement) []indexEntry {
	return []indexEntry{
		{"agreement~customer", []string{a.Customer, a.ID}},
		{"agreement~supplier", []string{a.Supplier, a.ID}},
		{"agreement~anbieter", []string{a.Anbieter, a.ID}},
		{"agreement~status", []string{a.Status, a.ID}},
	}
}

func (t *tx) agreement(field, id string) (*Agreement, error) {
	var a Agreement
	found, err := t.get(&a, keyAgreement, id)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, notFound(field, "no agreement %q", id)
	}
	return &a, nil
}

func (t *tx) saveAgreement(act string, a *Agreement, old []indexEntry) (string, error) {
	a.Updated = t.stamp()
	raw, err := t.put(a, keyAgreement, a.ID)
	if err != nil {
		return "", err
	}
	if err := t.reindex(old, agreementIndexes(a)); err != nil {
		return "", err
	}
	if err := t.emit(act, keyAgreement, a.ID, a.Status, raw); err != nil {
		return "", err
	}
	return string(raw), nil
}

// ExpressInterest opens a usage agreement for a published offering, signed
// by the customer, who must have an in-house relationship (§108 GWB) with the
// offering's Anbieter. The agreement's key gets a state-based endorsement
// policy naming the member orgs that vouch for the customer and the Anbieter.
func (c *Registry) ExpressInterest(ctx contractapi.TransactionContextInterface, message, signature string) (string, error) {
	t, err := begin(ctx)
	if err != nil {
		return "", err
	}
	var m ExpressInterestMessage
	v, err := t.verify(message, signature, &m)
	if err != nil {
		return "", err
	}
	customer, err := t.party("message.customer", m.Customer)
	if err != nil {
		return "", err
	}
	if !slices.Contains(customerKinds, customer.Kind) {
		return "", invalid("message.customer", "party %s is a %s; a customer is one of %s", customer.ID, customer.Kind, strings.Join(customerKinds, ", "))
	}
	if err := t.signedBy(v, customer); err != nil {
		return "", err
	}
	o, err := t.offering("message.offering", m.Offering)
	if err != nil {
		return "", err
	}
	if o.Status == OfferingWithdrawn || o.PublishedVersion == 0 {
		return "", conflict("message.offering", "offering %s is not on the marketplace (%s)", o.Offering, o.Status)
	}
	if !slices.Contains(customer.InHouse, o.Anbieter) {
		return "", forbidden("message.customer", "party %s has no in-house relationship (§108 GWB) with the Anbieter %s", customer.ID, o.Anbieter)
	}
	if found, err := t.exists(keyAgreement, m.Agreement); err != nil {
		return "", err
	} else if found {
		return "", conflict("message.agreement", "agreement %s exists", m.Agreement)
	}
	if m.ParentAgreement != "" {
		parent, err := t.agreement("message.parentAgreement", m.ParentAgreement)
		if err != nil {
			return "", err
		}
		if parent.Offering != o.Offering {
			return "", invalid("message.parentAgreement", "agreement %s is for offering %s, not %s", parent.ID, parent.Offering, o.Offering)
		}
		if parent.Status != AgreementConcluded && parent.Status != AgreementFeeChangePending {
			return "", conflict("message.parentAgreement", "agreement %s is %s; a sub-agreement needs a concluded parent", parent.ID, parent.Status)
		}
	}
	anbieter, err := t.party("message.offering", o.Anbieter)
	if err != nil {
		return "", err
	}
	members := []string{customer.VouchedBy}
	if anbieter.VouchedBy != customer.VouchedBy {
		members = append(members, anbieter.VouchedBy)
	}
	slices.Sort(members)
	a := &Agreement{
		ID: m.Agreement, Offering: o.Offering, OfferingVersion: o.PublishedVersion, OfferingHash: o.PublishedHash,
		Customer: customer.ID, Supplier: o.Supplier, Anbieter: o.Anbieter, ParentAgreement: m.ParentAgreement,
		Status: AgreementInterest, EndorsingMembers: members, Acts: []SignedAct{v.act},
	}
	out, err := t.saveAgreement("InterestExpressed", a, nil)
	if err != nil {
		return "", err
	}
	if err := t.endorsementPolicy(a); err != nil {
		return "", err
	}
	return out, nil
}

// endorsementPolicy sets the agreement key's state-based endorsement policy:
// a peer of every member org that vouches for the customer or the Anbieter.
func (t *tx) endorsementPolicy(a *Agreement) error {
	ep, err := statebased.NewStateEP(nil)
	if err != nil {
		return fmt.Errorf("endorsement policy: %w", err)
	}
	if err := ep.AddOrgs(statebased.RoleTypePeer, a.EndorsingMembers...); err != nil {
		return fmt.Errorf("endorsement policy: %w", err)
	}
	policy, err := ep.Policy()
	if err != nil {
		return fmt.Errorf("endorsement policy: %w", err)
	}
	k, err := t.key(keyAgreement, a.ID)
	if err != nil {
		return err
	}
	if err := t.stub.SetStateValidationParameter(k, policy); err != nil {
		return fmt.Errorf("set endorsement policy: %w", err)
	}
	return nil
}

// Terms is what a fee version's terms hash (EIP-712 type Terms) covers.
type Terms struct {
	Agreement       string `json:"agreement"`
	Offering        string `json:"offering"`
	OfferingVersion Uint   `json:"offeringVersion"`
	OfferingHash    string `json:"offeringHash"`
	PriceModel      Uint   `json:"priceModel"`
	PriceModelHash  string `json:"priceModelHash"`
	FeeVersion      Uint   `json:"feeVersion"`
	AnnualFee       Uint   `json:"annualFee"`
	ProRataFee      Uint   `json:"proRataFee"`
	ConnectionFee   Uint   `json:"connectionFee"`
	ScopeOfUse      string `json:"scopeOfUse"`
	Customer        string `json:"customer"`
	Supplier        string `json:"supplier"`
	Anbieter        string `json:"anbieter"`
	ParentAgreement string `json:"parentAgreement"`
}

// EnterFees enters the next fee version of an agreement, signed by the
// supplier, referencing a price-model version of the offering by its hash.
// Entered after the order, it is a fee change that needs both approvals again.
func (c *Registry) EnterFees(ctx contractapi.TransactionContextInterface, message, signature string) (string, error) {
	t, err := begin(ctx)
	if err != nil {
		return "", err
	}
	var m EnterFeesMessage
	v, err := t.verify(message, signature, &m)
	if err != nil {
		return "", err
	}
	a, err := t.agreement("message.agreement", m.Agreement)
	if err != nil {
		return "", err
	}
	supplier, err := t.party("message.agreement", a.Supplier)
	if err != nil {
		return "", err
	}
	if err := t.signedBy(v, supplier); err != nil {
		return "", err
	}
	if a.Status == AgreementTerminated {
		return "", conflict("message.agreement", "agreement %s is terminated", a.ID)
	}
	if uint64(m.FeeVersion) != a.FeeVersion+1 {
		return "", conflict("message.feeVersion", "the next fee version of agreement %s is %d; entered fee versions are write-once", a.ID, a.FeeVersion+1)
	}
	var ref priceModelRef
	if found, err := t.get(&ref, keyPriceModelHash, m.PriceModelHash); err != nil {
		return "", err
	} else if !found || ref.Offering != a.Offering {
		return "", notFound("message.priceModelHash", "no price-model version of offering %s has hash %s", a.Offering, m.PriceModelHash)
	}
	fees := Fees{AnnualFee: uint64(m.AnnualFee), ProRataFee: uint64(m.ProRataFee), ConnectionFee: uint64(m.ConnectionFee), ScopeOfUse: m.ScopeOfUse}
	terms := TermsOf(a, &FeeVersion{Version: uint64(m.FeeVersion), PriceModelVersion: ref.Version, PriceModelHash: m.PriceModelHash, Fees: fees})
	termsHash, err := t.contentHash(TypeTerms, &terms)
	if err != nil {
		return "", err
	}
	fv := FeeVersion{
		Agreement: a.ID, Version: uint64(m.FeeVersion), PriceModelVersion: ref.Version, PriceModelHash: m.PriceModelHash,
		Fees: fees, TermsHash: termsHash, Entered: v.act,
	}
	if _, err := t.putOnce("message.feeVersion", fv, keyFeeVersion, a.ID, version(fv.Version)); err != nil {
		return "", err
	}
	old := agreementIndexes(a)
	a.FeeVersion, a.TermsHash = fv.Version, termsHash
	a.ApprovedCustomer, a.ApprovedAnbieter = false, false
	if a.Status == AgreementConcluded || a.Status == AgreementFeeChangePending {
		a.Status = AgreementFeeChangePending
	} else {
		a.Status = AgreementFeesEntered
	}
	a.Acts = append(a.Acts, v.act)
	return t.saveAgreement("FeesEntered", a, old)
}

// ApproveFees approves the terms of the latest fee version, signed by the
// customer or the Anbieter. With both approvals a first fee version awaits
// the order; a fee change takes effect.
func (c *Registry) ApproveFees(ctx contractapi.TransactionContextInterface, message, signature string) (string, error) {
	t, err := begin(ctx)
	if err != nil {
		return "", err
	}
	var m ApproveFeesMessage
	v, err := t.verify(message, signature, &m)
	if err != nil {
		return "", err
	}
	a, err := t.agreement("message.agreement", m.Agreement)
	if err != nil {
		return "", err
	}
	if m.Party != a.Customer && m.Party != a.Anbieter {
		return "", forbidden("message.party", "only the customer %s or the Anbieter %s approve agreement %s", a.Customer, a.Anbieter, a.ID)
	}
	p, err := t.party("message.party", m.Party)
	if err != nil {
		return "", err
	}
	if err := t.signedBy(v, p); err != nil {
		return "", err
	}
	switch {
	case a.Status != AgreementFeesEntered && a.Status != AgreementFeeChangePending:
		return "", conflict("message.agreement", "agreement %s is %s; there are no entered fees to approve", a.ID, a.Status)
	case uint64(m.FeeVersion) != a.FeeVersion:
		return "", conflict("message.feeVersion", "the fee version to approve is %d", a.FeeVersion)
	case m.TermsHash != a.TermsHash:
		return "", conflict("message.termsHash", "does not match the terms of fee version %d (%s)", a.FeeVersion, a.TermsHash)
	case m.Party == a.Customer && a.ApprovedCustomer, m.Party == a.Anbieter && a.ApprovedAnbieter:
		return "", conflict("message.party", "party %s already approved fee version %d", m.Party, a.FeeVersion)
	}
	old := agreementIndexes(a)
	if m.Party == a.Customer {
		a.ApprovedCustomer = true
	}
	if m.Party == a.Anbieter {
		a.ApprovedAnbieter = true
	}
	if a.ApprovedCustomer && a.ApprovedAnbieter {
		if a.Status == AgreementFeeChangePending {
			a.Status = AgreementConcluded
			a.EffectiveVersion, a.EffectiveTerms = a.FeeVersion, a.TermsHash
		} else {
			a.Status = AgreementApproved
		}
	}
	a.Acts = append(a.Acts, v.act)
	return t.saveAgreement("FeesApproved", a, old)
}

// PlaceOrder is the customer's binding order of the approved terms: the
// agreement is concluded.
func (c *Registry) PlaceOrder(ctx contractapi.TransactionContextInterface, message, signature string) (string, error) {
	t, err := begin(ctx)
	if err != nil {
		return "", err
	}
	var m PlaceOrderMessage
	v, err := t.verify(message, signature, &m)
	if err != nil {
		return "", err
	}
	a, err := t.agreement("message.agreement", m.Agreement)
	if err != nil {
		return "", err
	}
	customer, err := t.party("message.agreement", a.Customer)
	if err != nil {
		return "", err
	}
	if err := t.signedBy(v, customer); err != nil {
		return "", err
	}
	if a.Status != AgreementApproved {
		return "", conflict("message.agreement", "agreement %s is %s; an order needs terms approved by customer and Anbieter", a.ID, a.Status)
	}
	if m.TermsHash != a.TermsHash {
		return "", conflict("message.termsHash", "does not match the approved terms (%s)", a.TermsHash)
	}
	old := agreementIndexes(a)
	a.Status = AgreementConcluded
	a.EffectiveVersion, a.EffectiveTerms = a.FeeVersion, a.TermsHash
	a.Acts = append(a.Acts, v.act)
	return t.saveAgreement("OrderPlaced", a, old)
}

// Terminate ends an agreement at an end date, signed by the customer or the
// Anbieter.
func (c *Registry) Terminate(ctx contractapi.TransactionContextInterface, message, signature string) (string, error) {
	t, err := begin(ctx)
	if err != nil {
		return "", err
	}
	var m TerminateMessage
	v, err := t.verify(message, signature, &m)
	if err != nil {
		return "", err
	}
	a, err := t.agreement("message.agreement", m.Agreement)
	if err != nil {
		return "", err
	}
	if m.Party != a.Customer && m.Party != a.Anbieter {
		return "", forbidden("message.party", "only the customer %s or the Anbieter %s terminate agreement %s", a.Customer, a.Anbieter, a.ID)
	}
	p, err := t.party("message.party", m.Party)
	if err != nil {
		return "", err
	}
	if err := t.signedBy(v, p); err != nil {
		return "", err
	}
	if a.Status == AgreementTerminated {
		return "", conflict("message.agreement", "agreement %s is already terminated", a.ID)
	}
	if m.EndDate < t.now.Format(time.DateOnly) {
		return "", invalid("message.endDate", "must not be before the transaction date %s", t.now.Format(time.DateOnly))
	}
	old := agreementIndexes(a)
	a.Status = AgreementTerminated
	a.EndDate = m.EndDate
	a.Acts = append(a.Acts, v.act)
	return t.saveAgreement("AgreementTerminated", a, old)
}

// ---- queries ----

// GetDomain returns the EIP-712 domain of this channel.
func (c *Registry) GetDomain(ctx contractapi.TransactionContextInterface) (string, error) {
	raw, err := json.Marshal(Domain(ctx.GetStub().GetChannelID()))
	if err != nil {
		return "", fmt.Errorf("encode domain: %w", err)
	}
	return string(raw), nil
}

func (c *Registry) read(ctx contractapi.TransactionContextInterface, field, what, objectType string, attrs ...string) (string, error) {
	t, err := begin(ctx)
	if err != nil {
		return "", err
	}
	k, err := t.key(objectType, attrs...)
	if err != nil {
		return "", invalid(field, "%v", err)
	}
	raw, err := t.stub.GetState(k)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", objectType, err)
	}
	if raw == nil {
		return "", notFound(field, "no %s %s", what, strings.Join(attrs, "/"))
	}
	return string(raw), nil
}

// GetParty returns a party.
func (c *Registry) GetParty(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	return c.read(ctx, "id", "party", keyParty, id)
}

// GetOffering returns the current state of an offering.
func (c *Registry) GetOffering(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	return c.read(ctx, "id", "offering", keyOffering, id)
}

func parseVersion(field, s string) (string, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v == 0 {
		return "", invalid(field, "must be a version number 1 or more")
	}
	return version(v), nil
}

// GetOfferingVersion returns one version of an offering.
func (c *Registry) GetOfferingVersion(ctx contractapi.TransactionContextInterface, id, ver string) (string, error) {
	v, err := parseVersion("version", ver)
	if err != nil {
		return "", err
	}
	return c.read(ctx, "version", "offering version", keyOfferingVersion, id, v)
}

// GetPriceModel returns a price-model version of an offering.
func (c *Registry) GetPriceModel(ctx contractapi.TransactionContextInterface, offering, ver string) (string, error) {
	v, err := parseVersion("version", ver)
	if err != nil {
		return "", err
	}
	return c.read(ctx, "version", "price model", keyPriceModel, offering, v)
}

// GetAgreement returns an agreement.
func (c *Registry) GetAgreement(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	return c.read(ctx, "id", "agreement", keyAgreement, id)
}

// GetEndorsementPolicy returns the member orgs whose peers must endorse
// every change of an agreement (its key's state-based endorsement policy).
func (c *Registry) GetEndorsementPolicy(ctx contractapi.TransactionContextInterface, agreement string) (string, error) {
	stub := ctx.GetStub()
	k, err := stub.CreateCompositeKey(keyAgreement, []string{agreement})
	if err != nil {
		return "", invalid("id", "%v", err)
	}
	policy, err := stub.GetStateValidationParameter(k)
	if err != nil {
		return "", fmt.Errorf("read endorsement policy: %w", err)
	}
	if policy == nil {
		return "", notFound("id", "agreement %s has no endorsement policy", agreement)
	}
	ep, err := statebased.NewStateEP(policy)
	if err != nil {
		return "", fmt.Errorf("decode endorsement policy: %w", err)
	}
	orgs := ep.ListOrgs()
	slices.Sort(orgs)
	raw, err := json.Marshal(orgs)
	if err != nil {
		return "", fmt.Errorf("encode endorsement policy: %w", err)
	}
	return string(raw), nil
}

// GetFeeVersion returns a fee version of an agreement.
func (c *Registry) GetFeeVersion(ctx contractapi.TransactionContextInterface, agreement, ver string) (string, error) {
	v, err := parseVersion("version", ver)
	if err != nil {
		return "", err
	}
	return c.read(ctx, "version", "fee version", keyFeeVersion, agreement, v)
}

func parsePageSize(s string) (int32, error) {
	if s == "" {
		return 50, nil
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n < 1 || n > 1000 {
		return 0, invalid("pageSize", "must be 1 to 1000")
	}
	return int32(n), nil
}

// checkBookmark refuses a bookmark outside the listing's key range: a Fabric
// peer would start the scan there, unchecked, and read other keys.
func checkBookmark(stub shim.ChaincodeStubInterface, objectType string, attrs []string, bookmark string) error {
	if bookmark == "" {
		return nil
	}
	start, err := stub.CreateCompositeKey(objectType, attrs)
	if err != nil {
		return invalid("bookmark", "%v", err)
	}
	if !strings.HasPrefix(bookmark, start) {
		return invalid("bookmark", "is not a bookmark of this listing")
	}
	return nil
}

// list pages through records, either directly by their primary keys or
// through an index whose last attribute is the record id.
func list(ctx contractapi.TransactionContextInterface, objectType, index, value, pageSize, bookmark string) (string, error) {
	stub := ctx.GetStub()
	size, err := parsePageSize(pageSize)
	if err != nil {
		return "", err
	}
	scan, attrs := objectType, []string{}
	if index != "" {
		scan, attrs = objectType+"~"+index, []string{value}
	}
	if err := checkBookmark(stub, scan, attrs, bookmark); err != nil {
		return "", err
	}
	it, md, err := stub.GetStateByPartialCompositeKeyWithPagination(scan, attrs, size, bookmark)
	if err != nil {
		return "", invalid("bookmark", "%v", err)
	}
	defer it.Close()
	page := Page[json.RawMessage]{Items: []json.RawMessage{}, Bookmark: md.GetBookmark()}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return "", fmt.Errorf("list %s: %w", objectType, err)
		}
		raw := kv.Value
		if index != "" {
			_, parts, err := stub.SplitCompositeKey(kv.Key)
			if err != nil || len(parts) == 0 {
				return "", fmt.Errorf("index %s: malformed key %q", scan, kv.Key)
			}
			k, err := stub.CreateCompositeKey(objectType, parts[len(parts)-1:])
			if err != nil {
				return "", err
			}
			if raw, err = stub.GetState(k); err != nil {
				return "", fmt.Errorf("read %s: %w", objectType, err)
			}
			if raw == nil {
				return "", fmt.Errorf("index %s names missing %s %s", scan, objectType, parts[len(parts)-1])
			}
		}
		page.Items = append(page.Items, raw)
	}
	out, err := json.Marshal(page)
	if err != nil {
		return "", fmt.Errorf("encode page: %w", err)
	}
	return string(out), nil
}

// ListOfferings pages through offerings: all (by = ""), or by themenfeld,
// supplier, anbieter, status or leika.
func (c *Registry) ListOfferings(ctx contractapi.TransactionContextInterface, by, value, pageSize, bookmark string) (string, error) {
	if by != "" && !slices.Contains([]string{"themenfeld", "supplier", "anbieter", "status", "leika"}, by) {
		return "", invalid("by", "must be one of themenfeld, supplier, anbieter, status, leika, or empty")
	}
	return list(ctx, keyOffering, by, value, pageSize, bookmark)
}

// ListAgreements pages through agreements: all (by = ""), or by customer,
// supplier, anbieter or status.
func (c *Registry) ListAgreements(ctx contractapi.TransactionContextInterface, by, value, pageSize, bookmark string) (string, error) {
	if by != "" && !slices.Contains([]string{"customer", "supplier", "anbieter", "status"}, by) {
		return "", invalid("by", "must be one of customer, supplier, anbieter, status, or empty")
	}
	return list(ctx, keyAgreement, by, value, pageSize, bookmark)
}

// ListPriceModels pages through the price-model versions of an offering, oldest first.
func (c *Registry) ListPriceModels(ctx contractapi.TransactionContextInterface, offering, pageSize, bookmark string) (string, error) {
	size, err := parsePageSize(pageSize)
	if err != nil {
		return "", err
	}
	if err := checkBookmark(ctx.GetStub(), keyPriceModel, []string{offering}, bookmark); err != nil {
		return "", err
	}
	it, md, err := ctx.GetStub().GetStateByPartialCompositeKeyWithPagination(keyPriceModel, []string{offering}, size, bookmark)
	if err != nil {
		return "", invalid("bookmark", "%v", err)
	}
	defer it.Close()
	page := Page[json.RawMessage]{Items: []json.RawMessage{}, Bookmark: md.GetBookmark()}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return "", fmt.Errorf("list price models: %w", err)
		}
		page.Items = append(page.Items, kv.Value)
	}
	out, err := json.Marshal(page)
	if err != nil {
		return "", fmt.Errorf("encode page: %w", err)
	}
	return string(out), nil
}

// History returns every committed change of a record, newest first: record
// is party, offering, agreement, priceModel (id "offering/version") or
// feeVersion (id "agreement/version").
func (c *Registry) History(ctx contractapi.TransactionContextInterface, record, id string) (string, error) {
	stub := ctx.GetStub()
	attrs := []string{id}
	switch record {
	case keyParty, keyOffering, keyAgreement:
	case keyPriceModel, keyFeeVersion:
		parent, ver, ok := strings.Cut(id, "/")
		v, err := parseVersion("id", ver)
		if !ok || err != nil {
			return "", invalid("id", "must be <id>/<version> for a %s", record)
		}
		attrs = []string{parent, v}
	default:
		return "", invalid("record", "must be party, offering, agreement, priceModel or feeVersion")
	}
	k, err := stub.CreateCompositeKey(record, attrs)
	if err != nil {
		return "", invalid("id", "%v", err)
	}
	it, err := stub.GetHistoryForKey(k)
	if err != nil {
		return "", fmt.Errorf("history: %w", err)
	}
	defer it.Close()
	out := []HistoryEntry{}
	for it.HasNext() {
		m, err := it.Next()
		if err != nil {
			return "", fmt.Errorf("history: %w", err)
		}
		e := HistoryEntry{TxID: m.TxId, Time: m.Timestamp.AsTime().UTC().Format(time.RFC3339Nano), IsDelete: m.IsDelete}
		if !m.IsDelete {
			e.Value = m.Value
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return "", notFound("id", "no %s %s", record, id)
	}
	raw, err := json.Marshal(out)
	if err != nil {
		return "", fmt.Errorf("encode history: %w", err)
	}
	return string(raw), nil
}
