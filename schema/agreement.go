package schema

// Agreement statuses, in workflow order.
const (
	AgreementInterest         = "INTEREST"
	AgreementFeesEntered      = "FEES_ENTERED"
	AgreementApproved         = "APPROVED"
	AgreementConcluded        = "CONCLUDED"
	AgreementFeeChangePending = "FEE_CHANGE_PENDING"
	AgreementTerminated       = "TERMINATED"
)

// AgreementStatuses lists the agreement statuses in workflow order.
var AgreementStatuses = []string{AgreementInterest, AgreementFeesEntered, AgreementApproved,
	AgreementConcluded, AgreementFeeChangePending, AgreementTerminated}

// Fees are the four agreed fee fields; amounts in euro cents.
type Fees struct {
	AnnualFee     Uint   `json:"annualFee"`
	ProRataFee    Uint   `json:"proRataFee"`
	ConnectionFee Uint   `json:"connectionFee"`
	ScopeOfUse    string `json:"scopeOfUse"`
}

// FeeVersion is one version of an agreement's fees and the terms they make,
// write-once.
type FeeVersion struct {
	Agreement         string `json:"agreement"`
	Version           Uint   `json:"version"`
	PriceModelVersion Uint   `json:"priceModelVersion"`
	PriceModelHash    string `json:"priceModelHash"`
	Fees              Fees   `json:"fees"`
	TermsHash         string `json:"termsHash"` // EIP-712 digest of the terms (type Terms)
	// ValidFrom is the first day the version may be in force: 1 January of
	// the next year for a fee adjustment; "" for fees entered by hand, in
	// force from the day they are approved (or ordered).
	ValidFrom string    `json:"validFrom,omitempty"`
	Entered   SignedAct `json:"entered"`
}

// Agreement is a usage agreement (Nachnutzungsvertrag) between a customer
// and an Anbieter for an offering of a supplier.
type Agreement struct {
	ID               string `json:"id"`
	Offering         string `json:"offering"`
	OfferingVersion  Uint   `json:"offeringVersion"`
	OfferingHash     string `json:"offeringHash"`
	Customer         string `json:"customer"`
	Supplier         string `json:"supplier"`
	Anbieter         string `json:"anbieter"`
	ParentAgreement  string `json:"parentAgreement,omitempty"`
	Status           string `json:"status"`
	FeeVersion       Uint   `json:"feeVersion"`        // the latest fee version entered
	TermsHash        string `json:"termsHash"`         // its terms
	ApprovedCustomer bool   `json:"approvedCustomer"`  // of the latest fee version
	ApprovedAnbieter bool   `json:"approvedAnbieter"`  // of the latest fee version
	EffectiveVersion Uint   `json:"effectiveVersion"`  // the fee version in force (0 before the order)
	EffectiveTerms   string `json:"effectiveTerms"`    // its terms hash
	EndDate          string `json:"endDate,omitempty"` // set by termination
	// OrderDate is the date of the customer's order; Periods the fee
	// versions in force since, each from its first day (what invoices are
	// computed from).
	OrderDate        string      `json:"orderDate,omitempty"`
	Periods          []FeePeriod `json:"periods,omitempty"`
	EndorsingMembers []string    `json:"endorsingMembers"`
	ActLog
	Updated Stamp `json:"updated"`
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

// TermsOf returns the terms a fee version of an agreement makes: what its
// terms hash covers.
func TermsOf(a *Agreement, fv *FeeVersion) Terms {
	return Terms{
		Agreement: a.ID, Offering: a.Offering, OfferingVersion: a.OfferingVersion, OfferingHash: a.OfferingHash,
		PriceModel: fv.PriceModelVersion, PriceModelHash: fv.PriceModelHash, FeeVersion: fv.Version,
		AnnualFee: fv.Fees.AnnualFee, ProRataFee: fv.Fees.ProRataFee, ConnectionFee: fv.Fees.ConnectionFee,
		ScopeOfUse: fv.Fees.ScopeOfUse, Customer: a.Customer, Supplier: a.Supplier, Anbieter: a.Anbieter,
		ParentAgreement: a.ParentAgreement,
	}
}
