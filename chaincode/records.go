package chaincode

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// TermsOf returns the terms a fee version of an agreement makes: what its
// terms hash covers.
func TermsOf(a *Agreement, fv *FeeVersion) Terms {
	return Terms{
		Agreement: a.ID, Offering: a.Offering, OfferingVersion: Uint(a.OfferingVersion), OfferingHash: a.OfferingHash,
		PriceModel: Uint(fv.PriceModelVersion), PriceModelHash: fv.PriceModelHash, FeeVersion: Uint(fv.Version),
		AnnualFee: Uint(fv.Fees.AnnualFee), ProRataFee: Uint(fv.Fees.ProRataFee), ConnectionFee: Uint(fv.Fees.ConnectionFee),
		ScopeOfUse: fv.Fees.ScopeOfUse, Customer: a.Customer, Supplier: a.Supplier, Anbieter: a.Anbieter,
		ParentAgreement: a.ParentAgreement,
	}
}

// ContentHash is the EIP-712 digest ("0x…") of a record's content — type
// Offering, PriceModel or Terms — on a channel: the hash the registry stores
// with offering versions, price-model versions and fee versions.
func ContentHash(channel, primaryType string, content any) (string, error) {
	typed, err := TypedMessage(content)
	if err != nil {
		return "", fmt.Errorf("typed %s: %w", primaryType, err)
	}
	h, err := Digest(channel, primaryType, typed)
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", primaryType, err)
	}
	return "0x" + hex.EncodeToString(h), nil
}

// State keys of the records, as the chaincode writes them (Fabric composite
// keys), for those who read read/write sets: auditors and their verifiers.

// PartyKey is the state key of a party.
func PartyKey(id string) string { return compositeKey(keyParty, id) }

// AgreementKey is the state key of an agreement.
func AgreementKey(id string) string { return compositeKey(keyAgreement, id) }

// FeeVersionKey is the state key of an agreement's fee version.
func FeeVersionKey(agreement string, v uint64) string {
	return compositeKey(keyFeeVersion, agreement, version(v))
}

// PriceModelKey is the state key of a price-model version.
func PriceModelKey(offering string, v uint64) string {
	return compositeKey(keyPriceModel, offering, version(v))
}

// OfferingVersionKey is the state key of an offering version.
func OfferingVersionKey(offering string, v uint64) string {
	return compositeKey(keyOfferingVersion, offering, version(v))
}

// compositeKey builds a key as shim.CreateCompositeKey does (the attributes
// are checked when the chaincode writes; here they only name what to look for).
func compositeKey(objectType string, attrs ...string) string {
	var b strings.Builder
	b.WriteString("\x00" + objectType + "\x00")
	for _, a := range attrs {
		b.WriteString(a + "\x00")
	}
	return b.String()
}
