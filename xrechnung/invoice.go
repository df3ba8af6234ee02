package xrechnung

// Specification and process identifiers.
const (
	// CustomizationXRechnung is the specification identifier (BT-24) of the XRechnung 3.0 CIUS.
	CustomizationXRechnung = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
	// CustomizationXRechnungExtension is the specification identifier of the XRechnung 3.0 extension.
	CustomizationXRechnungExtension = CustomizationXRechnung + "#conformant#urn:xeinkauf.de:kosit:extension:xrechnung_3.0"
	// CustomizationXRechnungCVD is the specification identifier of the XRechnung 3.0 CVD variant.
	CustomizationXRechnungCVD = CustomizationXRechnung + "#compliant#urn:xeinkauf.de:kosit:xrechnung:cvd_0.9"
	// DefaultProcessID is the business process (BT-23) written when Invoice.ProcessID is empty.
	DefaultProcessID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
)

// Document type codes (BT-3, UNTDID 1001) that XRechnung allows (BR-DE-17).
const (
	TypePartialInvoice             = "326"
	TypeCommercialInvoice          = "380"
	TypeCreditNote                 = "381" // written as a UBL CreditNote document
	TypeCorrectedInvoice           = "384"
	TypeSelfBilledInvoice          = "389"
	TypePartialConstructionInvoice = "875"
	TypePartialFinalConstruction   = "876"
	TypeFinalConstructionInvoice   = "877"
)

// VAT category codes (BT-118/BT-151, UNTDID 5305) the writer supports.
const (
	VATStandard      = "S"  // standard rate
	VATZero          = "Z"  // zero rated goods
	VATExempt        = "E"  // exempt from VAT; needs an exemption reason
	VATReverseCharge = "AE" // VAT reverse charge; needs an exemption reason
	VATNotSubject    = "O"  // services outside the scope of VAT; needs an exemption reason
)

// Payment means codes (BT-81, UNTDID 4461) the writer supports.
const (
	MeansCreditTransfer     = "30"
	MeansSEPACreditTransfer = "58"
)

// Electronic address schemes (EAS) commonly used for German public buyers and sellers.
const (
	SchemeEmail     = "EM"   // e-mail address
	SchemeLeitwegID = "0204" // Leitweg-ID of a German public buyer
)

// Default values written when the corresponding field is empty.
const (
	DefaultCurrency  = "EUR"
	DefaultUnitCode  = "C62" // "one" (unit)
	DefaultMeansCode = MeansSEPACreditTransfer
)

// Invoice is a neutral description of one invoice or credit note. Money is in integer cents of the
// invoice currency, dates are "YYYY-MM-DD" strings. Marshal turns it into UBL 2.1 XML conforming to
// XRechnung 3.0.
type Invoice struct {
	Number            string      // BT-1 invoice number
	IssueDate         string      // BT-2 issue date
	TypeCode          string      // BT-3; 381 produces a CreditNote document
	Currency          string      // BT-5; only "EUR" is supported; empty means DefaultCurrency
	BuyerReference    string      // BT-10, the Leitweg-ID of a public buyer (BR-DE-15)
	ProcessID         string      // BT-23; empty means DefaultProcessID
	Preceding         []Reference // BG-3 preceding invoices (required for 384)
	ContractReference string      // BT-12, e.g. the usage agreement id (optional)
	Note              string      // BT-22 (optional)
	PeriodStart       string      // BT-73 invoicing period start (optional)
	PeriodEnd         string      // BT-74 invoicing period end (optional)
	Seller            Party       // BG-4
	Buyer             Party       // BG-7
	Payment           Payment     // BG-16
	PaymentTerms      string      // BT-20 (optional); cash discounts use the #SKONTO# syntax (BR-DE-18)
	DueDate           string      // BT-9 (optional)
	Lines             []Line      // BG-25, at least one
	VAT               VAT         // the VAT category shared by all lines
}

// Reference names a preceding invoice (BG-3).
type Reference struct {
	Number    string // BT-25
	IssueDate string // BT-26 (optional)
}

// Party is a seller (BG-4) or buyer (BG-7).
type Party struct {
	Name               string            // BT-27/BT-44 legal name (PartyLegalEntity/RegistrationName)
	TradingName        string            // BT-28/BT-45 (optional)
	Identifier         string            // BT-29/BT-46 party identifier (optional)
	IdentifierScheme   string            // ISO 6523 ICD scheme of Identifier (optional)
	Street             string            // BT-35/BT-50 (optional)
	AdditionalStreet   string            // BT-36/BT-51 (optional)
	City               string            // BT-37/BT-52 (BR-DE-3, BR-DE-8)
	PostalCode         string            // BT-38/BT-53 (BR-DE-4, BR-DE-9)
	CountrySubdivision string            // BT-39/BT-54 (optional)
	CountryCode        string            // BT-40/BT-55, ISO 3166-1 alpha-2, e.g. "DE"
	ElectronicAddress  ElectronicAddress // BT-34/BT-49 (PEPPOL-EN16931-R020, R010)
	VATID              string            // BT-31/BT-48 (optional; must be empty for category O)
	TaxNumber          string            // BT-32 seller tax number, scheme "FC" (seller only, optional)
	RegistrationID     string            // BT-30/BT-47 legal registration identifier (optional)
	LegalInfo          string            // BT-33 additional legal information (seller only, optional)
	Contact            Contact           // BG-6 (mandatory for the seller) / BG-9 (optional)
}

// ElectronicAddress is an electronic address with its EAS scheme, e.g. {SchemeLeitwegID, "991-01234-56"}.
type ElectronicAddress struct {
	Scheme string
	Value  string
}

// Contact is a contact point; for the seller all three fields are mandatory (BR-DE-5/6/7).
type Contact struct {
	Name  string // BT-41/BT-56
	Phone string // BT-42/BT-57
	Email string // BT-43/BT-58
}

// Payment holds the payment instructions (BG-16) for a credit transfer (BG-17).
type Payment struct {
	MeansCode      string // BT-81: "58" SEPA credit transfer or "30"; empty means DefaultMeansCode
	IBAN           string // BT-84 payment account identifier; spaces are removed
	BIC            string // BT-86 (optional)
	AccountName    string // BT-85 (optional)
	RemittanceInfo string // BT-83 remittance information (optional)
}

// Line is an invoice line (BG-25).
type Line struct {
	ID            string // BT-126; empty means the 1-based position
	Name          string // BT-153 item name
	Description   string // BT-154 (optional)
	QuantityMilli int64  // BT-129 in thousandths: 1000 is a quantity of 1
	UnitCode      string // BT-130, UN/ECE Rec. 20, e.g. "C62" or "ANN"; empty means DefaultUnitCode
	NetCents      int64  // BT-131 line net amount; see LineNet
	PriceCents    int64  // BT-146 item net price per unit
	PeriodStart   string // BT-134 (optional)
	PeriodEnd     string // BT-135 (optional)
}

// VAT describes the VAT category of all lines of an invoice.
type VAT struct {
	Category            string // VATStandard, VATZero, VATExempt, VATReverseCharge or VATNotSubject
	RateBasisPoints     int64  // BT-119/BT-152 in hundredths of a percent: 1900 is 19 %
	ExemptionReason     string // BT-120 (required, alone or with the code, for E, AE and O)
	ExemptionReasonCode string // BT-121, VATEX code such as "VATEX-EU-O"
}

// IsCreditNote reports whether the invoice is written as a UBL CreditNote document.
func (inv *Invoice) IsCreditNote() bool { return inv.TypeCode == TypeCreditNote }

// currency returns the document currency, applying the default.
func (inv *Invoice) currency() string {
	if inv.Currency == "" {
		return DefaultCurrency
	}
	return inv.Currency
}

// processID returns the business process, applying the default.
func (inv *Invoice) processID() string {
	if isBlank(inv.ProcessID) {
		return DefaultProcessID
	}
	return inv.ProcessID
}

// meansCode returns the payment means code, applying the default.
func (p *Payment) meansCode() string {
	if isBlank(p.MeansCode) {
		return DefaultMeansCode
	}
	return p.MeansCode
}

// lineID returns the line identifier, defaulting to the 1-based position i+1.
func (l *Line) lineID(i int) string {
	if isBlank(l.ID) {
		return formatInt(int64(i + 1))
	}
	return l.ID
}

// unitCode returns the unit code, applying the default.
func (l *Line) unitCode() string {
	if isBlank(l.UnitCode) {
		return DefaultUnitCode
	}
	return l.UnitCode
}
