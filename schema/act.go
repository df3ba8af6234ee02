package schema

import (
	"crypto/ecdsa"
	"encoding/json"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// ActRequest is an act as portals post it: the acting party's EIP-712
// message and signature. AddKey also carries the new key's proof of
// possession; on the member's authority a key act carries no signature.
type ActRequest struct {
	Message           json.RawMessage `json:"message"`
	Signature         string          `json:"signature,omitempty"`
	ProofOfPossession string          `json:"proofOfPossession,omitempty"`
}

// Authority is on whose authority an act is submitted.
type Authority int

const (
	// ByParty: the act is signed by a current key of the acting party; any
	// client identity relays it.
	ByParty Authority = iota
	// ByMember: a key act (AddKey, RevokeKey) without the party's signature,
	// submitted by an admin identity of the party's vouching member org.
	ByMember
)

// Act is a signed act, decoded once: its validated message, its signatures
// and the authority it is submitted on. It knows the chaincode function and
// the arguments that carry it, and the digest its signatures are over.
type Act struct {
	Message           Message
	Signature         string
	ProofOfPossession string
	Authority         Authority
}

// DecodeAct decodes an act of a primary type as posted: the message strictly
// (unknown fields and trailing data refused, every rule checked) and the
// authority from the signatures present. Errors are *Error naming the field.
func DecodeAct(primaryType string, req ActRequest) (*Act, error) {
	m, err := NewMessage(primaryType)
	if err != nil {
		return nil, Invalid("type", "%v", err)
	}
	if len(req.Message) == 0 {
		return nil, Invalid("message", "is required: the EIP-712 message of the act")
	}
	if err := DecodeMessage(string(req.Message), m); err != nil {
		return nil, err
	}
	return NewAct(m, req.Signature, req.ProofOfPossession)
}

// NewAct makes an act of a message and its signatures. A key act without
// the party's signature is on the member's authority; AddKey always needs
// the new key's proof of possession.
func NewAct(m Message, signature, proofOfPossession string) (*Act, error) {
	a := &Act{Message: m, Signature: signature, ProofOfPossession: proofOfPossession}
	switch m.PrimaryType() {
	case TypeAddKey:
		if proofOfPossession == "" {
			return nil, Invalid("proofOfPossession", "is required: the new key's signature of the same message")
		}
		if signature == "" {
			a.Authority = ByMember
		}
	case TypeRevokeKey:
		if signature == "" {
			a.Authority = ByMember
		}
	}
	return a, nil
}

// SignAct signs a message with the acting party's key, as a wallet does.
func SignAct(channel string, m Message, key *ecdsa.PrivateKey) (*Act, error) {
	sig, err := Sign(channel, m, key)
	if err != nil {
		return nil, err
	}
	return &Act{Message: m, Signature: sig}, nil
}

// NewPartyKey makes a new signing key for a party and the AddKey act that
// registers it on the member's authority, with the key's proof of
// possession: its own signature of the message. An admin of the vouching
// member org submits it; a current key of the party may sign it instead
// (then set Signature and Authority ByParty).
func NewPartyKey(channel, party string, replay Replay) (*ecdsa.PrivateKey, *Act, error) {
	key, err := crypto.GenerateKey()
	if err != nil {
		return nil, nil, fmt.Errorf("new key: %w", err)
	}
	m := &AddKeyMessage{Party: party, Key: crypto.PubkeyToAddress(key.PublicKey).Hex(), Replay: replay}
	pop, err := Sign(channel, m, key)
	if err != nil {
		return nil, nil, err
	}
	return key, &Act{Message: m, ProofOfPossession: pop, Authority: ByMember}, nil
}

// Type is the act's EIP-712 primary type.
func (a *Act) Type() string { return a.Message.PrimaryType() }

// Function is the chaincode function that carries the act.
func (a *Act) Function() string {
	if a.Authority == ByMember {
		switch a.Type() {
		case TypeAddKey:
			return FnAddKeyAsMember
		case TypeRevokeKey:
			return FnRevokeKeyAsMember
		}
	}
	return a.Type()
}

// Args are the function's arguments: the message as canonical JSON, then
// the signature (on the party's authority) and the proof of possession
// (AddKey).
func (a *Act) Args() ([]string, error) {
	raw, err := json.Marshal(a.Message)
	if err != nil {
		return nil, fmt.Errorf("encode %s message: %w", a.Type(), err)
	}
	args := []string{string(raw)}
	if a.Authority == ByParty {
		args = append(args, a.Signature)
	}
	if a.ProofOfPossession != "" {
		args = append(args, a.ProofOfPossession)
	}
	return args, nil
}

// Record names the record the act changes: the party of a key act, the
// offering, the price-model version, or the agreement.
func (a *Act) Record() Ref {
	switch m := a.Message.(type) {
	case *AddKeyMessage:
		return PartyRef(m.Party)
	case *RevokeKeyMessage:
		return PartyRef(m.Party)
	case *SubmitOfferingMessage:
		return OfferingRef(m.Offering)
	case *AcceptOfferingMessage:
		return OfferingRef(m.Offering)
	case *WithdrawOfferingMessage:
		return OfferingRef(m.Offering)
	case *PublishPriceModelMessage:
		return PriceModelRef(m.Offering, m.Version)
	case *ExpressInterestMessage:
		return AgreementRef(m.Agreement)
	case *EnterFeesMessage:
		return AgreementRef(m.Agreement)
	case *ApproveFeesMessage:
		return AgreementRef(m.Agreement)
	case *PlaceOrderMessage:
		return AgreementRef(m.Agreement)
	case *TerminateMessage:
		return AgreementRef(m.Agreement)
	case *ReportUsageMessage:
		return FigureRef(FigureCases, m.Agreement, m.Year, m.Replaces+1)
	case *PublishAllocationMessage:
		return AllocationRef(m.Offering, m.Year, m.Version)
	case *AdjustFeesMessage: // and every agreement it names
		return OfferingRef(m.Offering)
	case *IssueInvoiceMessage:
		return InvoiceRef(InvoiceID(m.Anbieter, m.Number))
	}
	panic(fmt.Sprintf("schema: act %s names no record", a.Type())) // every message type is above
}

// Logged reports whether the registry keeps the act in the act log of the
// record it changes (Record, ActLog): every act a party signed, and a key
// the member adds with the new key's proof of possession — except those
// that make a write-once record keeping the act inside it (an offering
// version, a price-model version, a usage report, a published allocation,
// an invoice). A fee adjustment is logged on every agreement it names. A
// key the member revokes carries no signature and is not logged.
func (a *Act) Logged() bool {
	switch a.Message.(type) {
	case *SubmitOfferingMessage, *PublishPriceModelMessage, *ReportUsageMessage, *PublishAllocationMessage, *IssueInvoiceMessage:
		return false
	case *RevokeKeyMessage:
		return a.Authority == ByParty
	}
	return true
}

// Request is the body that posts the act.
func (a *Act) Request() (ActRequest, error) {
	raw, err := json.Marshal(a.Message)
	if err != nil {
		return ActRequest{}, fmt.Errorf("encode %s message: %w", a.Type(), err)
	}
	return ActRequest{Message: raw, Signature: a.Signature, ProofOfPossession: a.ProofOfPossession}, nil
}

// Field returns the value of a message field by its JSON name, as it is
// signed (e.g. "agreement"), and whether the message has it.
func (a *Act) Field(name string) (any, bool, error) {
	typed, err := TypedMessage(a.Message)
	if err != nil {
		return nil, false, fmt.Errorf("typed %s message: %w", a.Type(), err)
	}
	v, ok := typed[name]
	return v, ok, nil
}

// Digest is the EIP-712 digest of the message on a channel: what the
// signatures are over.
func (a *Act) Digest(channel string) ([]byte, error) {
	d, err := DigestOf(channel, a.Type(), a.Message)
	if err != nil {
		return nil, Invalid("message", "%v", err)
	}
	return d, nil
}

// CheckSignatures checks the form of the act's signatures (ParseSignature),
// without recovering a key: what a relay can refuse early, leaving the one
// recovery to the chaincode. A malformed signature is an invalid-input
// *Error naming its field.
func (a *Act) CheckSignatures() error {
	for _, s := range []struct{ field, sig string }{{"signature", a.Signature}, {"proofOfPossession", a.ProofOfPossession}} {
		if s.sig == "" {
			continue
		}
		if _, err := ParseSignature(s.field, s.sig); err != nil {
			return err
		}
	}
	return nil
}

// Signer recovers the address that signed the act on a channel: the
// party's key, or on the member's authority the new key of AddKey (the zero
// address for RevokeKey). A proof of possession must recover too. A
// malformed signature is an invalid-input *Error naming its field, one that
// recovers no key a forbidden one (see RecoverSigner).
func (a *Act) Signer(channel string) (common.Address, error) {
	digest, err := a.Digest(channel)
	if err != nil {
		return common.Address{}, err
	}
	var signer common.Address
	for _, s := range []struct{ field, sig string }{{"signature", a.Signature}, {"proofOfPossession", a.ProofOfPossession}} {
		if s.sig == "" {
			continue
		}
		addr, err := RecoverSigner(s.field, digest, s.sig)
		if err != nil {
			return common.Address{}, err
		}
		if signer == (common.Address{}) {
			signer = addr
		}
	}
	return signer, nil
}
