package schema

import (
	"crypto/ecdsa"
	"encoding/hex"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"
)

// The EIP-712 domain of the registry. The channel is the salt, so a
// signature made for one channel is worthless on another.
const (
	DomainName    = "EfA Contract Registry"
	DomainVersion = "1"
)

// Salt is the domain salt of a channel: keccak256 of its name, as 0x-hex.
func Salt(channel string) string {
	return "0x" + hex.EncodeToString(crypto.Keccak256([]byte(channel)))
}

// Domain returns the EIP-712 domain of a channel.
func Domain(channel string) apitypes.TypedDataDomain {
	return apitypes.TypedDataDomain{Name: DomainName, Version: DomainVersion, Salt: Salt(channel)}
}

func fields(pairs ...string) []apitypes.Type {
	out := make([]apitypes.Type, 0, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, apitypes.Type{Name: pairs[i], Type: pairs[i+1]})
	}
	return out
}

// every act names a nonce and a deadline last.
func act(pairs ...string) []apitypes.Type {
	return fields(append(pairs, "nonce", "uint256", "deadline", "uint64")...)
}

var offeringFields = []string{
	"offering", "string", "version", "uint64", "supplier", "string", "anbieter", "string",
	"kind", "string", "title", "string", "description", "string", "themenfeld", "string",
	"leikaKeys", "string[]", "ozgIds", "string[]", "efaFinanced", "bool",
	"costInfrastructure", "uint64", "costDevelopment", "uint64", "costPlatform", "uint64",
	"costOperation", "uint64", "costUsage", "uint64", "documentHashes", "bytes32[]",
}

var priceModelFields = []string{
	"offering", "string", "version", "uint64", "predecessorHash", "bytes32", "validFrom", "string",
	"distributionKey", "string", "weightInhabitants", "uint64", "weightCases", "uint64",
	"weightTargetGroup", "uint64", "weightKoenigsteiner", "uint64",
	"annualFee", "uint64", "proRataFee", "uint64", "connectionFee", "uint64", "scopeOfUse", "string",
	"costInfrastructure", "uint64", "costDevelopment", "uint64", "costPlatform", "uint64",
	"costOperation", "uint64", "costUsage", "uint64", "efaFinanced", "bool", "targetGroup", "string",
	"vatCategory", "string", "vatRate", "uint64", "vatExemption", "string",
}

// Primary types of the acts parties sign, and of the records whose hash is
// their EIP-712 digest.
const (
	TypeAddKey            = "AddKey"
	TypeRevokeKey         = "RevokeKey"
	TypeSubmitOffering    = "SubmitOffering"
	TypeAcceptOffering    = "AcceptOffering"
	TypeWithdrawOffering  = "WithdrawOffering"
	TypePublishPriceModel = "PublishPriceModel"
	TypeExpressInterest   = "ExpressInterest"
	TypeEnterFees         = "EnterFees"
	TypeApproveFees       = "ApproveFees"
	TypePlaceOrder        = "PlaceOrder"
	TypeTerminate         = "Terminate"
	TypeReportUsage       = "ReportUsage"
	TypePublishAllocation = "PublishAllocation"
	TypeAdjustFees        = "AdjustFees"
	TypeIssueInvoice      = "IssueInvoice"

	TypeOffering   = "Offering"
	TypePriceModel = "PriceModel"
	TypeTerms      = "Terms"
)

var types = apitypes.Types{
	"EIP712Domain":        fields("name", "string", "version", "string", "salt", "bytes32"),
	TypeAddKey:            act("party", "string", "key", "address", "validFrom", "uint64", "validUntil", "uint64"),
	TypeRevokeKey:         act("party", "string", "key", "address"),
	TypeSubmitOffering:    act(offeringFields...),
	TypeAcceptOffering:    act("offering", "string", "version", "uint64", "offeringHash", "bytes32"),
	TypeWithdrawOffering:  act("offering", "string", "party", "string", "reason", "string"),
	TypePublishPriceModel: act(priceModelFields...),
	TypeExpressInterest:   act("agreement", "string", "offering", "string", "customer", "string", "parentAgreement", "string"),
	TypeEnterFees: act("agreement", "string", "feeVersion", "uint64", "priceModelHash", "bytes32",
		"annualFee", "uint64", "proRataFee", "uint64", "connectionFee", "uint64", "scopeOfUse", "string"),
	TypeApproveFees: act("agreement", "string", "party", "string", "feeVersion", "uint64", "termsHash", "bytes32"),
	TypePlaceOrder:  act("agreement", "string", "termsHash", "bytes32"),
	TypeTerminate:   act("agreement", "string", "party", "string", "endDate", "string", "reason", "string"),
	TypeReportUsage: act("agreement", "string", "year", "uint64", "cases", "uint64", "replaces", "uint64"),
	TypePublishAllocation: act("offering", "string", "year", "uint64", "version", "uint64", "priceModelHash", "bytes32",
		"allocationHash", "bytes32"),
	TypeAdjustFees: act("offering", "string", "year", "uint64", "allocationVersion", "uint64",
		"agreements", "string[]", "annualFees", "uint64[]"),
	TypeIssueInvoice: act("agreement", "string", "anbieter", "string", "year", "uint64", "number", "string"),

	TypeOffering:   fields(offeringFields...),
	TypePriceModel: fields(priceModelFields...),
	TypeTerms: fields("agreement", "string", "offering", "string", "offeringVersion", "uint64", "offeringHash", "bytes32",
		"priceModel", "uint64", "priceModelHash", "bytes32", "feeVersion", "uint64",
		"annualFee", "uint64", "proRataFee", "uint64", "connectionFee", "uint64", "scopeOfUse", "string",
		"customer", "string", "supplier", "string", "anbieter", "string", "parentAgreement", "string"),
}

// ActTypes lists the primary types of the acts, in workflow order.
var ActTypes = []string{
	TypeAddKey, TypeRevokeKey, TypeSubmitOffering, TypeAcceptOffering, TypeWithdrawOffering,
	TypePublishPriceModel, TypeExpressInterest, TypeEnterFees, TypeApproveFees, TypePlaceOrder, TypeTerminate,
	TypeReportUsage, TypePublishAllocation, TypeAdjustFees, TypeIssueInvoice,
}

// Types returns a copy of every EIP-712 type the registry defines: the
// domain, each act and each hashed record, in the eth_signTypedData_v4 shape
// (EIP712Domain included). A JavaScript wallet (ethers' signTypedData) wants
// only the primary type, without EIP712Domain.
func Types() apitypes.Types {
	out := make(apitypes.Types, len(types))
	for k, v := range types {
		out[k] = slices.Clone(v)
	}
	return out
}

// TypeOf returns the EIP-712 type of a primary type alone, in the shape
// ethers' signTypedData and verifyTypedData take (without EIP712Domain).
func TypeOf(primaryType string) (apitypes.Types, bool) {
	t, ok := types[primaryType]
	if !ok || primaryType == "EIP712Domain" {
		return nil, false
	}
	return apitypes.Types{primaryType: slices.Clone(t)}, true
}

// TypedData returns the complete typed data of a message, as a wallet signs it.
func TypedData(channel, primaryType string, message map[string]any) (apitypes.TypedData, error) {
	t, ok := types[primaryType]
	if !ok || primaryType == "EIP712Domain" {
		return apitypes.TypedData{}, fmt.Errorf("unknown EIP-712 type %q", primaryType)
	}
	if len(message) != len(t) {
		return apitypes.TypedData{}, fmt.Errorf("message has %d fields, type %s has %d", len(message), primaryType, len(t))
	}
	for _, f := range t {
		if _, ok := message[f.Name]; !ok {
			return apitypes.TypedData{}, fmt.Errorf("message lacks field %q of type %s", f.Name, primaryType)
		}
	}
	return apitypes.TypedData{
		Types:       apitypes.Types{"EIP712Domain": types["EIP712Domain"], primaryType: t},
		PrimaryType: primaryType,
		Domain:      Domain(channel),
		Message:     maps.Clone(message),
	}, nil
}

// Digest is the EIP-712 hash of a message given as a map, computed by
// go-ethereum's apitypes, as a wallet computes it: the reference DigestOf
// (which the registry uses, on typed messages, at a fraction of the cost)
// is checked against, and the hash for callers that hold a message as a map.
func Digest(channel, primaryType string, message map[string]any) ([]byte, error) {
	td, err := TypedData(channel, primaryType, message)
	if err != nil {
		return nil, err
	}
	h, _, err := apitypes.TypedDataAndHash(td)
	if err != nil {
		return nil, fmt.Errorf("EIP-712 hash of %s: %w", primaryType, err)
	}
	return h, nil
}

// secp256k1N is the order of the curve; Ethereum signatures use the low s,
// at most secp256k1N2.
var (
	secp256k1N  = crypto.S256().Params().N
	secp256k1N2 = new(big.Int).Rsh(secp256k1N, 1)
)

// ParseSignature checks the form of a signature — 0x and 65 bytes of hex:
// r ‖ s ‖ v with v 27 or 28 (or 0 or 1), r and s between 1 and the curve
// order, s in its lower half (a signature's malleable twin is refused) —
// and returns it with v as 0 or 1. A malformed signature is an invalid-input
// *Error naming field; the rule never quotes the input.
func ParseSignature(field, signature string) ([]byte, error) {
	if len(signature) != 2+2*65 || !strings.HasPrefix(signature, "0x") {
		return nil, Invalid(field, "must be 0x and 130 hex digits: a 65-byte signature r ‖ s ‖ v")
	}
	sig, err := hex.DecodeString(signature[2:])
	if err != nil {
		return nil, Invalid(field, "must be 0x and 130 hex digits: a 65-byte signature r ‖ s ‖ v")
	}
	if sig[64] >= 27 {
		sig[64] -= 27
	}
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:64])
	switch {
	case sig[64] > 1:
		return nil, Invalid(field, "recovery id v must be 27, 28, 0 or 1")
	case r.Sign() == 0 || s.Sign() == 0 || r.Cmp(secp256k1N) >= 0:
		return nil, Invalid(field, "r and s must lie between 1 and the order of secp256k1")
	case s.Cmp(secp256k1N2) > 0:
		return nil, Invalid(field, "s must be in the lower half of the curve order")
	}
	return sig, nil
}

// RecoverSigner returns the address whose key made a signature over the
// digest. A malformed signature is refused as invalid input (400), one that
// recovers no key as forbidden (403), each naming field.
func RecoverSigner(field string, digest []byte, signature string) (common.Address, error) {
	sig, err := ParseSignature(field, signature)
	if err != nil {
		return common.Address{}, err
	}
	pub, err := crypto.SigToPub(digest, sig)
	if err != nil {
		return common.Address{}, Forbidden(field, "recovers to no key")
	}
	return crypto.PubkeyToAddress(*pub), nil
}

// Sign signs an act's message with a secp256k1 key as an Ethereum wallet's
// eth_signTypedData_v4 does, returning 0x ‖ r ‖ s ‖ v with v = 27 or 28.
func Sign(channel string, m Message, key *ecdsa.PrivateKey) (string, error) {
	digest, err := DigestOf(channel, m.PrimaryType(), m)
	if err != nil {
		return "", err
	}
	sig, err := crypto.Sign(digest, key)
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	sig[64] += 27
	return "0x" + hex.EncodeToString(sig), nil
}

// ContentHash is the EIP-712 digest ("0x…") of a record's content — type
// Offering, PriceModel or Terms — on a channel: the hash the registry stores
// with offering versions, price-model versions and fee versions.
func ContentHash(channel, primaryType string, content any) (string, error) {
	h, err := DigestOf(channel, primaryType, content)
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", primaryType, err)
	}
	return "0x" + hex.EncodeToString(h), nil
}
