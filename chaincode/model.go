package chaincode

import "encoding/json"

// Party kinds.
const (
	KindBund            = "Bund"
	KindLand            = "Land"
	KindKommune         = "Kommune"
	KindITDienstleister = "IT-Dienstleister"
	KindAnbieter        = "Anbieter"
	KindBuendler        = "Bündler"
)

// PartyKinds lists the kinds of party.
var PartyKinds = []string{KindBund, KindLand, KindKommune, KindITDienstleister, KindAnbieter, KindBuendler}

// supplierKinds may provide offerings (Bereitsteller); customerKinds may
// order them (Kunde/Nachnutzer; a Bündler buys for small municipalities).
var (
	supplierKinds = []string{KindBund, KindLand, KindKommune, KindITDienstleister}
	customerKinds = []string{KindBund, KindLand, KindKommune, KindITDienstleister, KindBuendler}
)

// PartyRegistration is what a member org submits to register a party it vouches for.
type PartyRegistration struct {
	ID        string   `json:"id"`
	Kind      string   `json:"kind"`
	Name      string   `json:"name"`
	ARS       string   `json:"ars,omitempty"`
	AGS       string   `json:"ags,omitempty"`
	LeitwegID string   `json:"leitwegId,omitempty"`
	InHouse   []string `json:"inHouse"` // Anbieter the party may order from (§108 GWB)
}

// Key is a signing key of a party with its validity window (Unix seconds;
// ValidUntil 0 means open-ended).
type Key struct {
	Address    string `json:"address"`
	ValidFrom  int64  `json:"validFrom"`
	ValidUntil int64  `json:"validUntil"`
	AddedTx    string `json:"addedTx"`
	RevokedTx  string `json:"revokedTx,omitempty"`
}

// validAt reports whether the key signs validly at t.
func (k *Key) validAt(t int64) bool {
	return k.ValidFrom <= t && (k.ValidUntil == 0 || t < k.ValidUntil)
}

// Party is a registered authority, supplier, Anbieter or Bündler.
type Party struct {
	PartyRegistration
	VouchedBy string      `json:"vouchedBy"` // MSP id of the member org
	Keys      []Key       `json:"keys"`
	Acts      []SignedAct `json:"acts"` // the signed key acts
	Updated   Stamp       `json:"updated"`
}

// Stamp says which transaction last changed a record, and when.
type Stamp struct {
	TxID string `json:"txId"`
	Time string `json:"time"` // RFC 3339, the transaction timestamp
}

// SignedAct is an act as it was signed and accepted: the message, the
// signature, the recovered signer and the party it acted for, and the
// transaction that carried it.
type SignedAct struct {
	Type      string          `json:"type"`
	Message   json.RawMessage `json:"message"`
	Signature string          `json:"signature"`
	Signer    string          `json:"signer"`
	Party     string          `json:"party"`
	Digest    string          `json:"digest"`
	TxID      string          `json:"txId"`
	Time      string          `json:"time"`
	// ProofOfPossession is the new key's own signature (AddKey only).
	ProofOfPossession string `json:"proofOfPossession,omitempty"`
}

// Offering statuses.
const (
	OfferingSubmitted = "SUBMITTED" // the latest version awaits the Anbieter's acceptance
	OfferingPublished = "PUBLISHED" // the latest version is accepted and on the marketplace
	OfferingWithdrawn = "WITHDRAWN"
)

// OfferingVersion is one version of an offering, write-once.
type OfferingVersion struct {
	OfferingContent
	Hash      string    `json:"hash"` // EIP-712 digest of the content (type Offering)
	Submitted SignedAct `json:"submitted"`
}

// Offering is the current state of an offering: its latest version, the
// version on the marketplace, and its status.
type Offering struct {
	OfferingVersion
	Status           string      `json:"status"`
	PublishedVersion uint64      `json:"publishedVersion"`
	PublishedHash    string      `json:"publishedHash"`
	Acts             []SignedAct `json:"acts"` // acceptances and withdrawal
	Updated          Stamp       `json:"updated"`
}

// PriceModel is a published price-model version, write-once.
type PriceModel struct {
	PriceModelContent
	Hash      string    `json:"hash"` // EIP-712 digest of the content (type PriceModel)
	Published SignedAct `json:"published"`
}

// Agreement statuses, in workflow order.
const (
	AgreementInterest         = "INTEREST"
	AgreementFeesEntered      = "FEES_ENTERED"
	AgreementApproved         = "APPROVED"
	AgreementConcluded        = "CONCLUDED"
	AgreementFeeChangePending = "FEE_CHANGE_PENDING"
	AgreementTerminated       = "TERMINATED"
)

// Fees are the four agreed fee fields; amounts in euro cents.
type Fees struct {
	AnnualFee     uint64 `json:"annualFee"`
	ProRataFee    uint64 `json:"proRataFee"`
	ConnectionFee uint64 `json:"connectionFee"`
	ScopeOfUse    string `json:"scopeOfUse"`
}

// FeeVersion is one version of an agreement's fees and the terms they make,
// write-once.
type FeeVersion struct {
	Agreement         string    `json:"agreement"`
	Version           uint64    `json:"version"`
	PriceModelVersion uint64    `json:"priceModelVersion"`
	PriceModelHash    string    `json:"priceModelHash"`
	Fees              Fees      `json:"fees"`
	TermsHash         string    `json:"termsHash"` // EIP-712 digest of the terms (type Terms)
	Entered           SignedAct `json:"entered"`
}

// Agreement is a usage agreement (Nachnutzungsvertrag) between a customer
// and an Anbieter for an offering of a supplier.
type Agreement struct {
	ID               string      `json:"id"`
	Offering         string      `json:"offering"`
	OfferingVersion  uint64      `json:"offeringVersion"`
	OfferingHash     string      `json:"offeringHash"`
	Customer         string      `json:"customer"`
	Supplier         string      `json:"supplier"`
	Anbieter         string      `json:"anbieter"`
	ParentAgreement  string      `json:"parentAgreement,omitempty"`
	Status           string      `json:"status"`
	FeeVersion       uint64      `json:"feeVersion"`        // the latest fee version entered
	TermsHash        string      `json:"termsHash"`         // its terms
	ApprovedCustomer bool        `json:"approvedCustomer"`  // of the latest fee version
	ApprovedAnbieter bool        `json:"approvedAnbieter"`  // of the latest fee version
	EffectiveVersion uint64      `json:"effectiveVersion"`  // the fee version in force (0 before the order)
	EffectiveTerms   string      `json:"effectiveTerms"`    // its terms hash
	EndDate          string      `json:"endDate,omitempty"` // set by termination
	EndorsingMembers []string    `json:"endorsingMembers"`
	Acts             []SignedAct `json:"acts"`
	Updated          Stamp       `json:"updated"`
}

// Event is the payload of the chaincode event every state change emits.
type Event struct {
	Act        string `json:"act"`
	Record     string `json:"record"` // party, offering, priceModel, agreement
	ID         string `json:"id"`
	Status     string `json:"status,omitempty"`
	RecordHash string `json:"recordHash"` // SHA-256 of the record as stored
	TxID       string `json:"txId"`
}

// Page is one page of a listing.
type Page[T any] struct {
	Items    []T    `json:"items"`
	Bookmark string `json:"bookmark"` // "" on the last page
}

// HistoryEntry is one committed change of a record.
type HistoryEntry struct {
	TxID     string          `json:"txId"`
	Time     string          `json:"time"`
	IsDelete bool            `json:"isDelete"`
	Value    json.RawMessage `json:"value,omitempty"`
}
