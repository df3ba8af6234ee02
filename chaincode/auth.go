package chaincode

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/efa-marktplatz/registry/schema"
	"github.com/ethereum/go-ethereum/common"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// memberAdmin returns the MSP id of the submitter, which must be an admin
// identity of a member org: only members vouch for parties.
func (t *tx) memberAdmin() (string, error) {
	ci := t.ctx.GetClientIdentity()
	if ci == nil {
		return "", schema.Forbidden("creator", "the submitter's identity cannot be read")
	}
	msp, err := ci.GetMSPID()
	if err != nil {
		return "", schema.Forbidden("creator", "the submitter's MSP cannot be read: %v", err)
	}
	cert, err := ci.GetX509Certificate()
	if err != nil || cert == nil {
		return "", schema.Forbidden("creator", "the submitter has no X.509 certificate")
	}
	if !slices.Contains(cert.Subject.OrganizationalUnit, "admin") {
		return "", schema.Forbidden("creator", "member administration needs an admin identity of a member org (OU=admin); %s submitted with %v", msp, cert.Subject.OrganizationalUnit)
	}
	return msp, nil
}

// vouchedBy checks that the member org msp vouches for the party: only its
// admins administer the party.
func vouchedBy(p *schema.Party, msp string) error {
	if p.VouchedBy != msp {
		return schema.Forbidden("creator", "party %s is vouched for by %s, not %s", p.ID, p.VouchedBy, msp)
	}
	return nil
}

// verified is an act whose signature recovered and whose nonce and deadline hold.
type verified struct {
	signer common.Address
	digest []byte
	act    schema.SignedAct
}

// verify decodes and validates an act's message, checks its deadline
// against the transaction time, recovers the signer, and spends the
// signer's nonce.
// beginAct begins a transaction that carries a party's signed act and
// verifies the act (see verify).
func beginAct(ctx contractapi.TransactionContextInterface, message, signature string, m schema.Message) (*tx, *verified, error) {
	t, err := begin(ctx)
	if err != nil {
		return nil, nil, err
	}
	v, err := t.verify(message, signature, m)
	if err != nil {
		return nil, nil, err
	}
	return t, v, nil
}

func (t *tx) verify(message, signature string, m schema.Message) (*verified, error) {
	if err := schema.DecodeMessage(message, m); err != nil {
		return nil, err
	}
	digest, err := t.digest(m)
	if err != nil {
		return nil, err
	}
	signer, err := schema.RecoverSigner("signature", digest, signature)
	if err != nil {
		return nil, err
	}
	return t.accept(m, digest, signer, signature)
}

// digest checks that the act's deadline has not passed at the transaction
// time and returns the EIP-712 digest of its message on this channel.
func (t *tx) digest(m schema.Message) ([]byte, error) {
	r := schema.ReplayOf(m)
	if int64(r.Deadline) < t.now.Unix() {
		return nil, schema.Invalid("message.deadline", "passed: %d is before the transaction time %d", r.Deadline, t.now.Unix())
	}
	digest, err := schema.DigestOf(t.channel, m.PrimaryType(), m)
	if err != nil {
		return nil, schema.Invalid("message", "%v", err)
	}
	return digest, nil
}

// accept spends the signer's nonce and records the act.
func (t *tx) accept(m schema.Message, digest []byte, signer common.Address, signature string) (*verified, error) {
	nonce := schema.ReplayOf(m).Nonce
	used, err := t.exists(keyNonce, signer.Hex(), nonce)
	if err != nil {
		return nil, err
	}
	if used {
		return nil, schema.Conflict("message.nonce", "nonce %s was already used by %s", nonce, signer.Hex())
	}
	receipt := schema.Receipt{TxID: t.txID, Digest: "0x" + hex.EncodeToString(digest)}
	if _, err := t.put(receipt, keyNonce, signer.Hex(), nonce); err != nil {
		return nil, fmt.Errorf("spend nonce: %w", err)
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode message: %w", err)
	}
	return &verified{signer: signer, digest: digest, act: schema.SignedAct{
		Type: m.PrimaryType(), Message: raw, Signature: strings.ToLower(signature), Signer: signer.Hex(),
		Digest: receipt.Digest, TxID: t.txID, Time: t.now.Format(time.RFC3339Nano),
	}}, nil
}

// signedByParty loads the party id (field names the input that names it)
// and checks that the act was signed by one of its valid keys.
func (t *tx) signedByParty(v *verified, field, id string) (*schema.Party, error) {
	p, err := parties.load(t, field, id)
	if err != nil {
		return nil, err
	}
	return p, t.signedBy(v, p)
}

// signedBy checks that the act was signed with a key of the party that is
// valid at the transaction time, and records the party on the act.
func (t *tx) signedBy(v *verified, p *schema.Party) error {
	now := t.unix()
	for _, k := range p.Keys {
		if k.Address != v.signer.Hex() {
			continue
		}
		switch {
		case k.ValidAt(int64(now)):
			v.act.Party = p.ID
			return nil
		case now < k.ValidFrom:
			return schema.Forbidden("signature", "key %s of party %s is not valid yet: valid from %d, now %d", k.Address, p.ID, k.ValidFrom, now)
		default:
			return schema.Forbidden("signature", "key %s of party %s is no longer valid: revoked or expired at %d, now %d", k.Address, p.ID, k.ValidUntil, now)
		}
	}
	return schema.Forbidden("signature", "signed by %s, which is not a key of party %s", v.signer.Hex(), p.ID)
}
